package cloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// One Auto Scaling group per zone. Desired capacity belongs to autoscaling:
// it is set on create and never reset by an update (only clamped into a new
// [min, max]), and it is never drift. A new launch template version is
// rolled out by the provider itself (autoscalingrollout.go), gated on target
// health, so the behaviour is the same wherever it runs.
type autoScalingGroups struct{ *Cloud }

func (c autoScalingGroups) findGroups(ctx context.Context, input *autoscaling.DescribeAutoScalingGroupsInput) ([]astypes.AutoScalingGroup, error) {
	var out []astypes.AutoScalingGroup
	pages := autoscaling.NewDescribeAutoScalingGroupsPaginator(c.asg, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.AutoScalingGroups...)
	}
	return out, nil
}

func (c autoScalingGroups) findGroupByName(ctx context.Context, name string) (*astypes.AutoScalingGroup, error) {
	groups, err := c.findGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return nil, fmt.Errorf("reading Auto Scaling group (%s): %w", name, err)
	}
	// Eventual consistency check: only the group asked for counts.
	for i := range groups {
		if aws.ToString(groups[i].AutoScalingGroupName) == name {
			return &groups[i], nil
		}
	}
	return nil, notFound("Auto Scaling group", name)
}

func (c autoScalingGroups) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.AutoScalingGroupProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	g, err := c.findGroupByName(ctx, p.Name)
	switch {
	case err == nil:
		if err := checkOwned(p, "Auto Scaling group", p.Name, fromASGTags(g.Tags)); err != nil {
			return engine.Observation{}, err
		}
		return c.update(ctx, p, engine.Observation{Name: p.Name}, refs)
	case !errors.Is(err, ErrNotFound):
		return engine.Observation{}, err
	}
	lt, tg, err := groupRefs(props, refs)
	if err != nil {
		return engine.Observation{}, err
	}
	started := time.Now()
	err = retryProfilePropagation(ctx, "creating Auto Scaling group "+p.Name, func(ctx context.Context) error {
		return retryBusy(ctx, "Auto Scaling group "+p.Name+" to be created", func(ctx context.Context) error {
			tmpl, policy, rebalance := groupLaunch(props.Mix, lt)
			_, err := createCall(ctx, c.asg.CreateAutoScalingGroup, &autoscaling.CreateAutoScalingGroupInput{
				AutoScalingGroupName: aws.String(p.Name), MinSize: aws.Int32(props.Min), MaxSize: aws.Int32(props.Max),
				DesiredCapacity: aws.Int32(props.Desired), VPCZoneIdentifier: aws.String(props.SubnetID),
				LaunchTemplate: tmpl, MixedInstancesPolicy: policy, CapacityRebalance: rebalance,
				TargetGroupARNs: []string{tg.ARN}, HealthCheckType: aws.String(props.HealthCheckType),
				HealthCheckGracePeriod: aws.Int32(props.GracePeriod), DefaultInstanceWarmup: aws.Int32(props.DefaultWarmup),
				InstanceMaintenancePolicy: maintenancePolicy(props.Maintenance),
				Tags:                      asgTags(p.Name, p.Tags),
			})
			return err
		})
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("creating Auto Scaling group (%s): %w", p.Name, err)
	}
	// From here on the group exists and is ours, whatever fails next.
	if err := c.waitTargetGroupsAdded(ctx, p.Name); err != nil {
		return createdObservation(p, p.Name, p.Name, ""), err
	}
	if err := c.syncGroupMetrics(ctx, p.Name, nil, props.CollectMetrics); err != nil {
		return createdObservation(p, p.Name, p.Name, ""), err
	}
	// An evacuated zone's group is never waited on: in a zone that is down
	// its instances never become healthy.
	if err := c.syncEvacuation(ctx, p.Name, props.Evacuated); err != nil {
		return createdObservation(p, p.Name, p.Name, ""), err
	}
	if !props.Evacuated {
		if err := c.waitReady(ctx, p.Name, props, tg.ARN, started); err != nil {
			return createdObservation(p, p.Name, p.Name, ""), err
		}
	}
	o, err := c.observe(ctx, p, refs)
	if err != nil {
		return createdObservation(p, p.Name, p.Name, ""), err
	}
	return o, nil
}

