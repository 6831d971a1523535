package sandbox_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestShortZoneFallsBackToNextType: in a zone short of t3.small, a group
// with a prioritized mixed instances policy (t3.small, then t3a.small)
// launches a t3a.small in the same activity, which succeeds and names the
// type, and the instance serves; a group on the template alone in a zone
// short of t3.small is refused, attempt after attempt. The event log says
// so in order: the shortage, then the fallback.
func TestShortZoneFallsBackToNextType(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	c := sb.Client()
	s := newStack(t, sb, stackSpec{name: "mix", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1, maxPerZone: 3})
	s.waitHealthy(2)
	mixed, plain := s.groups["us-east-1b"], s.groups["us-east-1a"]
	if _, err := s.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(mixed),
		MixedInstancesPolicy: &astypes.MixedInstancesPolicy{
			LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("mix"), Version: aws.String("1")},
				Overrides: []astypes.LaunchTemplateOverrides{{InstanceType: aws.String("t3.small")}, {InstanceType: aws.String("t3a.small")}}},
			InstancesDistribution: &astypes.InstancesDistribution{OnDemandAllocationStrategy: aws.String("prioritized")}}}); err != nil {
		t.Fatal(err)
	}
	for _, z := range []string{"us-east-1a", "us-east-1b"} {
		if err := c.ShortZone(ctx, z, "t3.small"); err != nil {
			t.Fatal(err)
		}
	}
	s.setDesired(mixed, 2)
	s.setDesired(plain, 2)
	var launched string
	env.Until(t, "a t3a.small in the mixed group", 60*time.Second, func() (bool, string) {
		g := describe(t, s, mixed)
		var seen []string
		for _, i := range g.Instances {
			seen = append(seen, aws.ToString(i.InstanceId)+"="+aws.ToString(i.InstanceType))
			if aws.ToString(i.InstanceType) == "t3a.small" {
				launched = aws.ToString(i.InstanceId)
			}
		}
		return launched != "" && len(g.Instances) == 2, strings.Join(seen, " ")
	})
	env.Until(t, "two refused launches in the plain group", 60*time.Second, func() (bool, string) {
		n := len(s.failedLaunches(plain))
		return n >= 2, fmt.Sprintf("%d failed", n)
	})
	s.waitHealthy(3) // the fallback serves: the power is on
	if h := s.health()[launched]; string(h.State) != "healthy" {
		t.Errorf("the t3a.small %s is %s, want a healthy target", launched, h.State)
	}
	if n := len(s.failedLaunches(mixed)); n != 0 {
		t.Errorf("the mixed group has %d failed launches, want none: the fallback is part of the launch", n)
	}
	var shown []string
	found := false
	p := autoscaling.NewDescribeScalingActivitiesPaginator(s.asg, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(mixed)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Activities {
			shown = append(shown, aws.ToString(a.Description)+" "+aws.ToString(a.Details))
			found = found || (aws.ToString(a.Description) == "Launching a new EC2 instance: "+launched && a.StatusCode == astypes.ScalingActivityStatusCodeSuccessful &&
				strings.Contains(aws.ToString(a.Details), `"InstanceType":"t3a.small"`) && strings.Contains(aws.ToString(a.Details), `"Availability Zone":"us-east-1b"`))
		}
	}
	if !found {
		t.Errorf("no successful activity launching %s as t3a.small in us-east-1b: %q", launched, shown)
	}
	evs, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short := slices.IndexFunc(evs, func(e sandbox.Event) bool { return e.Kind == sandbox.EventZoneShort && e.Zone == "us-east-1b" })
	fell := sandbox.EventsOf(evs, sandbox.EventLaunchFallback, nil)
	at := slices.IndexFunc(evs, func(e sandbox.Event) bool { return e.Kind == sandbox.EventLaunchFallback })
	if len(fell) != 1 || short < 0 || at < short || !slices.Equal(fell[0].IDs, []string{launched}) || !strings.Contains(fell[0].Reason, "launched t3a.small") {
		t.Errorf("fallback events %+v at %d, the shortage at %d: want one, for %s, after the shortage", fell, at, short, launched)
	}
	for _, e := range sandbox.EventsOf(evs, sandbox.EventLaunchRefused, nil) {
		if e.Zone == "us-east-1b" {
			t.Errorf("a launch refused in the mixed group's zone: %+v", e)
		}
	}
	for _, z := range []string{"us-east-1a", "us-east-1b"} {
		if err := c.RecoverZone(ctx, z); err != nil {
			t.Fatal(err)
		}
	}
	s.waitHealthy(4)
}

func describe(t *testing.T, s *stack, group string) astypes.AutoScalingGroup {
	t.Helper()
	out, err := s.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		t.Fatalf("describing %s: %v", group, err)
	}
	return out.AutoScalingGroups[0]
}
