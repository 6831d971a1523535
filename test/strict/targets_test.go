package strict

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestInvalidTargetForTerminatedInstance(t *testing.T) {
	c := through(t, Options{}, InvalidTarget)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	tg, err := c.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("strict-invalid-target"), Port: aws.Int32(80),
		Protocol: elbtypes.ProtocolEnumHttp, VpcId: aws.String(n.VPCID)})
	must(t, err)
	arn := tg.TargetGroups[0].TargetGroupArn
	run, err := c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro,
		MinCount: aws.Int32(2), MaxCount: aws.Int32(2), SubnetId: aws.String(n.App[0])})
	must(t, err)
	live, gone := aws.ToString(run.Instances[0].InstanceId), aws.ToString(run.Instances[1].InstanceId)
	targets := func(ids ...string) []elbtypes.TargetDescription {
		var out []elbtypes.TargetDescription
		for _, id := range ids {
			out = append(out, elbtypes.TargetDescription{Id: aws.String(id)})
		}
		return out
	}
	_, err = c.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: arn, Targets: targets(live, gone)})
	must(t, err)
	_, err = c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{gone}})
	must(t, err)

	_, err = c.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn, Targets: targets(live, gone)})
	wantCode(t, err, "InvalidTarget", 400) // moto answers "healthy"
	wantFired(t, c, InvalidTarget, 1)
	_, err = c.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn, Targets: targets(live)})
	must(t, err) // a live instance is still a valid target
	_, err = c.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn})
	must(t, err) // the whole group names no target
}
