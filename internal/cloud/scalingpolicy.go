package cloud

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// One target-tracking policy per zonal group. Policies have no tags: they
// live inside the group, whose ownership is theirs. PutScalingPolicy creates
// or replaces, so create and update are the same idempotent call.
type scalingPolicies struct{ *Cloud }

func (c scalingPolicies) findPolicies(ctx context.Context, input *autoscaling.DescribePoliciesInput) ([]astypes.ScalingPolicy, error) {
	var out []astypes.ScalingPolicy
	pages := autoscaling.NewDescribePoliciesPaginator(c.asg, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.ScalingPolicies...)
	}
	return out, nil
}

func (c scalingPolicies) findPolicyByName(ctx context.Context, group, name string) (*astypes.ScalingPolicy, error) {
	policies, err := c.findPolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String(group), PolicyNames: []string{name}})
	if isValidationNotFound(err) {
		return nil, notFound("scaling policy", name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading scaling policy (%s): %w", name, err)
	}
	for i := range policies {
		if aws.ToString(policies[i].PolicyName) == name {
			return &policies[i], nil
		}
	}
	return nil, notFound("scaling policy", name)
}

func (c scalingPolicies) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	return c.update(ctx, p, engine.Observation{}, refs)
}

func (c scalingPolicies) update(ctx context.Context, p blueprint.Part, _ engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.ScalingPolicyProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	group, err := ref(refs, props.AutoScalingGroupKey)
	if err != nil {
		return engine.Observation{}, err
	}
	cfg, err := targetTracking(props, refs)
	if err != nil {
		return engine.Observation{}, err
	}
	if props.Metric == blueprint.MetricRequestCountPerTarget {
		if err := c.waitRequestCountLabel(ctx, group.Name, props, refs); err != nil {
			return engine.Observation{}, err
		}
	}
	// ResourceContention is in PutScalingPolicy's Errors (API reference); the
	// not-attached ValidationError can still come while the attachment
	// propagates after the wait above saw it.
	err = retryWhile(ctx, "Auto Scaling group "+group.Name+" to accept scaling policy "+p.Name, func(err error) bool {
		return isASGBusy(err) || (errCode(err) == errCodeValidationError && strings.Contains(errMessage(err), errMsgTargetGroupNotAttached))
	}, func(ctx context.Context) error {
		_, err := c.asg.PutScalingPolicy(ctx, &autoscaling.PutScalingPolicyInput{
			AutoScalingGroupName: aws.String(group.Name), PolicyName: aws.String(p.Name), PolicyType: aws.String("TargetTrackingScaling"),
			TargetTrackingConfiguration: cfg, EstimatedInstanceWarmup: aws.Int32(props.Warmup),
		})
		return err
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("writing scaling policy (%s): %w", p.Name, err)
	}
	// Read it back: the observation then shows what AWS stored, ARN included.
	pol, err := c.findPolicyByName(ctx, group.Name, p.Name)
	if err != nil {
		return createdObservation(p, p.Name, group.Name, ""), err
	}
	return policyObservation(p, pol, refs), nil
}

func (c scalingPolicies) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	in := &autoscaling.DeletePolicyInput{PolicyName: aws.String(cur.ARN)}
	if cur.ARN == "" {
		if cur.ID == "" {
			return nil // never written: a policy is found through its group
		}
		in = &autoscaling.DeletePolicyInput{AutoScalingGroupName: aws.String(cur.ID), PolicyName: aws.String(cmp.Or(cur.Name, p.Name))}
	}
	err := retryBusy(ctx, "Auto Scaling to delete scaling policy "+cmp.Or(cur.Name, p.Name), func(ctx context.Context) error {
		_, err := c.asg.DeletePolicy(ctx, in)
		return err
	})
	if err != nil && !isValidationNotFound(err) {
		return fmt.Errorf("deleting scaling policy (%s): %w", cmp.Or(cur.Name, p.Name), err)
	}
	return nil
}

// waitRequestCountLabel waits until what the request count metric's resource
// label names exists: the target group attached to the group and no longer
// Adding (hashicorp/aws waits the same way after attaching,
// autoscaling/group.go waitLoadBalancerTargetGroupsAdded), and served by a
// listener of the load balancer (the metric is per load balancer and target
// group pair). The listener is a sibling part created in parallel, so this
// wait is what orders the policy after it.
func (c scalingPolicies) waitRequestCountLabel(ctx context.Context, group string, props blueprint.ScalingPolicyProps, refs engine.Refs) error {
	lb, err := ref(refs, props.LoadBalancerKey)
	if err != nil {
		return err
	}
	tg, err := ref(refs, props.TargetGroupKey)
	if err != nil {
		return err
	}
	groups := autoScalingGroups(c)
	if err := groups.waitTargetGroupAttached(ctx, group, tg.ARN); err != nil {
		return err
	}
	return groups.waitTargetGroupServedBy(ctx, tg.ARN, lb.ARN)
}

// deleteGroupPolicies deletes every policy of a group before the group goes.
func (c scalingPolicies) deleteGroupPolicies(ctx context.Context, group string) error {
	policies, err := c.findPolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String(group)})
	if err != nil {
		if isValidationNotFound(err) {
			return nil
		}
		return fmt.Errorf("reading scaling policies of Auto Scaling group (%s): %w", group, err)
	}
	for _, pol := range policies {
		if err := c.delete(ctx, blueprint.Part{}, engine.Observation{Name: aws.ToString(pol.PolicyName), ID: group}); err != nil {
			return err
		}
	}
	return nil
}

