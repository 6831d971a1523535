package cloud

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// leaving reports an instance on its way out (it no longer counts as old
// capacity to replace, nor as new capacity in service).
func leaving(inst astypes.Instance) bool {
	s := string(inst.LifecycleState)
	return strings.HasPrefix(s, "Terminat") || strings.HasPrefix(s, "Detach") || s == string(astypes.LifecycleStateStandby)
}

func inService(g *astypes.AutoScalingGroup) []string {
	var ids []string
	for _, inst := range g.Instances {
		if inst.LifecycleState == astypes.LifecycleStateInService {
			ids = append(ids, aws.ToString(inst.InstanceId))
		}
	}
	return ids
}

// waitNewInstancesHealthy waits until the group has desired instances in
// service and every in-service instance on the current template version is
// healthy in the target group. Only those instances' health is asked for: a
// target group may keep other instances registered.
func (c autoScalingGroups) waitNewInstancesHealthy(ctx context.Context, name string, current func(astypes.Instance) bool, desired int32, tgARN string, since time.Time) error {
	return poll(ctx, "new instances of Auto Scaling group "+name+" to be healthy", func(ctx context.Context) (bool, string, error) {
		g, err := c.findGroupByName(ctx, name)
		if err != nil {
			return false, "", err
		}
		retried, err := c.failedActivity(ctx, name, since)
		if err != nil {
			return false, "", err
		}
		var n int32
		var fresh []string
		for _, inst := range g.Instances {
			if inst.LifecycleState != astypes.LifecycleStateInService {
				continue
			}
			n++
			if current(inst) {
				fresh = append(fresh, aws.ToString(inst.InstanceId))
			}
		}
		if n < desired {
			return false, withRetried(fmt.Sprintf("%d of %d instances in service", n, desired), retried), nil
		}
		return c.allHealthy(ctx, tgARN, fresh)
	})
}

// waitReady waits until min instances are in service and, when the part asks
// for it, until the in-service instances are healthy in the target group.
func (c autoScalingGroups) waitReady(ctx context.Context, name string, props blueprint.AutoScalingGroupProps, tgARN string, since time.Time) error {
	return poll(ctx, "Auto Scaling group "+name+" capacity", func(ctx context.Context) (bool, string, error) {
		g, err := c.findGroupByName(ctx, name)
		if err != nil {
			return false, "", err
		}
		retried, err := c.failedActivity(ctx, name, since)
		if err != nil {
			return false, "", err
		}
		ids := inService(g)
		if n := int32(len(ids)); n < props.Min {
			return false, withRetried(fmt.Sprintf("%d of %d instances in service", n, props.Min), retried), nil
		}
		if !props.WaitForHealthyTargets {
			return true, "", nil
		}
		return c.allHealthy(ctx, tgARN, ids)
	})
}

func (c autoScalingGroups) allHealthy(ctx context.Context, tgARN string, ids []string) (bool, string, error) {
	if len(ids) == 0 {
		return true, "", nil
	}
	states, err := findTargetHealth(ctx, c.elb, tgARN, ids)
	if err != nil {
		return false, "", err
	}
	var waiting []string
	for _, id := range ids {
		if s := states[id]; s != elbtypes.TargetHealthStateEnumHealthy {
			waiting = append(waiting, fmt.Sprintf("%s %s", id, cmpState(s)))
		}
	}
	if len(waiting) > 0 {
		return false, "targets not healthy: " + strings.Join(waiting, ", "), nil
	}
	return true, "", nil
}

func cmpState(s elbtypes.TargetHealthStateEnum) string {
	if s == "" {
		return "not registered"
	}
	return string(s)
}

func (c autoScalingGroups) waitInstancesGone(ctx context.Context, name string, ids []string) error {
	return poll(ctx, "old instances of Auto Scaling group "+name+" to terminate", func(ctx context.Context) (bool, string, error) {
		g, err := c.findGroupByName(ctx, name)
		if err != nil {
			return false, "", err
		}
		var left []string
		for _, inst := range g.Instances {
			if slices.Contains(ids, aws.ToString(inst.InstanceId)) {
				left = append(left, aws.ToString(inst.InstanceId)+" "+string(inst.LifecycleState))
			}
		}
		return len(left) == 0, strings.Join(left, ", "), nil
	})
}

