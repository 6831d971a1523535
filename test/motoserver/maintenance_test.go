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

// TestMaintenancePolicyFix proves the launcher keeps an Auto Scaling group's
// instance maintenance policy, as AWS does: set on create, changed on update,
// cleared with -1 (moto 5.2.1 alone drops it).
func TestMaintenancePolicyFix(t *testing.T) {
	ctx := context.Background()
	ec2c, asc, subnet := startWithSubnet(t)
	if _, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("imp-test"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Small}}); err != nil {
		t.Fatal(err)
	}
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
	if _, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("grace-test"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Small}}); err != nil {
		t.Fatal(err)
	}
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
