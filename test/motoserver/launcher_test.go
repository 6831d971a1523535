package motoserver

import (
	"context"
	"encoding/base64"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// start starts a private moto server, stopped with t, and gives the AWS
// config for it.
func start(t *testing.T) aws.Config {
	t.Helper()
	return env.AWSConfig(StartT(t).URL)
}

// newTemplate creates a launch template of the test image on t3.small.
func newTemplate(t *testing.T, ec2c *ec2.Client, name string) *ec2types.LaunchTemplate {
	t.Helper()
	out, err := ec2c.CreateLaunchTemplate(context.Background(), &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Small}})
	if err != nil {
		t.Fatal(err)
	}
	return out.LaunchTemplate
}

// startWithSubnet starts a private moto server, stopped with t, and makes a
// VPC with one subnet in us-east-1a for a test group; it returns clients
// for the server and the subnet's ID.
func startWithSubnet(t *testing.T) (*ec2.Client, *autoscaling.Client, *string) {
	t.Helper()
	cfg := start(t)
	ec2c, asc := ec2.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg)
	net := env.Network(t, cfg, "us-east-1a")
	return ec2c, asc, aws.String(net.App[0])
}

// TestUserDataFix proves the launcher's fix: an ASG launched from a template
// version created by CreateLaunchTemplateVersion with UserData gets instances.
func TestUserDataFix(t *testing.T) {
	ctx := context.Background()
	ec2c, asc, subnet := startWithSubnet(t)
	data := func(s string) *ec2types.RequestLaunchTemplateData {
		return &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Small,
			UserData: aws.String(base64.StdEncoding.EncodeToString([]byte(s)))}
	}
	if _, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("fix-test"), LaunchTemplateData: data("one")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec2c.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateName: aws.String("fix-test"), LaunchTemplateData: data("two")}); err != nil {
		t.Fatal(err)
	}
	_, err := asc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("fix-test"), MinSize: aws.Int32(1), MaxSize: aws.Int32(2), DesiredCapacity: aws.Int32(1),
		VPCZoneIdentifier: subnet,
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("fix-test"), Version: aws.String("2")},
	})
	if err != nil {
		t.Fatalf("ASG launch from a UserData template version failed (the moto fix is missing): %v", err)
	}
	out, err := asc.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"fix-test"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.AutoScalingGroups[0].Instances); n != 1 {
		t.Fatalf("want 1 instance, got %d", n)
	}
}

// TestMaintenancePolicyFix proves the launcher keeps an Auto Scaling group's
// instance maintenance policy, as AWS does: set on create, changed on update,
// cleared with -1 (moto 5.2.1 alone drops it).
func TestMaintenancePolicyFix(t *testing.T) {
	ctx := context.Background()
	ec2c, asc, subnet := startWithSubnet(t)
	newTemplate(t, ec2c, "imp-test")
	policy := func(low, high int32) *astypes.InstanceMaintenancePolicy {
		return &astypes.InstanceMaintenancePolicy{MinHealthyPercentage: aws.Int32(low), MaxHealthyPercentage: aws.Int32(high)}
	}
	_, err := asc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("imp-test"), MinSize: aws.Int32(1), MaxSize: aws.Int32(2), DesiredCapacity: aws.Int32(1),
		VPCZoneIdentifier: subnet, InstanceMaintenancePolicy: policy(100, 200),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("imp-test"), Version: aws.String("1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(step string, want *astypes.InstanceMaintenancePolicy) {
		t.Helper()
		out, err := asc.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"imp-test"}})
		if err != nil {
			t.Fatal(err)
		}
		got := out.AutoScalingGroups[0].InstanceMaintenancePolicy
		switch {
		case want == nil && got != nil:
			t.Errorf("%s: policy %d-%d, want none", step, aws.ToInt32(got.MinHealthyPercentage), aws.ToInt32(got.MaxHealthyPercentage))
		case want != nil && (got == nil || aws.ToInt32(got.MinHealthyPercentage) != *want.MinHealthyPercentage || aws.ToInt32(got.MaxHealthyPercentage) != *want.MaxHealthyPercentage):
			t.Errorf("%s: policy %+v, want %d-%d", step, got, *want.MinHealthyPercentage, *want.MaxHealthyPercentage)
		}
	}
	check("after create", policy(100, 200))
	if _, err := asc.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("imp-test"), InstanceMaintenancePolicy: policy(90, 110)}); err != nil {
		t.Fatal(err)
	}
	check("after update", policy(90, 110))
	if _, err := asc.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("imp-test"), MaxSize: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	check("after an update without a policy", policy(90, 110))
	if _, err := asc.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("imp-test"), InstanceMaintenancePolicy: policy(-1, -1)}); err != nil {
		t.Fatal(err)
	}
	check("after clearing", nil)
}

