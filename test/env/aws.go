package env

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// Region is the region the emulators (moto, the strict layer, the sandbox)
// answer for.
const Region = "us-east-1"

// AWSConfig is the SDK config of a test that talks to an emulator at
// endpoint: static test credentials, Region, endpoint as BaseEndpoint and
// the SDK's standard retryer with its defaults (3 attempts), which the
// tests that inject faults or count calls are written against. A test
// that must see every error at once sets cfg.Retryer to aws.NopRetryer, or
// cfg.RetryMaxAttempts to 1.
//
// It is built as a literal, not with config.LoadDefaultConfig, so that no
// profile, shared file or AWS_* variable of the machine running the tests
// leaks into it; that is also why it cannot fail, and needs neither a t nor
// an E variant. Against real AWS, the suites load the ambient config
// instead (test/e2e).
func AWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		Retryer:      func() aws.Retryer { return retry.NewStandard() },
	}
}

// CloudWatch is a CloudWatch client that speaks awsQuery, as the provider's
// does (internal/cloud): the SDK's default protocol, RPCv2 CBOR, is one
// moto 5.2.1 does not answer.
func CloudWatch(cfg aws.Config) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801) })
}
