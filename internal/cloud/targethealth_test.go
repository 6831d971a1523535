package cloud

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
)

// TestTargetHealthInstanceGoneMidWait terminates an instance between the
// listing of a group's instances and the read of their target health, as
// happens when Auto Scaling replaces one during a wait. AWS refuses a
// DescribeTargetHealth that names a terminated instance (InvalidTarget,
// modelled by the strict layer's invalid-target rule); the wait must look
// again instead of failing.
func TestTargetHealthInstanceGoneMidWait(t *testing.T) {
	cfg, n := testNetwork(t)
	c, _, layer := behindStrict(t, strict.Options{Rules: map[strict.Rule]bool{strict.InvalidTarget: true}})
	ctx := t.Context()
	elbc, ec2c := elb.NewFromConfig(cfg), ec2.NewFromConfig(cfg)
	tg, err := elbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("gone-mid-wait"), Port: aws.Int32(8080),
		Protocol: elbtypes.ProtocolEnumHttp, VpcId: aws.String(n.VPCID)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	t.Cleanup(func() {
		_, _ = elbc.DeleteTargetGroup(context.Background(), &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)})
	})
	run, err := ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(testImage), InstanceType: ec2types.InstanceTypeT3Small,
		MinCount: aws.Int32(2), MaxCount: aws.Int32(2), SubnetId: aws.String(appSubnets(n)[0].ID)})
	if err != nil {
		t.Fatal(err)
	}
	live, gone := aws.ToString(run.Instances[0].InstanceId), aws.ToString(run.Instances[1].InstanceId)
	if _, err := elbc.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(arn),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(live)}, {Id: aws.String(gone)}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = ec2c.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: []string{live}})
	})
	listed := []string{live, gone} // what the group listed, in service
	if _, err := ec2c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{gone}}); err != nil {
		t.Fatal(err)
	}
	rounds := 0
	err = poll(ctx, "targets healthy", func(ctx context.Context) (bool, string, error) {
		rounds++
		if rounds > 1 {
			listed = []string{live} // the next listing no longer has it
		}
		return autoScalingGroups{c}.allHealthy(ctx, arn, listed)
	})
	if err != nil {
		t.Fatalf("wait ended by an instance terminated mid-wait: %v (strict layer: %s)", err, layer.Layer.Summary())
	}
}
