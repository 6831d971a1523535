package sandbox_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestLaunchBeforeTerminate: a one-instance zone whose group keeps 100% of
// its capacity healthy replaces a failed instance by launching first: the
// replacement is healthy while the failed instance is still in the group,
// which then leaves and the desired capacity is 1 again.
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
	var fresh string
	eventually(t, "a healthy replacement while the failed instance is still in the group", 120*time.Second, func() (bool, string) {
		members := s.instances("us-east-1a")
		if !slices.Contains(members, old) {
			t.Fatalf("the failed instance %s left the group before a replacement was healthy (members %v)", old, members)
		}
		h := s.health()
		for _, id := range members {
			if id != old && h[id].State == elbtypes.TargetHealthStateEnumHealthy {
				fresh = id
			}
		}
		return fresh != "", describeHealth(h)
	})
	eventually(t, "the failed instance terminated and the capacity back to 1", 60*time.Second, func() (bool, string) {
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
		return slices.Equal(live, []string{fresh}) && aws.ToInt32(g.DesiredCapacity) == 1, strings.Join(live, ",")
	})
	acts, err := s.asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(group)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range acts.Activities {
		found = found || (strings.Contains(aws.ToString(a.Description), old) && strings.Contains(aws.ToString(a.Cause), "after its replacement "+fresh))
	}
	if !found {
		t.Errorf("no scaling activity says %s was terminated after its replacement %s was in service", old, fresh)
	}
}
