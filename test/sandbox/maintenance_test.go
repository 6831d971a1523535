package sandbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestLaunchBeforeTerminate: a one-instance zone whose group keeps 100% of
// its capacity healthy replaces a failed instance by launching first: the
// failed instance is terminated only after the replacement is healthy, and
// the desired capacity is 1 again.
func TestLaunchBeforeTerminate(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	s := newStack(t, sb, stackSpec{name: "lbt", zones: []string{"us-east-1a"}, perZone: 1, healthCheckType: "ELB", grace: 60, deregDelay: 5})
	group := s.groups["us-east-1a"]
	if _, err := s.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group),
		InstanceMaintenancePolicy: &astypes.InstanceMaintenancePolicy{MinHealthyPercentage: aws.Int32(100), MaxHealthyPercentage: aws.Int32(200)}}); err != nil {
		t.Fatal(err)
	}
	old := s.waitHealthy(1)[0]
	if err := sb.Client().Fail(ctx, sandbox.Failure{Kind: "instance", ID: old}); err != nil {
		t.Fatal(err)
	}
	// The replacement's health and the old instance's termination are a
	// few hundred milliseconds apart in compressed time, too close for a
	// poll to see the order: the order is read afterwards from the
	// sandbox's event log (the replacement's target healthy) and the
	// group's scaling activities (the old instance terminated), one clock.
	var fresh string
	env.Until(t, "the failed instance replaced and the capacity back to 1", 180*time.Second, func() (bool, string) {
		out, err := s.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
		if err != nil {
			return false, err.Error()
		}
		g := out.AutoScalingGroups[0]
		var live []string
		for _, i := range g.Instances {
			if i.LifecycleState == astypes.LifecycleStateInService || i.LifecycleState == astypes.LifecycleStatePending {
				live = append(live, aws.ToString(i.InstanceId))
			}
		}
		if len(live) == 1 && live[0] != old {
			fresh = live[0]
		}
		return fresh != "" && aws.ToInt32(g.DesiredCapacity) == 1 && s.health()[fresh].State == elbtypes.TargetHealthStateEnumHealthy, strings.Join(live, ",")
	})
	evs, err := sb.Client().Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	healthy, ok := firstEvent(evs, sandbox.EventTarget, func(e sandbox.Event) bool { return e.Target == fresh && e.State == "healthy" })
	if !ok {
		t.Fatalf("the event log never shows the replacement %s healthy", fresh)
	}
	acts, err := s.asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(group)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range acts.Activities {
		if !strings.Contains(aws.ToString(a.Description), "Terminating EC2 instance: "+old) {
			continue
		}
		found = true
		// The API gives an activity's start to the second.
		if start := aws.ToTime(a.StartTime); start.Before(healthy.At.Truncate(time.Second)) {
			t.Errorf("the failed instance %s was terminated at %s, before its replacement %s was healthy at %s",
				old, start.Format(time.StampMilli), fresh, healthy.At.Format(time.StampMilli))
		}
		if !strings.Contains(aws.ToString(a.Cause), "after its replacement "+fresh) {
			t.Errorf("the termination of %s gives the cause %q, want after its replacement %s", old, aws.ToString(a.Cause), fresh)
		}
	}
	if !found {
		t.Errorf("no scaling activity terminated %s", old)
	}
}

// firstEvent is the first event of kind that matches.
func firstEvent(evs []sandbox.Event, kind string, match func(sandbox.Event) bool) (sandbox.Event, bool) {
	for _, e := range evs {
		if e.Kind == kind && match(e) {
			return e, true
		}
	}
	return sandbox.Event{}, false
}
