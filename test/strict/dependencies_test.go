package strict

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func newGroup(t *testing.T, c clients, vpc, name string) string {
	t.Helper()
	out, err := c.ec2.CreateSecurityGroup(t.Context(), &ec2.CreateSecurityGroupInput{GroupName: aws.String(name),
		Description: aws.String("strict"), VpcId: aws.String(vpc)})
	must(t, err)
	return aws.ToString(out.GroupId)
}

func deleteGroup(c clients, t *testing.T, id string) error {
	_, err := c.ec2.DeleteSecurityGroup(t.Context(), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
	return err
}

func TestSGInUseCannotBeDeleted(t *testing.T) {
	c := through(t, Options{}, SGInUse)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	a, b, lbGroup := newGroup(t, c, n.VPCID, "strict-a"), newGroup(t, c, n.VPCID, "strict-b"), newGroup(t, c, n.VPCID, "strict-lb")
	perm := []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(a)}}}}
	_, err := c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(b), IpPermissions: perm})
	must(t, err)
	wantCode(t, deleteGroup(c, t, a), "InvalidGroup.InUse", 400) // referenced by b's rule
	_, err = c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(b), IpPermissions: perm})
	must(t, err)
	must(t, deleteGroup(c, t, a))

	lb, err := c.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("strict-inuse"), Subnets: n.App,
		SecurityGroups: []string{lbGroup}})
	must(t, err)
	wantCode(t, deleteGroup(c, t, lbGroup), "DependencyViolation", 400) // attached to a load balancer
	_, err = c.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn})
	must(t, err)
	must(t, deleteGroup(c, t, lbGroup))

	run, err := c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1),
		MaxCount: aws.Int32(1), SubnetId: aws.String(n.App[0]), SecurityGroupIds: []string{b}})
	must(t, err)
	wantCode(t, deleteGroup(c, t, b), "DependencyViolation", 400) // a running instance uses it
	_, err = c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{*run.Instances[0].InstanceId}})
	must(t, err)
	must(t, deleteGroup(c, t, b))
	wantFired(t, c, SGInUse, 3)
}

func TestENIsLingerAfterLoadBalancerAndInstances(t *testing.T) {
	clock := newManualClock()
	c := through(t, Options{ENILinger: window, Now: clock.Now}, ENILinger)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	lbGroup, appGroup := newGroup(t, c, n.VPCID, "strict-lb"), newGroup(t, c, n.VPCID, "strict-app")
	lb, err := c.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("strict-linger"), Subnets: n.App,
		SecurityGroups: []string{lbGroup}})
	must(t, err)
	_, err = c.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn})
	must(t, err)
	wantCode(t, deleteGroup(c, t, lbGroup), "DependencyViolation", 400)
	clock.Advance(window)
	must(t, deleteGroup(c, t, lbGroup))

	run, err := c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1),
		MaxCount: aws.Int32(1), SubnetId: aws.String(n.App[0]), SecurityGroupIds: []string{appGroup}})
	must(t, err)
	_, err = c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{*run.Instances[0].InstanceId}})
	must(t, err)
	wantCode(t, deleteGroup(c, t, appGroup), "DependencyViolation", 400)
	clock.Advance(window)
	must(t, deleteGroup(c, t, appGroup))
	wantFired(t, c, ENILinger, 2)
}

func TestGoneInstanceIsValidationError(t *testing.T) {
	c := through(t, Options{}, GoneInstance)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	_, err := c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("strict-gone"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro}})
	must(t, err)
	_, err = c.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("strict-gone"),
		MinSize: aws.Int32(0), MaxSize: aws.Int32(2), DesiredCapacity: aws.Int32(1), VPCZoneIdentifier: aws.String(n.App[0]),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("strict-gone"), Version: aws.String("$Latest")}})
	must(t, err)
	g, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"strict-gone"}})
	must(t, err)
	id := g.AutoScalingGroups[0].Instances[0].InstanceId
	terminate := func() error {
		_, err := c.asg.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
			InstanceId: id, ShouldDecrementDesiredCapacity: aws.Bool(true)})
		return err
	}
	must(t, terminate())
	err = terminate() // moto answers HTTP 500 here
	wantCode(t, err, "ValidationError", 400)
	if !strings.Contains(err.Error(), "Instance Id not found - No managed instance found for instance ID: "+*id) {
		t.Errorf("message %q is not AWS's", err)
	}
	wantFired(t, c, GoneInstance, 1)
}