// update first resumes what an interrupted rollout left suspended, then
// changes what differs in place, clamps (never resets) the desired capacity,
// syncs target groups and tags, and rolls out the template version when the
// pinned one changed or instances still run another one.
func (c autoScalingGroups) update(ctx context.Context, p blueprint.Part, _ engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.AutoScalingGroupProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	lt, tg, err := groupRefs(props, refs)
	if err != nil {
		return engine.Observation{}, err
	}
	g, err := c.findGroupByName(ctx, p.Name)
	if err != nil {
		return engine.Observation{}, err
	}
	if props.Evacuated || hasTag(g, tagEvacuated) {
		// An evacuated group is suspended before anything else (the zonal
		// shift did it already unless the mark was lost) and never waited on
		// below. A returning one resumes first, so its rollout and its wait
		// for min in service can launch (Launch was suspended).
		if err := c.syncEvacuation(ctx, p.Name, props.Evacuated); err != nil {
			return engine.Observation{}, err
		}
	}
	if hasRolloutMark(g) {
		if err := c.resumeAfterRollout(ctx, p.Name); err != nil {
			return engine.Observation{}, err
		}
	}
	started := time.Now()
	in := &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(p.Name), MinSize: aws.Int32(props.Min), MaxSize: aws.Int32(props.Max),
		VPCZoneIdentifier: aws.String(props.SubnetID), HealthCheckType: aws.String(props.HealthCheckType),
		HealthCheckGracePeriod: aws.Int32(props.GracePeriod), DefaultInstanceWarmup: aws.Int32(props.DefaultWarmup),
	}
	if len(maintenanceDrift(g, props.Maintenance)) > 0 {
		in.InstanceMaintenancePolicy = maintenanceUpdate(props.Maintenance)
	}
	if d := aws.ToInt32(g.DesiredCapacity); d < props.Min || d > props.Max {
		in.DesiredCapacity = aws.Int32(min(max(d, props.Min), props.Max))
	}
	// A zone returned: the capacity the evacuation added to this group goes
	// (its min is back to normal already), now that the returned zone's
	// targets are healthy and serve again.
	if d := aws.ToInt32(g.DesiredCapacity); props.ResetDesired && d > props.Desired {
		in.DesiredCapacity = aws.Int32(min(max(props.Desired, props.Min), props.Max))
	}
	// A new version is pinned by the rollout, once the other changes are in.
	// An evacuated group pins it at once and rolls out when its zone returns
	// (its Launch is suspended, and in a zone that is down nothing launches).
	// The policy's other settings (types added, the Spot share) change in
	// place: AWS applies them to the next launches.
	rollout := !props.Evacuated && rolloutPending(g, lt, props.Mix)
	if !rollout {
		in.LaunchTemplate, in.MixedInstancesPolicy, in.CapacityRebalance = groupLaunch(props.Mix, lt)
	}
	if err := c.updateGroup(ctx, in); err != nil {
		return engine.Observation{}, fmt.Errorf("updating Auto Scaling group (%s): %w", p.Name, err)
	}
	if err := c.syncTargetGroups(ctx, p.Name, g.TargetGroupARNs, tg.ARN); err != nil {
		return engine.Observation{}, err
	}
	if err := c.syncGroupMetrics(ctx, p.Name, g, props.CollectMetrics); err != nil {
		return engine.Observation{}, err
	}
	if missing := missingTags(p.Tags, fromASGTags(g.Tags)); len(missing) > 0 {
		err := retryBusyOrInUse(ctx, "Auto Scaling group "+p.Name+" to accept tags", func(ctx context.Context) error {
			_, err := c.asg.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: asgTags(p.Name, missing)})
			return err
		})
		if err != nil {
			return engine.Observation{}, fmt.Errorf("tagging Auto Scaling group (%s): %w", p.Name, err)
		}
	}
	if rollout {
		if err := c.rollout(ctx, p.Name, props, lt, tg.ARN); err != nil {
			return engine.Observation{}, err
		}
	}
	if props.Evacuated {
		return c.observe(ctx, p, refs)
	}
	if err := c.waitReady(ctx, p.Name, props, tg.ARN, started); err != nil {
		return engine.Observation{}, err
	}
	return c.observe(ctx, p, refs)
}

