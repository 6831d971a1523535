package motoserver

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// startWithSubnet starts a private moto server, stopped with t, and makes a
// VPC with one subnet in us-east-1a for a test group; it returns clients
// for the server and the subnet's ID.
func startWithSubnet(t *testing.T) (*ec2.Client, *autoscaling.Client, *string) {
	t.Helper()
	ctx := context.Background()
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	cfg := env.AWSConfig(s.URL)
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
