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
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// rolloutBatchDivisor: each batch replaces a third of the group (at least one
// instance), so two thirds keep serving while the new ones warm up.
const rolloutBatchDivisor = 3

// restoreTimeout bounds the clean-up after a failed rollout (restoring the
// max size), which runs even when the caller's context is done.
const restoreTimeout = 30 * time.Second

// rollout replaces the group's instances with ones from the new template
// version: pin the version, then, batch by batch, add new instances, wait
// until they are in service and healthy in the target group, and terminate
// as many old ones. Old instances are the ones present before the rollout:
// an instance's reported template version cannot be relied on everywhere.
func (c autoScalingGroups) rollout(ctx context.Context, name string, props blueprint.AutoScalingGroupProps, lt engine.Observation, tgARN string) (err error) {
	g, err := c.findGroupByName(ctx, name)
	if err != nil {
		return err
	}
	old := map[string]bool{}
	for _, inst := range g.Instances {
		old[aws.ToString(inst.InstanceId)] = true
	}
	_, err = c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt.ID), Version: aws.String(lt.Attrs["version"])}})
	if err != nil {
		return fmt.Errorf("pinning launch template version %s in Auto Scaling group (%s): %w", lt.Attrs["version"], name, err)
	}
	raisedMax := false
	defer func() {
		if !raisedMax {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
		defer cancel()
		_, rerr := c.asg.UpdateAutoScalingGroup(rctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), MaxSize: aws.Int32(props.Max)})
		if rerr != nil && err == nil {
			err = fmt.Errorf("restoring max size of Auto Scaling group (%s): %w", name, rerr)
		}
	}()
	started := time.Now()
	for {
		g, err := c.findGroupByName(ctx, name)
		if err != nil {
			return err
		}
		var remaining []string
		for _, inst := range g.Instances {
			if id := aws.ToString(inst.InstanceId); old[id] && !leaving(inst) {
				remaining = append(remaining, id)
			}
		}
		if len(remaining) == 0 {
			return nil
		}
		slices.Sort(remaining)
		batch := min(max(1, len(g.Instances)/rolloutBatchDivisor), len(remaining))
		desired := aws.ToInt32(g.DesiredCapacity) + int32(batch)
		if desired > aws.ToInt32(g.MaxSize) {
			if _, err := c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), MaxSize: aws.Int32(desired)}); err != nil {
				return fmt.Errorf("raising max size of Auto Scaling group (%s) for the rollout: %w", name, err)
			}
			raisedMax = true
		}
		if _, err := c.asg.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(name), DesiredCapacity: aws.Int32(desired), HonorCooldown: aws.Bool(false)}); err != nil {
			return fmt.Errorf("adding %d instances to Auto Scaling group (%s): %w", batch, name, err)
		}
		if err := c.waitNewInstancesHealthy(ctx, name, old, desired, tgARN, started); err != nil {
			return err
		}
		for _, id := range remaining[:batch] {
			_, err := c.asg.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(true)})
			if err != nil && !isValidationNotFound(err) {
				return fmt.Errorf("terminating old instance %s of Auto Scaling group (%s): %w", id, name, err)
			}
		}
		if err := c.waitInstancesGone(ctx, name, remaining[:batch]); err != nil {
			return err
		}
	}
}

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
// service and every in-service instance not in old is healthy in the target
// group. Only those instances' health is asked for: a target group may keep
// other instances registered.
func (c autoScalingGroups) waitNewInstancesHealthy(ctx context.Context, name string, old map[string]bool, desired int32, tgARN string, since time.Time) error {
	return poll(ctx, "new instances of Auto Scaling group "+name+" to be healthy", func(ctx context.Context) (bool, string, error) {
		g, err := c.findGroupByName(ctx, name)
		if err != nil {
			return false, "", err
		}
		if err := c.failedActivity(ctx, name, since); err != nil {
			return false, "", err
		}
		ids := inService(g)
		if n := int32(len(ids)); n < desired {
			return false, fmt.Sprintf("%d of %d instances in service", n, desired), nil
		}
		fresh := slices.DeleteFunc(ids, func(id string) bool { return old[id] })
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
		if err := c.failedActivity(ctx, name, since); err != nil {
			return false, "", err
		}
		ids := inService(g)
		if n := int32(len(ids)); n < props.Min {
			return false, fmt.Sprintf("%d of %d instances in service", n, props.Min), nil
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

// failedActivity fails fast, with AWS's own reason, when a scaling activity
// of the group started since the operation began has failed.
func (c autoScalingGroups) failedActivity(ctx context.Context, name string, since time.Time) error {
	out, err := c.asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(name), MaxRecords: aws.Int32(scalingActivitiesPage)})
	if err != nil {
		return fmt.Errorf("reading scaling activities of Auto Scaling group (%s): %w", name, err)
	}
	for _, a := range out.Activities {
		if a.StatusCode == astypes.ScalingActivityStatusCodeFailed && a.StartTime != nil && !a.StartTime.Before(since) {
			return fmt.Errorf("scaling activity of Auto Scaling group (%s) failed: %s", name, aws.ToString(a.StatusMessage))
		}
	}
	return nil
}
