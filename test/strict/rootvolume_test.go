package strict

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// TestRootVolumeSmallerThanSnapshot: a launch whose root volume is smaller
// than the image's root snapshot (moto's images: 15 GiB) is refused by
// RunInstances and by the Auto Scaling group calls that take the template;
// the snapshot's size is accepted.
func TestRootVolumeSmallerThanSnapshot(t *testing.T) {
	c := through(t, Options{}, RootVolume)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	const image, name = "ami-12c6146b", "strict-rootvol"
	img, err := c.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{image}})
	must(t, err)
	root := aws.ToString(img.Images[0].RootDeviceName)
	mapping := func(gib int32) []ec2types.LaunchTemplateBlockDeviceMappingRequest {
		return []ec2types.LaunchTemplateBlockDeviceMappingRequest{{DeviceName: aws.String(root), Ebs: &ec2types.LaunchTemplateEbsBlockDeviceRequest{VolumeSize: aws.Int32(gib)}}}
	}
	lt, err := c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(image), InstanceType: ec2types.InstanceTypeT3Micro, BlockDeviceMappings: mapping(10)}})
	must(t, err)
	t.Cleanup(func() {
		_, _ = c.asg.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), ForceDelete: aws.Bool(true)})
		_, _ = c.ec2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId})
	})
	wantRefused := func(err error, code string) {
		t.Helper()
		wantCode(t, err, code, 400)
		if !strings.Contains(err.Error(), "Volume of size 10GB is smaller than snapshot 'snap-") || !strings.Contains(err.Error(), "expect size >= 15GB") {
			t.Fatalf("%s does not give EC2's message: %v", code, err)
		}
	}
	group := func(version string) *autoscaling.CreateAutoScalingGroupInput {
		return &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), MinSize: aws.Int32(1), MaxSize: aws.Int32(1),
			VPCZoneIdentifier: aws.String(n.App[0]), LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String(version)}}
	}

	_, err = c.asg.CreateAutoScalingGroup(ctx, group("1"))
	wantRefused(err, "ValidationError")
	if !strings.Contains(err.Error(), "You must use a valid fully-formed launch template") {
		t.Fatalf("CreateAutoScalingGroup: %v", err)
	}
	out, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	must(t, err)
	if len(out.AutoScalingGroups) != 0 {
		t.Fatalf("the refused group exists: %+v", out.AutoScalingGroups)
	}

	run := func(gib int32) (*ec2.RunInstancesOutput, error) {
		return c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(image), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String(n.App[0]),
			BlockDeviceMappings: []ec2types.BlockDeviceMapping{{DeviceName: aws.String(root), Ebs: &ec2types.EbsBlockDevice{VolumeSize: aws.Int32(gib)}}}})
	}
	_, err = run(10)
	wantRefused(err, "InvalidBlockDeviceMapping")
	ok, err := run(15)
	must(t, err)
	_, err = c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(ok.Instances[0].InstanceId)}})
	must(t, err)

	// A template version at the snapshot's size launches; going back to
	// the small version is refused as the create was.
	_, err = c.ec2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId,
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(image), InstanceType: ec2types.InstanceTypeT3Micro, BlockDeviceMappings: mapping(15)}})
	must(t, err)
	_, err = c.asg.CreateAutoScalingGroup(ctx, group("2"))
	must(t, err)
	_, err = c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")}})
	wantRefused(err, "ValidationError")
	// The same template inside a mixed instances policy is refused too.
	_, err = c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
		MixedInstancesPolicy: &astypes.MixedInstancesPolicy{LaunchTemplate: &astypes.LaunchTemplate{
			LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")},
			Overrides:                   []astypes.LaunchTemplateOverrides{{InstanceType: aws.String("t3.micro")}, {InstanceType: aws.String("t3a.micro")}}}}})
	wantRefused(err, "ValidationError")
	wantFired(t, c, RootVolume, 4)
}
