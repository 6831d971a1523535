package cloud

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// The rotation schedule of the database's managed master user secret. The
// secret belongs to RDS (created and deleted with the database); the stack
// only sets its RotationRules with RotateSecret, as the RDS User Guide
// says to change a managed secret's schedule ("Rotating the master user
// password secret"). The observation's ID is the secret's ARN and its Name
// the database's identifier.
type secretRotations struct{ *Cloud }

// findSecretRotation reads the secret's rotation settings (DescribeSecret).
func (c secretRotations) findSecretRotation(ctx context.Context, arn string) (*secretsmanager.DescribeSecretOutput, error) {
	out, err := c.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("reading secret (%s): %w", arn, asNotFound(err, "secret", arn, errCodeSMResourceNotFound))
	}
	return out, nil
}

func (c secretRotations) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	return c.update(ctx, p, engine.Observation{}, refs)
}

// update sets the schedule when the secret's differs. RotateImmediately is
// false: changing the schedule must not change the password under the
// running instances (RotateSecret rotates at once by default; the next
// rotation follows the new schedule). AWS documents no transient error of
// RotateSecret to retry; hashicorp/aws secretsmanager
// secret_rotation.go retries only its IAM propagation errors for a
// Lambda rotation, which a managed secret has none of.
func (c secretRotations) update(ctx context.Context, p blueprint.Part, _ engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.SecretRotationProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	db, err := ref(refs, props.DBKey)
	if err != nil {
		return engine.Observation{}, err
	}
	arn := db.Attrs["secret_arn"]
	if arn == "" {
		return engine.Observation{}, fmt.Errorf("setting the secret rotation of database %s: it has no managed master user secret", db.Name)
	}
	have, err := c.findSecretRotation(ctx, arn)
	if err != nil {
		return engine.Observation{}, err
	}
	if len(rotationDrift(have, props.Rules)) > 0 {
		_, err := c.sm.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
			SecretId: aws.String(arn), RotationRules: rotationRules(props.Rules), RotateImmediately: aws.Bool(false),
		})
		if err != nil {
			return engine.Observation{}, fmt.Errorf("setting the rotation schedule of secret (%s): %w", arn, err)
		}
		if have, err = c.findSecretRotation(ctx, arn); err != nil {
			return engine.Observation{}, err
		}
	}
	return secretRotationObservation(p, db.Name, arn, have), nil
}

// delete leaves the schedule as it is: the secret is RDS's, and goes with
// the database. Removing database.secret_rotation stops managing it.
func (c secretRotations) delete(context.Context, blueprint.Part, engine.Observation) error {
	return nil
}

func rotationRules(r blueprint.SecretRotationSpec) *smtypes.RotationRulesType {
	out := &smtypes.RotationRulesType{}
	if r.ScheduleExpression != "" {
		out.ScheduleExpression = aws.String(r.ScheduleExpression)
	} else {
		out.AutomaticallyAfterDays = aws.Int64(int64(r.AutomaticallyAfterDays))
	}
	if r.Duration != "" {
		out.Duration = aws.String(r.Duration)
	}
	return out
}

// rotationOf reads the schedule a secret has (zero when rotation is off).
func rotationOf(s *secretsmanager.DescribeSecretOutput) (blueprint.SecretRotationSpec, bool) {
	if s == nil || !aws.ToBool(s.RotationEnabled) || s.RotationRules == nil {
		return blueprint.SecretRotationSpec{}, false
	}
	r := s.RotationRules
	return blueprint.SecretRotationSpec{AutomaticallyAfterDays: int32(aws.ToInt64(r.AutomaticallyAfterDays)),
		ScheduleExpression: aws.ToString(r.ScheduleExpression), Duration: aws.ToString(r.Duration)}, true
}

// rotationDrift compares the secret's schedule with the wanted one. With a
// schedule expression, Secrets Manager also reports AutomaticallyAfterDays
// (computed from the expression), so only the field asked for is compared.
func rotationDrift(s *secretsmanager.DescribeSecretOutput, want blueprint.SecretRotationSpec) []string {
	have, on := rotationOf(s)
	switch {
	case !on:
		return []string{"secret rotation off, want " + describeRotation(want)}
	case want.ScheduleExpression != "" && have.ScheduleExpression != want.ScheduleExpression,
		want.ScheduleExpression == "" && have.AutomaticallyAfterDays != want.AutomaticallyAfterDays,
		want.Duration != "" && have.Duration != want.Duration:
		return []string{"secret rotation " + describeRotation(have) + ", want " + describeRotation(want)}
	}
	return nil
}

func describeRotation(r blueprint.SecretRotationSpec) string {
	s := fmt.Sprintf("every %d days", r.AutomaticallyAfterDays)
	if r.ScheduleExpression != "" {
		s = r.ScheduleExpression
	}
	if r.Duration != "" {
		s += " within " + r.Duration
	}
	return s
}

func secretRotationObservation(p blueprint.Part, dbName, arn string, s *secretsmanager.DescribeSecretOutput) engine.Observation {
	o := newObservation(p, dbName, arn, arn, nil)
	have, _ := rotationOf(s)
	o.Props = blueprint.SecretRotationProps{DBKey: blueprint.KeyDBInstance, Rules: have}
	if props, ok := p.Props.(blueprint.SecretRotationProps); ok {
		o.Drift = rotationDrift(s, props.Rules)
	}
	return o
}

// readSecretRotation reads the database secret's rotation, one
// DescribeSecret, only when the blueprint sets its schedule: a stack
// without database.secret_rotation pays no Secrets Manager call.
func (f *found) readSecretRotation(ctx context.Context, c *Cloud, byKind map[blueprint.Kind][]blueprint.Part) error {
	if len(byKind[blueprint.KindSecretRotation]) == 0 || f.db.MasterUserSecret == nil {
		return nil
	}
	s, err := secretRotations{c}.findSecretRotation(ctx, aws.ToString(f.db.MasterUserSecret.SecretArn))
	switch {
	case err == nil:
		f.secret = s
	case !errors.Is(err, ErrNotFound):
		return err
	}
	return nil
}
