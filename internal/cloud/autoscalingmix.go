package cloud

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// A zonal group launches from the launch template alone or, with several
// instance types or a Spot share, from a mixed instances policy around it:
// the types as overrides in priority order, on-demand "prioritized" (the
// first type, the next when it is short), Spot above an on-demand base.
// CreateAutoScalingGroup and UpdateAutoScalingGroup take one or the other,
// never both (API reference: "you can specify a launch template or a mixed
// instances policy, but not both"); an update that gives the other one
// switches the group, and instances keep running until replaced. The policy
// comes back with DescribeAutoScalingGroups, which refresh reads anyway, so it
// costs no call.

// groupLaunch is what the group launches from: exactly one of the template
// and the policy is set. rebalance is CapacityRebalance, sent as false
// without Spot too, since AWS keeps a value an update does not give.
func groupLaunch(mix *blueprint.GroupMix, lt engine.Observation) (tmpl *astypes.LaunchTemplateSpecification, policy *astypes.MixedInstancesPolicy, rebalance *bool) {
	spec := &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt.ID), Version: aws.String(lt.Attrs["version"])}
	if mix == nil {
		return spec, nil, aws.Bool(false)
	}
	overrides := make([]astypes.LaunchTemplateOverrides, len(mix.Types))
	for i, t := range mix.Types {
		overrides[i] = astypes.LaunchTemplateOverrides{InstanceType: aws.String(t)}
	}
	return nil, &astypes.MixedInstancesPolicy{
		LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: spec, Overrides: overrides},
		InstancesDistribution: &astypes.InstancesDistribution{
			OnDemandAllocationStrategy:          aws.String(blueprint.OnDemandPrioritized),
			OnDemandBaseCapacity:                aws.Int32(mix.OnDemandBase),
			OnDemandPercentageAboveBaseCapacity: aws.Int32(mix.OnDemandPercentAboveBase),
			SpotAllocationStrategy:              aws.String(mix.SpotStrategy),
		},
	}, aws.Bool(mix.CapacityRebalance)
}

// pinnedSpec is the template specification the group launches from, in the
// policy when it has one.
func pinnedSpec(g *astypes.AutoScalingGroup) *astypes.LaunchTemplateSpecification {
	if p := g.MixedInstancesPolicy; p != nil && p.LaunchTemplate != nil {
		return p.LaunchTemplate.LaunchTemplateSpecification
	}
	return g.LaunchTemplate
}

// foundMix reads the group's policy back (nil without one), for import.
func foundMix(g *astypes.AutoScalingGroup) *blueprint.GroupMix {
	p := g.MixedInstancesPolicy
	if p == nil {
		return nil
	}
	m := &blueprint.GroupMix{CapacityRebalance: aws.ToBool(g.CapacityRebalance)}
	if p.LaunchTemplate != nil {
		for _, o := range p.LaunchTemplate.Overrides {
			m.Types = append(m.Types, aws.ToString(o.InstanceType))
		}
	}
	// AWS's defaults when a distribution is not reported (API reference,
	// InstancesDistribution): base 0, 100 % on-demand above it.
	m.OnDemandPercentAboveBase = 100
	if d := p.InstancesDistribution; d != nil {
		m.OnDemandBase = aws.ToInt32(d.OnDemandBaseCapacity)
		if d.OnDemandPercentageAboveBaseCapacity != nil {
			m.OnDemandPercentAboveBase = *d.OnDemandPercentageAboveBaseCapacity
		}
		m.SpotStrategy = aws.ToString(d.SpotAllocationStrategy)
	}
	return m
}

// mixDrift lists how the group's policy differs from the wanted one.
func mixDrift(g *astypes.AutoScalingGroup, want *blueprint.GroupMix) []string {
	have := foundMix(g)
	var drift []string
	switch {
	case want == nil && have != nil:
		drift = append(drift, fmt.Sprintf("mixed instances policy of %s, want the launch template alone", strings.Join(have.Types, ", ")))
	case want != nil && have == nil:
		drift = append(drift, fmt.Sprintf("launch template alone, want a mixed instances policy of %s", strings.Join(want.Types, ", ")))
	case want != nil:
		if !slices.Equal(have.Types, want.Types) {
			drift = append(drift, fmt.Sprintf("instance types %s, want %s in this order", strings.Join(have.Types, ", "), strings.Join(want.Types, ", ")))
		}
		if have.OnDemandBase != want.OnDemandBase {
			drift = append(drift, fmt.Sprintf("on-demand base capacity %d, want %d", have.OnDemandBase, want.OnDemandBase))
		}
		if have.OnDemandPercentAboveBase != want.OnDemandPercentAboveBase {
			drift = append(drift, fmt.Sprintf("on-demand percentage above base %d, want %d", have.OnDemandPercentAboveBase, want.OnDemandPercentAboveBase))
		}
		if have.SpotStrategy != want.SpotStrategy {
			drift = append(drift, fmt.Sprintf("Spot allocation strategy %s, want %s", have.SpotStrategy, want.SpotStrategy))
		}
		if d := g.MixedInstancesPolicy.InstancesDistribution; d != nil && aws.ToString(d.OnDemandAllocationStrategy) != blueprint.OnDemandPrioritized {
			drift = append(drift, fmt.Sprintf("on-demand allocation strategy %s, want %s", aws.ToString(d.OnDemandAllocationStrategy), blueprint.OnDemandPrioritized))
		}
	}
	wantRebalance := want != nil && want.CapacityRebalance
	if aws.ToBool(g.CapacityRebalance) != wantRebalance {
		drift = append(drift, fmt.Sprintf("capacity rebalance %t, want %t", aws.ToBool(g.CapacityRebalance), wantRebalance))
	}
	return drift
}

// typeAllowed reports whether an instance runs a type the policy still
// offers: one that was removed from the list is replaced by a rollout. An
// instance that reports no type has nothing to compare.
func typeAllowed(inst astypes.Instance, mix *blueprint.GroupMix) bool {
	t := aws.ToString(inst.InstanceType)
	return mix == nil || t == "" || slices.Contains(mix.Types, t)
}

// typeDrift counts the instances of types the policy no longer offers.
func typeDrift(g *astypes.AutoScalingGroup, mix *blueprint.GroupMix) []string {
	count := map[string]int{}
	for _, inst := range g.Instances {
		if !leaving(inst) && !typeAllowed(inst, mix) {
			count[aws.ToString(inst.InstanceType)]++
		}
	}
	var drift []string
	for _, t := range slices.Sorted(maps.Keys(count)) {
		noun := "instances"
		if count[t] == 1 {
			noun = "instance"
		}
		drift = append(drift, fmt.Sprintf("%d %s of type %s, want one of %s", count[t], noun, t, strings.Join(mix.Types, ", ")))
	}
	return drift
}
