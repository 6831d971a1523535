package sandbox_test

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestInstanceRefreshUnderLoad: a new launch template version rolled out
// zone by zone with instance refresh replaces every instance while ab runs,
// and not one request fails.
func TestInstanceRefreshUnderLoad(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	zones := []string{"us-east-1a", "us-east-1b"}
	s := newStack(t, sb, stackSpec{name: "refresh", zones: zones, perZone: 1, grace: 60, deregDelay: 10})
	before := s.waitHealthy(2)
	load := startLoad(t, s.url()+"/fruits", 4)

	if _, err := s.ec2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateName: aws.String("refresh"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Small,
			UserData: aws.String(base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\n# v2\n")))}}); err != nil {
		t.Fatal(err)
	}
	for _, z := range zones {
		group := s.groups[z]
		if _, err := s.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group),
			LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("refresh"), Version: aws.String("2")}}); err != nil {
			t.Fatal(err)
		}
		out, err := s.asg.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String(group),
			Preferences: &astypes.RefreshPreferences{MinHealthyPercentage: aws.Int32(0), InstanceWarmup: aws.Int32(10)}})
		if err != nil {
			t.Fatal(err)
		}
		env.Until(t, "the refresh of "+group, 90*time.Second, func() (bool, string) {
			d, err := s.asg.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(group),
				InstanceRefreshIds: []string{aws.ToString(out.InstanceRefreshId)}})
			if err != nil || len(d.InstanceRefreshes) != 1 {
				return false, "describe failed"
			}
			r := d.InstanceRefreshes[0]
			return r.Status == astypes.InstanceRefreshStatusSuccessful, string(r.Status)
		})
	}
	// The refreshed zones' new instances must be serving before load stops.
	after := s.waitHealthy(2)
	res := load.stop(t)
	for _, id := range after {
		for _, old := range before {
			if id == old {
				t.Errorf("instance %s survived the refresh", id)
			}
		}
	}
	t.Logf("load: %s", res.Summary())
	if bad, _ := load.failures(t, "start"); len(bad) != 0 {
		t.Fatalf("%d requests failed during the refresh:\n%s", len(bad), describeFailed(bad, 20))
	}
}