// targetTracking builds the policy: request count per target needs the load
// balancer's and target group's ARN suffixes as the resource label.
func targetTracking(props blueprint.ScalingPolicyProps, refs engine.Refs) (*astypes.TargetTrackingConfiguration, error) {
	spec := &astypes.PredefinedMetricSpecification{}
	switch props.Metric {
	case blueprint.MetricRequestCountPerTarget:
		lb, err := ref(refs, props.LoadBalancerKey)
		if err != nil {
			return nil, err
		}
		tg, err := ref(refs, props.TargetGroupKey)
		if err != nil {
			return nil, err
		}
		spec.PredefinedMetricType = astypes.MetricTypeALBRequestCountPerTarget
		spec.ResourceLabel = aws.String(lb.Attrs["arn_suffix"] + "/" + tg.Attrs["arn_suffix"])
	case blueprint.MetricCPU:
		spec.PredefinedMetricType = astypes.MetricTypeASGAverageCPUUtilization
	default:
		return nil, fmt.Errorf("unknown scaling metric %q", props.Metric)
	}
	return &astypes.TargetTrackingConfiguration{PredefinedMetricSpecification: spec, TargetValue: aws.Float64(props.Target), DisableScaleIn: aws.Bool(props.DisableScaleIn)}, nil
}

func policyDrift(pol *astypes.ScalingPolicy, props blueprint.ScalingPolicyProps, refs engine.Refs) []string {
	want, err := targetTracking(props, refs)
	if err != nil {
		return []string{err.Error()}
	}
	have := pol.TargetTrackingConfiguration
	if aws.ToString(pol.PolicyType) != "TargetTrackingScaling" || have == nil || have.PredefinedMetricSpecification == nil {
		return []string{fmt.Sprintf("policy type %s, want target tracking", aws.ToString(pol.PolicyType))}
	}
	var drift []string
	hs, ws := have.PredefinedMetricSpecification, want.PredefinedMetricSpecification
	if hs.PredefinedMetricType != ws.PredefinedMetricType {
		drift = append(drift, fmt.Sprintf("metric %s, want %s", hs.PredefinedMetricType, ws.PredefinedMetricType))
	}
	if aws.ToString(hs.ResourceLabel) != aws.ToString(ws.ResourceLabel) {
		drift = append(drift, fmt.Sprintf("resource label %q, want %q", aws.ToString(hs.ResourceLabel), aws.ToString(ws.ResourceLabel)))
	}
	if h, w := aws.ToFloat64(have.TargetValue), aws.ToFloat64(want.TargetValue); h != w {
		drift = append(drift, fmt.Sprintf("target %g, want %g", h, w))
	}
	if h, w := aws.ToBool(have.DisableScaleIn), aws.ToBool(want.DisableScaleIn); h != w {
		drift = append(drift, fmt.Sprintf("scale-in disabled %t, want %t", h, w))
	}
	if h := aws.ToInt32(pol.EstimatedInstanceWarmup); h != props.Warmup {
		drift = append(drift, fmt.Sprintf("warmup %d s, want %d", h, props.Warmup))
	}
	return drift
}

func policyObservation(p blueprint.Part, pol *astypes.ScalingPolicy, refs engine.Refs) engine.Observation {
	o := newObservation(p, aws.ToString(pol.PolicyName), aws.ToString(pol.AutoScalingGroupName), aws.ToString(pol.PolicyARN), nil)
	if props, ok := p.Props.(blueprint.ScalingPolicyProps); ok {
		o.Drift = policyDrift(pol, props, refs)
	}
	o.Props = policyProps(pol, refs)
	return o
}

// policyProps reads the policy back: the load balancer and target group
// come from the request count metric's resource label. A metric hawebapp
// does not use is named by its AWS type.
func policyProps(pol *astypes.ScalingPolicy, refs engine.Refs) blueprint.ScalingPolicyProps {
	found := blueprint.ScalingPolicyProps{
		AutoScalingGroupKey: refKeyByName(refs, blueprint.KindAutoScalingGroup, aws.ToString(pol.AutoScalingGroupName)),
		Warmup:              aws.ToInt32(pol.EstimatedInstanceWarmup),
	}
	cfg := pol.TargetTrackingConfiguration
	if cfg == nil {
		return found
	}
	found.Target, found.DisableScaleIn = aws.ToFloat64(cfg.TargetValue), aws.ToBool(cfg.DisableScaleIn)
	if spec := cfg.PredefinedMetricSpecification; spec != nil {
		switch spec.PredefinedMetricType {
		case astypes.MetricTypeALBRequestCountPerTarget:
			found.Metric = blueprint.MetricRequestCountPerTarget
			if lb, tg, ok := strings.Cut(aws.ToString(spec.ResourceLabel), "/targetgroup/"); ok {
				found.LoadBalancerKey = refKey(refs, blueprint.KindLoadBalancer, func(o engine.Observation) bool { return o.Attrs["arn_suffix"] == lb })
				found.TargetGroupKey = refKey(refs, blueprint.KindTargetGroup, func(o engine.Observation) bool { return o.Attrs["arn_suffix"] == "targetgroup/"+tg })
			}
		case astypes.MetricTypeASGAverageCPUUtilization:
			found.Metric = blueprint.MetricCPU
		default:
			found.Metric = string(spec.PredefinedMetricType)
		}
	}
	return found
}