func (c autoScalingGroups) waitDrained(ctx context.Context, name string) error {
	return poll(ctx, "Auto Scaling group "+name+" to drain", func(ctx context.Context) (bool, string, error) {
		g, err := c.findGroupByName(ctx, name)
		if err != nil {
			return false, "", err
		}
		return len(g.Instances) == 0, fmt.Sprintf("%d instances left", len(g.Instances)), nil
	})
}

// scalingActivitiesPage: the newest activities are enough to see a failure
// of the current operation. API limit is 100.
const scalingActivitiesPage = 20

// retriedLaunchFailures are failed-activity messages of launches Auto Scaling
// tries again by itself: an instance profile made moments ago is not yet
// usable by EC2 ("Invalid IAM Instance Profile name"), and the group keeps
// launching toward its desired capacity. hashicorp/aws skips exactly this
// message for the same reason (autoscaling/group.go, statusGroupCapacity:
// "the activity will likely be retried"); a wait that only ever sees it ends
// at its deadline, quoting it.
var retriedLaunchFailures = []string{"Invalid IAM Instance Profile"}

// capacityFailures are failed-activity messages of launches refused for
// want of capacity: EC2's InsufficientInstanceCapacity ("We currently do
// not have sufficient <type> capacity in the Availability Zone you
// requested", as the scaling activity quotes it) and Spot's "There is no
// Spot capacity available". Auto Scaling keeps launching toward desired
// capacity after them (EC2 Auto Scaling user guide, "Troubleshoot Amazon EC2
// Auto Scaling: EC2 instance launch failures", which says to wait, or to
// use other types or zones), so they are waited on, for CapacityWait.
// hashicorp/aws fails aws_autoscaling_group's capacity wait on none of them
// either: it waits out wait_for_capacity_timeout (10 minutes by default).
var capacityFailures = []string{"InsufficientInstanceCapacity", "do not have sufficient", "no Spot capacity available"}

// failedActivity reads the group's scaling activities started since the
// operation began. A finished, failed activity that AWS will not retry ends
// the wait with AWS's own reason (err); one it retries is only reported
// (retried, for the wait's state), and a capacity failure ends the wait only
// once the operation has waited CapacityWait.
func (c autoScalingGroups) failedActivity(ctx context.Context, name string, since time.Time) (retried string, err error) {
	out, err := c.asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(name), MaxRecords: aws.Int32(scalingActivitiesPage)})
	if err != nil {
		return "", fmt.Errorf("reading scaling activities of Auto Scaling group (%s): %w", name, err)
	}
	for _, a := range out.Activities {
		// Only finished activities count (hashicorp/aws: Progress 100).
		if a.StatusCode != astypes.ScalingActivityStatusCodeFailed || a.StartTime == nil || a.StartTime.Before(since) || aws.ToInt32(a.Progress) != 100 {
			continue
		}
		msg := aws.ToString(a.StatusMessage)
		if containsAny(msg, capacityFailures) {
			if waited := time.Since(since); waited >= c.capacityWait() {
				return "", fmt.Errorf("launches of Auto Scaling group (%s) refused for want of capacity for %s (Auto Scaling retries them by itself; "+
					"the wait gives them %s): %s; choose an instance type with capacity in the group's zone, or apply again later", name, waited.Round(time.Second), c.capacityWait(), msg)
			}
			if retried == "" {
				retried = "no capacity yet, Auto Scaling retries it: " + msg
			}
			continue
		}
		if containsAny(msg, retriedLaunchFailures) {
			if retried == "" {
				retried = "launch failed, Auto Scaling retries it: " + msg
			}
			continue
		}
		return "", fmt.Errorf("scaling activity of Auto Scaling group (%s) failed: %s", name, msg)
	}
	return retried, nil
}

func containsAny(s string, subs []string) bool {
	return slices.ContainsFunc(subs, func(sub string) bool { return strings.Contains(s, sub) })
}

// withRetried appends a retried launch failure to a wait's state.
func withRetried(state, retried string) string {
	if retried == "" {
		return state
	}
	return state + "; " + retried
}
