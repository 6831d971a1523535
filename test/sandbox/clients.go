package sandbox

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// awsClients talk to moto directly (not through the endpoint), so the data
// plane sees moto's own state and never its own interceptions.
type awsClients struct {
	asg *autoscaling.Client
	elb *elb.Client
	ec2 *ec2.Client
	rds *rds.Client
	sm  *secretsmanager.Client
	sns *sns.Client
}

func newAWSClients(ctx context.Context, endpoint, region string) (*awsClients, error) {
	cfg, err := AWSConfig(ctx, endpoint, region)
	if err != nil {
		return nil, err
	}
	return &awsClients{asg: autoscaling.NewFromConfig(cfg), elb: elb.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg),
		rds: rds.NewFromConfig(cfg), sm: secretsmanager.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg)}, nil
}

// AWSConfig is an SDK config for an endpoint with dummy credentials, for
// tests that call the sandbox directly.
func AWSConfig(ctx context.Context, endpoint, region string) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx, config.WithRegion(region), config.WithBaseEndpoint(endpoint),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		config.WithRetryer(func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 5 }) }))
}
