package blueprint

// The rotation schedule of the master user secret RDS manages for the
// database (database.secret_rotation). The secret is RDS's: the stack never
// creates or deletes it, it only sets the schedule, with Secrets Manager's
// RotateSecret as the RDS User Guide describes for a managed master user
// secret ("Rotating the master user password secret": change the rotation
// schedule with Secrets Manager).

// KindSecretRotation is the rotation schedule of the database's managed
// master user secret.
const KindSecretRotation Kind = "db_secret_rotation"

// KeySecretRotation is its part's key.
const KeySecretRotation = "db_secret_rotation"

// DefaultSecretRotationDays is the schedule RDS gives a managed master user
// secret: "By default, ... rotation every seven days" (RDS User Guide,
// "Password management with Amazon RDS and AWS Secrets Manager").
const DefaultSecretRotationDays = 7

// SecretRotationProps is the schedule wanted for the secret of the
// database DBKey.
type SecretRotationProps struct {
	DBKey string
	Rules SecretRotationSpec
}

// IsDefault reports whether rules are RDS's own schedule: every 7 days, no
// window.
func (r SecretRotationSpec) IsDefault() bool {
	return r.Duration == "" && ((r.ScheduleExpression == "" && r.AutomaticallyAfterDays == DefaultSecretRotationDays) ||
		(r.ScheduleExpression == "rate(7 days)"))
}
