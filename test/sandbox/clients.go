package sandbox

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
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
	cw  *cloudwatch.Client // practice runs' outcome alarms (autoshift.go)
}

func newAWSClients(ctx context.Context, endpoint, region string) (*awsClients, error) {
	cfg := env.AWSConfig(endpoint)
	cfg.Region = region
	// The sandbox's own clients keep the five attempts they always had;
	// the tests' config has the SDK's default three.
	cfg.Retryer = func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 5 }) }
	return &awsClients{asg: autoscaling.NewFromConfig(cfg), elb: elb.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg),
		rds: rds.NewFromConfig(cfg), sm: secretsmanager.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg), cw: env.CloudWatch(cfg)}, nil
}