// TestGracePeriodZeroKept proves the launcher keeps a health check grace
// period of 0 given to CreateAutoScalingGroup, as AWS does (moto 5.2.1 alone
// reports 300).
func TestGracePeriodZeroKept(t *testing.T) {
	ctx := context.Background()
	ec2c, asc, subnet := startWithSubnet(t)
	newTemplate(t, ec2c, "grace-test")
	if _, err := asc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("grace-test"), MinSize: aws.Int32(0), MaxSize: aws.Int32(1), VPCZoneIdentifier: subnet,
		HealthCheckGracePeriod: aws.Int32(0),
		LaunchTemplate:         &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("grace-test"), Version: aws.String("1")},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := asc.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"grace-test"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt32(out.AutoScalingGroups[0].HealthCheckGracePeriod); got != 0 {
		t.Fatalf("grace period %d after a create with 0, want 0", got)
	}
}

// TestMixedInstancesPolicyFix proves the launcher keeps a group's mixed
// instances policy as AWS does: an update that does not name it keeps it,
// CapacityRebalance changes, a group with a policy reports no launch
// template of its own (and one switched back reports the template alone),
// a Spot share still launches the desired capacity, and an instance's
// reported type is its own (moto 5.2.1 alone fails each).
func TestMixedInstancesPolicyFix(t *testing.T) {
	ctx := context.Background()
	ec2c, asc, subnet := startWithSubnet(t)
	lt := newTemplate(t, ec2c, "mip-test")
	spec := &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplateId, Version: aws.String("1")}
	policy := &astypes.MixedInstancesPolicy{
		LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: spec,
			Overrides: []astypes.LaunchTemplateOverrides{{InstanceType: aws.String("t3.small")}, {InstanceType: aws.String("t3a.small")}}},
		InstancesDistribution: &astypes.InstancesDistribution{OnDemandAllocationStrategy: aws.String("prioritized"), OnDemandBaseCapacity: aws.Int32(1),
			OnDemandPercentageAboveBaseCapacity: aws.Int32(50), SpotAllocationStrategy: aws.String("price-capacity-optimized")}}
	if _, err := asc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("mip-test"),
		MinSize: aws.Int32(1), MaxSize: aws.Int32(4), DesiredCapacity: aws.Int32(2), VPCZoneIdentifier: subnet,
		MixedInstancesPolicy: policy, CapacityRebalance: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	get := func() astypes.AutoScalingGroup {
		t.Helper()
		out, err := asc.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"mip-test"}})
		if err != nil || len(out.AutoScalingGroups) != 1 {
			t.Fatalf("describing: %v", err)
		}
		return out.AutoScalingGroups[0]
	}
	g := get()
	if g.MixedInstancesPolicy == nil || g.LaunchTemplate != nil || !aws.ToBool(g.CapacityRebalance) || len(g.Instances) != 2 {
		t.Fatalf("after create: policy %v, template %v, rebalance %v, %d instances; want the policy alone, rebalance, 2 instances",
			g.MixedInstancesPolicy != nil, g.LaunchTemplate != nil, aws.ToBool(g.CapacityRebalance), len(g.Instances))
	}
	id := aws.ToString(g.Instances[0].InstanceId)
	if _, err := ec2c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id), InstanceType: &ec2types.AttributeValue{Value: aws.String("t3a.small")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := asc.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("mip-test"), MaxSize: aws.Int32(5), CapacityRebalance: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	g = get()
	if g.MixedInstancesPolicy == nil || aws.ToBool(g.CapacityRebalance) {
		t.Errorf("after an update without the policy: policy %v, rebalance %v; want the policy kept, rebalance off", g.MixedInstancesPolicy != nil, aws.ToBool(g.CapacityRebalance))
	}
	for _, i := range g.Instances {
		if aws.ToString(i.InstanceId) == id && aws.ToString(i.InstanceType) != "t3a.small" {
			t.Errorf("instance %s reported as %s, want its own type t3a.small", id, aws.ToString(i.InstanceType))
		}
	}
	if _, err := asc.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("mip-test"), LaunchTemplate: spec}); err != nil {
		t.Fatal(err)
	}
	if g = get(); g.MixedInstancesPolicy != nil || g.LaunchTemplate == nil {
		t.Errorf("after switching to the template: policy %v, template %v; want the template alone", g.MixedInstancesPolicy != nil, g.LaunchTemplate != nil)
	}
}

