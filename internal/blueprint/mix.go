package blueprint

import "slices"

// DefaultSpotStrategy is the Spot allocation strategy when none is given:
// AWS recommends it for most workloads (launches from the pools least likely
// to be interrupted, at a low price), where the API's default, lowest-price,
// takes the cheapest pools whatever their interruption rate.
const DefaultSpotStrategy = "price-capacity-optimized"

// SpotStrategies are the Spot allocation strategies Auto Scaling accepts
// (API reference, InstancesDistribution.SpotAllocationStrategy).
var SpotStrategies = []string{"price-capacity-optimized", "capacity-optimized", "capacity-optimized-prioritized", "lowest-price"}

// TemplateType is the launch template's instance type: the first of the
// mixed types when there are several, so a launch that ignored the policy
// would still get the first choice.
func (in InstancesSpec) TemplateType() string {
	if in.Mix != nil && len(in.Mix.Types) > 0 {
		return in.Mix.Types[0]
	}
	return in.InstanceType
}

// groupMix is zone i's share of the mix (nil without one): the on-demand
// base is split across the zones as capacity is, so the stack's total is
// kept. While zones are evacuated the surviving groups carry the whole base,
// as they carry the whole desired capacity (PlanCapacity), each within its
// planned desired capacity.
// An evacuated group keeps its normal share, as it keeps its instances.
func groupMix(m *MixSpec, plan CapacityPlan, i int) *GroupMix {
	if m == nil {
		return nil
	}
	var surviving []int
	for j, z := range plan.Zones {
		if !z.Evacuated {
			surviving = append(surviving, j)
		}
	}
	base := share(m.OnDemandBase, len(plan.Zones), i)
	if j := slices.Index(surviving, i); j >= 0 && len(surviving) < len(plan.Zones) {
		base = min(share(m.OnDemandBase, len(surviving), j), plan.Zones[i].Planned.Desired)
	}
	return &GroupMix{
		Types:        slices.Clone(m.Types),
		OnDemandBase: base, OnDemandPercentAboveBase: m.OnDemandPercentAboveBase,
		SpotStrategy: m.SpotStrategy, CapacityRebalance: m.UsesSpot(),
	}
}

// OnDemandInGroup is how many of a group's desired instances are on-demand
// at the least: the base first, then the percentage of the rest, rounded
// down (the lower bound whichever way Auto Scaling rounds a fraction).
func OnDemandInGroup(m *GroupMix, desired int32) int32 {
	if m == nil {
		return desired
	}
	base := min(desired, m.OnDemandBase)
	return base + (desired-base)*m.OnDemandPercentAboveBase/100
}

// onDemandAfterZoneLoss is the on-demand part of plan.AfterZoneLoss: the
// zones in service but the one AfterZoneLoss loses (the first with the
// most instances), each group's on-demand instances summed.
// When every zone is evacuated, PlanCapacity plans as if none were, and so
// does this.
func onDemandAfterZoneLoss(m *MixSpec, plan CapacityPlan) int32 {
	all := !slices.ContainsFunc(plan.Zones, func(z ZonePlan) bool { return !z.Evacuated })
	inService := func(z ZonePlan) bool { return all || !z.Evacuated }
	lost, most := -1, int32(-1)
	for i, z := range plan.Zones {
		if inService(z) && z.Planned.Desired > most {
			lost, most = i, z.Planned.Desired
		}
	}
	var sum int32
	for i, z := range plan.Zones {
		if !inService(z) || i == lost {
			continue
		}
		sum += OnDemandInGroup(groupMix(m, plan, i), z.Planned.Desired)
	}
	return sum
}
