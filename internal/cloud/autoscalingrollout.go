package cloud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// rolloutBatchDivisor: each batch replaces a third of the group (at least one
// instance), so two thirds keep serving while the new ones warm up.
const rolloutBatchDivisor = 3

// restoreTimeout bounds the clean-up after a rollout (restoring the max size,
// resuming suspended processes), which runs even when the caller's context
// is done, so an interrupted apply still leaves target tracking working.
const restoreTimeout = 2 * time.Minute

// rollout replaces the group's instances that run another launch template
// version than lt's (or a type the group's policy no longer offers) with
// ones from lt's version: pin the version, suspend
// what would fight the rollout (autoscalingsuspend.go), then, batch by
// batch, add new instances, wait until they are in service and healthy in
// the target group, and terminate as many outdated ones. The outdated ones
// are read from each instance's reported template version, so a rollout that
// was interrupted is finished by the next one. Processes are resumed and the
// max size restored afterwards, on failure too.
func (c autoScalingGroups) rollout(ctx context.Context, name string, props blueprint.AutoScalingGroupProps, lt engine.Observation, tgARN string) (err error) {
	version := lt.Attrs["version"]
	pin := &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name)}
	pin.LaunchTemplate, pin.MixedInstancesPolicy, pin.CapacityRebalance = groupLaunch(props.Mix, lt)
	err = c.updateGroup(ctx, pin)
	if err != nil {
		return fmt.Errorf("pinning launch template version %s in Auto Scaling group (%s): %w", version, name, err)
	}
	raisedMax := false
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
		defer cancel()
		var errs []error
		if raisedMax {
			if rerr := c.updateGroup(rctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), MaxSize: aws.Int32(props.Max)}); rerr != nil {
				errs = append(errs, fmt.Errorf("restoring max size of Auto Scaling group (%s): %w", name, rerr))
			}
		}
		if rerr := c.resumeAfterRollout(rctx, name); rerr != nil {
			errs = append(errs, rerr)
		}
		err = errors.Join(append([]error{err}, errs...)...)
	}()
	if err := c.suspendForRollout(ctx, name); err != nil {
		return err
	}
	current := func(inst astypes.Instance) bool {
		return onVersion(inst, lt.ID, version) && typeAllowed(inst, props.Mix)
	}
	started := time.Now()
	for {
		g, err := c.findGroupByName(ctx, name)
		if err != nil {
			return err
		}
		old := outdated(g, current)
		if len(old) == 0 {
			return nil
		}
		batch := min(max(1, len(inService(g))/rolloutBatchDivisor), len(old))
		desired := aws.ToInt32(g.DesiredCapacity) + int32(batch)
		if desired > aws.ToInt32(g.MaxSize) {
			if err := c.updateGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), MaxSize: aws.Int32(desired)}); err != nil {
				return fmt.Errorf("raising max size of Auto Scaling group (%s) for the rollout: %w", name, err)
			}
			raisedMax = true
		}
		err = retryBusy(ctx, "Auto Scaling group "+name+" to accept a new desired capacity", func(ctx context.Context) error {
			_, err := c.asg.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(name), DesiredCapacity: aws.Int32(desired), HonorCooldown: aws.Bool(false)})
			return err
		})
		if err != nil {
			return fmt.Errorf("adding %d instances to Auto Scaling group (%s): %w", batch, name, err)
		}
		if err := c.waitNewInstancesHealthy(ctx, name, current, desired, tgARN, started); err != nil {
			return err
		}
		for _, id := range old[:batch] {
			if err := c.terminateInstance(ctx, name, id); err != nil {
				return err
			}
		}
		if err := c.waitInstancesGone(ctx, name, old[:batch]); err != nil {
			return err
		}
	}
}

// rolloutPending reports whether the group pins another template version
// than lt's, or runs instances of another one or of a type the policy no
// longer offers: its update rolls out. A change of the types' order alone
// replaces nothing (a reorder that changes the first type changes the
// template, which does).
func rolloutPending(g *astypes.AutoScalingGroup, lt engine.Observation, mix *blueprint.GroupMix) bool {
	version := lt.Attrs["version"]
	return pinnedVersion(g) != version || pinnedTemplate(g) != lt.ID ||
		len(outdated(g, func(inst astypes.Instance) bool { return onVersion(inst, lt.ID, version) && typeAllowed(inst, mix) })) > 0
}

// terminateInstance terminates one instance of the group and lowers its
// desired capacity. An instance the group no longer manages (scaled in or
// replaced meanwhile) is done already.
func (c autoScalingGroups) terminateInstance(ctx context.Context, name, id string) error {
	err := retryBusy(ctx, "Auto Scaling group "+name+" to terminate "+id, func(ctx context.Context) error {
		_, err := c.asg.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(true)})
		if isInstanceGone(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("terminating outdated instance %s of Auto Scaling group (%s): %w", id, name, err)
	}
	return nil
}

// onVersion reports whether an instance runs the given launch template
// version. An instance that reports no template has nothing to compare and
// counts as current.
func onVersion(inst astypes.Instance, ltID, version string) bool {
	lt := inst.LaunchTemplate
	if lt == nil {
		return true
	}
	if id := aws.ToString(lt.LaunchTemplateId); id != "" && id != ltID {
		return false
	}
	return aws.ToString(lt.Version) == version
}

// outdated lists, sorted, the instances not on their way out that are not current.
func outdated(g *astypes.AutoScalingGroup, current func(astypes.Instance) bool) []string {
	var ids []string
	for _, inst := range g.Instances {
		if !leaving(inst) && !current(inst) {
			ids = append(ids, aws.ToString(inst.InstanceId))
		}
	}
	slices.Sort(ids)
	return ids
}

// versionDrift counts the instances on other launch template versions than
// the wanted one, per version, e.g. "2 instances on launch template version
// 1, want 2": a rollout that did not finish, which the next update finishes.
func versionDrift(g *astypes.AutoScalingGroup, ltID, version string) []string {
	count := map[string]int{}
	for _, inst := range g.Instances {
		if leaving(inst) || onVersion(inst, ltID, version) {
			continue
		}
		what := "launch template version " + aws.ToString(inst.LaunchTemplate.Version)
		if id := aws.ToString(inst.LaunchTemplate.LaunchTemplateId); id != "" && id != ltID {
			what = "launch template " + id + " version " + aws.ToString(inst.LaunchTemplate.Version)
		}
		count[what]++
	}
	var drift []string
	for _, what := range slices.Sorted(maps.Keys(count)) {
		noun := "instances"
		if count[what] == 1 {
			noun = "instance"
		}
		drift = append(drift, fmt.Sprintf("%d %s on %s, want %s", count[what], noun, what, version))
	}
	return drift
}

// suspendDrift reports processes an interrupted rollout left suspended.
func suspendDrift(g *astypes.AutoScalingGroup) []string {
	if left := leftSuspended(g); len(left) > 0 {
		return []string{strings.Join(left, ", ") + " suspended by an interrupted rollout, want resumed"}
	}
	return nil
}