// delete drains the group to zero, waits for its instances to go, deletes it
// (retrying while a scaling activity is still in flight) and waits until it
// is gone. Its scaling policies go first, as AWS would delete them anyway.
func (c autoScalingGroups) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	name := cmp.Or(cur.Name, p.Name)
	if _, err := c.findGroupByName(ctx, name); errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := scalingPolicies(c).deleteGroupPolicies(ctx, name); err != nil {
		return err
	}
	err := c.updateGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name), MinSize: aws.Int32(0), DesiredCapacity: aws.Int32(0),
	})
	if err != nil {
		return fmt.Errorf("draining Auto Scaling group (%s): %w", name, err)
	}
	if err := c.waitDrained(ctx, name); err != nil {
		return err
	}
	// hashicorp/aws retries ResourceInUse and ScalingActivityInProgress here
	// (autoscaling/group.go, resourceGroupDelete); the API reference adds
	// ResourceContention.
	err = retryBusyOrInUse(ctx, "Auto Scaling group "+name+" to be deletable", func(ctx context.Context) error {
		_, err := c.asg.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), ForceDelete: aws.Bool(false)})
		if isValidationNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting Auto Scaling group (%s): %w", name, err)
	}
	w := autoscaling.NewGroupNotExistsWaiter(c.asg, func(o *autoscaling.GroupNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = waiterMinDelay, waiterMaxDelay
	})
	if err := w.Wait(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}}, waitBudget(ctx)); err != nil {
		return fmt.Errorf("waiting for Auto Scaling group (%s) deletion: %w", name, err)
	}
	return nil
}

func (c autoScalingGroups) observe(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	g, err := c.findGroupByName(ctx, p.Name)
	if err != nil {
		return engine.Observation{}, err
	}
	return groupObservation(p, g, refs), nil
}

// groupRefs returns the template (with the version to pin) and target group.
func groupRefs(props blueprint.AutoScalingGroupProps, refs engine.Refs) (lt, tg engine.Observation, err error) {
	if lt, err = ref(refs, props.LaunchTemplateKey); err != nil {
		return lt, tg, err
	}
	if lt.Attrs["version"] == "" {
		return lt, tg, fmt.Errorf("launch template %s has no version to pin", lt.Name)
	}
	tg, err = ref(refs, props.TargetGroupKey)
	return lt, tg, err
}

func pinnedVersion(g *astypes.AutoScalingGroup) string {
	if s := pinnedSpec(g); s != nil {
		return aws.ToString(s.Version)
	}
	return ""
}

func pinnedTemplate(g *astypes.AutoScalingGroup) string {
	if s := pinnedSpec(g); s != nil {
		return aws.ToString(s.LaunchTemplateId)
	}
	return ""
}

func groupDrift(g *astypes.AutoScalingGroup, props blueprint.AutoScalingGroupProps, refs engine.Refs) []string {
	var drift []string
	num := func(what string, have *int32, want int32) {
		if aws.ToInt32(have) != want {
			drift = append(drift, fmt.Sprintf("%s %d, want %d", what, aws.ToInt32(have), want))
		}
	}
	num("min size", g.MinSize, props.Min)
	num("max size", g.MaxSize, props.Max)
	num("health check grace period", g.HealthCheckGracePeriod, props.GracePeriod)
	// A group without a default warmup does not report one: compare only a
	// reported value (clearing it out of band then goes unseen).
	if g.DefaultInstanceWarmup != nil {
		num("default instance warmup", g.DefaultInstanceWarmup, props.DefaultWarmup)
	}
	if v := aws.ToString(g.HealthCheckType); v != props.HealthCheckType {
		drift = append(drift, fmt.Sprintf("health check type %s, want %s", v, props.HealthCheckType))
	}
	if v := aws.ToString(g.VPCZoneIdentifier); v != props.SubnetID {
		drift = append(drift, fmt.Sprintf("subnets %s, want %s", v, props.SubnetID))
	}
	switch lt, ok := refs[props.LaunchTemplateKey]; {
	case !ok:
		drift = append(drift, "launch template "+props.LaunchTemplateKey+" missing")
	case lt.Attrs["version"] == "":
		drift = append(drift, fmt.Sprintf("launch template version %s, want the new version", pinnedVersion(g)))
	case pinnedTemplate(g) != lt.ID || pinnedVersion(g) != lt.Attrs["version"]:
		drift = append(drift, fmt.Sprintf("launch template %s version %s, want %s version %s", pinnedTemplate(g), pinnedVersion(g), lt.ID, lt.Attrs["version"]))
	}
	// An evacuated group's instances roll out when its zone returns.
	if lt, ok := refs[props.LaunchTemplateKey]; ok && lt.Attrs["version"] != "" && !props.Evacuated {
		drift = append(drift, versionDrift(g, lt.ID, lt.Attrs["version"])...)
		drift = append(drift, typeDrift(g, props.Mix)...)
	}
	drift = append(drift, mixDrift(g, props.Mix)...)
	drift = append(drift, suspendDrift(g)...)
	drift = append(drift, evacuationDrift(g, props.Evacuated)...)
	drift = append(drift, metricsDrift(g, props.CollectMetrics)...)
	drift = append(drift, maintenanceDrift(g, props.Maintenance)...)
	if tg, ok := refs[props.TargetGroupKey]; !ok {
		drift = append(drift, "target group "+props.TargetGroupKey+" missing")
	} else if !sameSet(g.TargetGroupARNs, []string{tg.ARN}) {
		drift = append(drift, fmt.Sprintf("%d target groups, want only %s", len(g.TargetGroupARNs), arnSuffix(tg.ARN)))
	}
	return drift
}

