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
