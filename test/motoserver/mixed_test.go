package motoserver

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestMixedInstancesPolicyFix proves the launcher keeps a group's mixed
// instances policy as AWS does: an update that does not name it keeps it,
// CapacityRebalance changes, a group with a policy reports no launch
// template of its own (and one switched back reports the template alone),
// a Spot share still launches the desired capacity, and an instance's
// reported type is its own (moto 5.2.1 alone fails each).
func TestMixedInstancesPolicyFix(t *testing.T) {
	ctx := context.Background()
	ec2c, asc, subnet := startWithSubnet(t)
	lt, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("mip-test"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Small}})
	if err != nil {
		t.Fatal(err)
	}
	spec := &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")}
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