func groupObservation(p blueprint.Part, g *astypes.AutoScalingGroup, refs engine.Refs) engine.Observation {
	name := aws.ToString(g.AutoScalingGroupName)
	tags := fromASGTags(g.Tags)
	o := newObservation(p, name, name, aws.ToString(g.AutoScalingGroupARN), tags)
	o.Attrs["min"] = strconv.Itoa(int(aws.ToInt32(g.MinSize)))
	o.Attrs["max"] = strconv.Itoa(int(aws.ToInt32(g.MaxSize)))
	o.Attrs["desired"] = strconv.Itoa(int(aws.ToInt32(g.DesiredCapacity)))
	o.Attrs["lt_version"] = pinnedVersion(g)
	healthy, unhealthy := instanceHealth(g)
	o.Attrs[engine.AttrInServiceHealthy], o.Attrs[engine.AttrUnhealthy] = strconv.Itoa(healthy), strconv.Itoa(unhealthy)

	if len(g.AvailabilityZones) > 0 {
		o.Attrs["zone"] = g.AvailabilityZones[0]
	}
	o.Props = blueprint.AutoScalingGroupProps{
		Zone: firstOr(g.AvailabilityZones), SubnetID: aws.ToString(g.VPCZoneIdentifier),
		Min: aws.ToInt32(g.MinSize), Desired: aws.ToInt32(g.DesiredCapacity), Max: aws.ToInt32(g.MaxSize),
		CollectMetrics:    collectsMetrics(g),
		LaunchTemplateKey: refKeyByID(refs, blueprint.KindLaunchTemplate, pinnedTemplate(g)),
		TargetGroupKey:    refKeyByARN(refs, blueprint.KindTargetGroup, firstOr(g.TargetGroupARNs)),
		HealthCheckType:   aws.ToString(g.HealthCheckType), GracePeriod: aws.ToInt32(g.HealthCheckGracePeriod),
		DefaultWarmup: aws.ToInt32(g.DefaultInstanceWarmup), Maintenance: foundMaintenance(g), Mix: foundMix(g),
	}
	if props, ok := p.Props.(blueprint.AutoScalingGroupProps); ok {
		o.Attrs["zone"] = props.Zone
		o.Drift = append(groupDrift(g, props, refs), tagDrift(p.Tags, tags)...)
		if lt, ok := refs[props.LaunchTemplateKey]; ok && lt.Attrs["version"] != "" && rolloutPending(g, lt, props.Mix) {
			o.Attrs[engine.AttrRolloutPending] = "true"
		}
	}
	return o
}

// updateGroup calls UpdateAutoScalingGroup, retrying while the group is busy.
func (c autoScalingGroups) updateGroup(ctx context.Context, in *autoscaling.UpdateAutoScalingGroupInput) error {
	return retryBusy(ctx, "Auto Scaling group "+aws.ToString(in.AutoScalingGroupName)+" to accept an update", func(ctx context.Context) error {
		_, err := c.asg.UpdateAutoScalingGroup(ctx, in)
		return err
	})
}
