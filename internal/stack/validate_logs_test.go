package stack_test

// accessLogsInvalidCases are the refusals of access_logs and
// database.secret_rotation: what S3, Elastic Load Balancing and Secrets
// Manager would refuse, caught at plan.
func accessLogsInvalidCases() map[string]invalidCase {
	logs := func(body string) func(a *stackArgs) {
		return func(a *stackArgs) { a.extra = "access_logs = " + body }
	}
	rotation := func(body string) func(a *stackArgs) {
		return func(a *stackArgs) {
			a.withDB, a.extra = false, "database = { secret_rotation = "+body+" }"
		}
	}
	return map[string]invalidCase{
		"AccessLogsBucketARN": {logs(`{ bucket = "arn:aws:s3:::fruit-logs" }`), "access_logs.bucket",
			`Invalid S3 bucket name[\s\S]*is an ARN or URL[\s\S]*Give the name of an S3 bucket`},
		"AccessLogsBucketCase": {logs(`{ bucket = "Fruit_Logs" }`), "access_logs.bucket",
			`Invalid S3 bucket name[\s\S]*lower-case letters, digits, dots and hyphens`},
		"AccessLogsBucketIP": {logs(`{ bucket = "192.168.5.4" }`), "access_logs.bucket", `Invalid S3 bucket name[\s\S]*IP address`},
		"AccessLogsPrefixAWSLogs": {logs(`{ bucket = "fruit-logs", prefix = "lb/AWSLogs" }`), "access_logs.prefix",
			`Invalid access logs prefix[\s\S]*contains AWSLogs[\s\S]*Remove AWSLogs from the prefix`},
		"AccessLogsPrefixSlash": {logs(`{ bucket = "fruit-logs", prefix = "/lb/" }`), "access_logs.prefix",
			`Invalid access logs prefix[\s\S]*starts or ends with /[\s\S]*Write it without them`},
		"AccessLogsNoBucket": {logs(`{ prefix = "lb" }`), "bucket", `Inappropriate value for attribute "access_logs"[\s\S]*attribute "bucket" is\s+required`},
		"SecretRotationBoth": {rotation(`{ automatically_after_days = 10, schedule_expression = "rate(10 days)" }`),
			"database.secret_rotation.schedule_expression", `cannot be specified when[\s\S]*database.secret_rotation.automatically_after_days`},
		"SecretRotationNeither": {rotation(`{ duration = "3h" }`), "database.secret_rotation",
			`Secret rotation without a schedule[\s\S]*Set automatically_after_days[\s\S]*or schedule_expression`},
		"SecretRotationDays": {rotation(`{ automatically_after_days = 0 }`), "database.secret_rotation.automatically_after_days",
			`value must be between 1 and 1000`},
		"SecretRotationSchedule": {rotation(`{ schedule_expression = "every 10 days" }`), "database.secret_rotation.schedule_expression",
			`must be a rate\(\) or cron\(\) expression such as rate\(10 days\)`},
		"SecretRotationWindow": {rotation(`{ automatically_after_days = 10, duration = "30h" }`), "database.secret_rotation.duration",
			`must be hours from 1h to 24h`},
	}
}