// TestRootDeviceWithoutSizeFix proves the launcher launches a template whose
// root device mapping gives no size (the load-runner module's default), as
// EC2 does with the image's root snapshot; moto 5.2.1 alone refuses the
// group's launch with MissingParameter "size/snapshot".
func TestRootDeviceWithoutSizeFix(t *testing.T) {
	ctx := context.Background()
	ec2c, asc, subnet := startWithSubnet(t)
	images, err := ec2c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-12c6146b"}})
	if err != nil || len(images.Images) != 1 {
		t.Fatalf("the test image: %v", err)
	}
	root := aws.ToString(images.Images[0].RootDeviceName)
	if _, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("root-test"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Small,
			BlockDeviceMappings: []ec2types.LaunchTemplateBlockDeviceMappingRequest{{DeviceName: aws.String(root),
				Ebs: &ec2types.LaunchTemplateEbsBlockDeviceRequest{Encrypted: aws.Bool(true), VolumeType: ec2types.VolumeTypeGp3}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := asc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("root-test"), MinSize: aws.Int32(1), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1),
		VPCZoneIdentifier: subnet, LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("root-test"), Version: aws.String("1")},
	}); err != nil {
		t.Fatal(err)
	}
	vols, err := ec2c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{})
	if err != nil {
		t.Fatal(err)
	}
	snapshot := aws.ToString(images.Images[0].BlockDeviceMappings[0].Ebs.SnapshotId)
	for _, v := range vols.Volumes {
		if aws.ToString(v.SnapshotId) == snapshot && len(v.Attachments) == 1 && aws.ToString(v.Attachments[0].Device) == root {
			return
		}
	}
	t.Errorf("no root volume made from the image's snapshot %s on %s: %d volumes", snapshot, root, len(vols.Volumes))
}

// TestModifyListenerMovesTargetGroupAssociation proves the launcher's fix: a
// listener switched to another target group (as a port change, which
// replaces the group, does) makes the new group show the load balancer and
// the old one drop it, as AWS reports (moto 5.2.1 alone changes neither).
func TestModifyListenerMovesTargetGroupAssociation(t *testing.T) {
	ctx := context.Background()
	cfg := start(t)
	net := env.Network(t, cfg, "us-east-1a", "us-east-1b")
	c := elb.NewFromConfig(cfg)
	lb, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("listener-fix"), Subnets: net.App})
	if err != nil {
		t.Fatal(err)
	}
	lbARN := aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	group := func(name string, port int32) string {
		out, err := c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(port), VpcId: aws.String(net.VPCID)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.TargetGroups[0].TargetGroupArn)
	}
	oldTG, newTG := group("listener-fix-8080", 8080), group("listener-fix-9090", 9090)
	forward := func(tg string) []elbtypes.Action {
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}
	}
	l, err := c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(80), DefaultActions: forward(oldTG)})
	if err != nil {
		t.Fatal(err)
	}
	served := func(tg string) bool {
		out, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{tg}})
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(out.TargetGroups[0].LoadBalancerArns, lbARN)
	}
	if !served(oldTG) || served(newTG) {
		t.Fatalf("after CreateListener: old group served %v, new %v; want true, false", served(oldTG), served(newTG))
	}
	if _, err := c.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: l.Listeners[0].ListenerArn, DefaultActions: forward(newTG)}); err != nil {
		t.Fatal(err)
	}
	if served(oldTG) || !served(newTG) {
		t.Fatalf("after ModifyListener: old group served %v, new %v; want false, true", served(oldTG), served(newTG))
	}
}
