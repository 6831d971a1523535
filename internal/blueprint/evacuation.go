package blueprint

import (
	"slices"
	"time"
)

// Zonal evacuation: the stack takes zones out of service with an ARC zonal
// shift of its load balancer, after raising the surviving zones' groups so
// the stack's capacity holds without them (static stability).

// KindZonalShift is an ARC zonal shift of the stack's load balancer away
// from one zone (or, while the zone returns, the absence of one).
const KindZonalShift Kind = "zonal_shift"

// ZonalShiftExpiresIn is how long a shift is started or renewed for: the
// maximum ARC allows ("You can set a zonal shift to be active initially for
// up to three days (72 hours)", ARC API reference, StartZonalShift and
// UpdateZonalShift, expiresIn).
const ZonalShiftExpiresIn = 72 * time.Hour

// ZonalShiftRenewWithin is the margin under which an apply renews a shift:
// one whose expiry is closer than this is drift. A day leaves two days of
// the 72 hours for someone to run an apply.
const ZonalShiftRenewWithin = 24 * time.Hour

// ZonalShiftProps is one zone's shift.
type ZonalShiftProps struct {
	LoadBalancerKey string
	TargetGroupKey  string
	// AutoScalingGroupKey is the zone's group, whose targets a returning
	// zone waits for.
	AutoScalingGroupKey string
	// GroupName is the zone's group's name: the shift suspends its
	// processes (if it exists) just before it starts, without depending on
	// the group's part, which a zone that is down could hold up.
	GroupName string
	Zone      string
	// Away: the shift must be active (the zone is evacuated). False: the
	// zone returns: no shift of the stack's may be active, and its targets
	// must be healthy before the surviving groups shrink.
	Away        bool
	ExpiresIn   time.Duration
	RenewWithin time.Duration
	// Comment marks the shift as the stack's (ARC shifts carry no tags):
	// Observe finds the stack's shift by it and never touches another's.
	Comment string
}

// ZonalShiftComment is the comment that marks a stack's shift away from a zone.
func ZonalShiftComment(stack, zone string) string {
	return "hawebapp:stack=" + stack + " evacuates " + zone
}

// ZonePlan is one zone's group capacity with the evacuation applied.
type ZonePlan struct {
	Zone      string
	Normal    ZoneCapacity
	Planned   ZoneCapacity
	Evacuated bool
}

// CapacityPlan is what serves where during an evacuation.
type CapacityPlan struct {
	Zones []ZonePlan
	// Serving is the desired capacity of the zones in service.
	Serving int32
	// Shortfall is how much of the stack's desired capacity the surviving
	// zones cannot take because their max does not allow it.
	Shortfall int32
	// AfterZoneLoss is what would still serve if the zone in service with the
	// most instances were lost too, before autoscaling reacts.
	AfterZoneLoss int32
	// OnDemandAfterZoneLoss is the part of AfterZoneLoss that is on-demand
	// at the least (OnDemandInGroup): what still serves if, on top of the
	// zone, every Spot instance is reclaimed, as Spot capacity is when a
	// zone's demand moves to the others. AfterZoneLoss without a Spot share.
	OnDemandAfterZoneLoss int32
}

// PlanCapacity splits the stack's capacity across its zones and, for the
// evacuated zones, moves their share to the surviving ones: each surviving
// group's min (and so its desired, which Auto Scaling raises to min) goes up
// to its share of the stack's desired capacity, within its max; what one
// group's max refuses goes to the others with room, and what none can take
// is the shortfall. Evacuated groups keep their capacity, out of traffic, so
// a return is fast.
func PlanCapacity(s Spec) CapacityPlan {
	split := SplitCapacity(s.Capacity, len(s.AppSubnets))
	var plan CapacityPlan
	var surviving []int
	for i, sn := range s.AppSubnets {
		zp := ZonePlan{Zone: sn.Zone, Normal: split[i], Planned: split[i], Evacuated: slices.Contains(s.EvacuateZones, sn.Zone)}
		if !zp.Evacuated {
			surviving = append(surviving, i)
		}
		plan.Zones = append(plan.Zones, zp)
	}
	if len(surviving) == len(plan.Zones) || len(surviving) == 0 {
		plan.Serving = s.Capacity.Desired
		plan.AfterZoneLoss = CapacityAfterZoneLoss(s.Capacity, len(s.AppSubnets))
		plan.OnDemandAfterZoneLoss = onDemandAfterZoneLoss(s.Instances.Mix, plan)
		return plan
	}
	shares := SplitCapacity(CapacitySpec{Min: s.Capacity.Desired, Desired: s.Capacity.Desired, Max: s.Capacity.Desired}, len(surviving))
	alloc := make([]int32, len(surviving))
	left := s.Capacity.Desired
	for j, i := range surviving {
		alloc[j] = min(shares[j].Desired, plan.Zones[i].Normal.Max)
		left -= alloc[j]
	}
	for left > 0 {
		moved := false
		for j, i := range surviving {
			if left > 0 && alloc[j] < plan.Zones[i].Normal.Max {
				alloc[j]++
				left--
				moved = true
			}
		}
		if !moved {
			break
		}
	}
	var largest int32
	for j, i := range surviving {
		z := &plan.Zones[i]
		z.Planned.Min = max(z.Normal.Min, alloc[j])
		z.Planned.Desired = max(z.Normal.Desired, z.Planned.Min)
		plan.Serving += z.Planned.Desired
		largest = max(largest, z.Planned.Desired)
	}
	plan.Shortfall = max(0, s.Capacity.Desired-plan.Serving)
	plan.AfterZoneLoss = plan.Serving - largest
	plan.OnDemandAfterZoneLoss = onDemandAfterZoneLoss(s.Instances.Mix, plan)
	return plan
}

func zonalShift(s Spec, zone string, away bool) ZonalShiftProps {
	return ZonalShiftProps{LoadBalancerKey: KeyLoadBalancer, TargetGroupKey: KeyTargetGroup,
		AutoScalingGroupKey: KeyFor(KindAutoScalingGroup, zone), GroupName: NamesFor(s).AutoScalingGroup(zone), Zone: zone, Away: away,
		ExpiresIn: ZonalShiftExpiresIn, RenewWithin: ZonalShiftRenewWithin, Comment: ZonalShiftComment(s.Name, zone)}
}

// inDependencyOrder orders parts so each comes after the parts it depends
// on, keeping the given order wherever the dependencies allow (a stable
// topological sort): Observe and the engine read parts in this order.
func inDependencyOrder(parts []Part) []Part {
	placed := map[string]bool{}
	known := map[string]bool{}
	for _, p := range parts {
		known[p.Key] = true
	}
	out := make([]Part, 0, len(parts))
	for len(out) < len(parts) {
		progress := false
		for _, p := range parts {
			if placed[p.Key] {
				continue
			}
			ready := !slices.ContainsFunc(p.DependsOn, func(d string) bool { return known[d] && !placed[d] })
			if ready {
				out = append(out, p)
				placed[p.Key] = true
				progress = true
				break // restart from the top, so earlier parts keep their place
			}
		}
		if !progress { // a cycle: keep the rest as given (the engine reports it)
			for _, p := range parts {
				if !placed[p.Key] {
					out = append(out, p)
				}
			}
			break
		}
	}
	return out
}
