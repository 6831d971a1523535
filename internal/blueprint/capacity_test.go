package blueprint

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitCapacity(t *testing.T) {
	cases := map[string]struct {
		total CapacitySpec
		zones int
		want  []ZoneCapacity
	}{
		"Even":      {CapacitySpec{3, 3, 9}, 3, []ZoneCapacity{{1, 1, 3}, {1, 1, 3}, {1, 1, 3}}},
		"Remainder": {CapacitySpec{4, 5, 10}, 3, []ZoneCapacity{{2, 2, 4}, {1, 2, 3}, {1, 1, 3}}},
		"TwoZones":  {CapacitySpec{2, 3, 5}, 2, []ZoneCapacity{{1, 2, 3}, {1, 1, 2}}},
		"NoZones":   {CapacitySpec{1, 1, 1}, 0, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := SplitCapacity(tc.total, tc.zones)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			var lo, des, hi int32
			for _, z := range got {
				lo, des, hi = lo+z.Min, des+z.Desired, hi+z.Max
			}
			if tc.zones > 0 && (lo != tc.total.Min || des != tc.total.Desired || hi != tc.total.Max) {
				t.Errorf("split sums to %d/%d/%d, want %v", lo, des, hi, tc.total)
			}
		})
	}
}

func TestCapacityAfterZoneLoss(t *testing.T) {
	cases := map[string]struct {
		total CapacitySpec
		zones int
		want  int32
	}{
		"ThreeOfThree": {CapacitySpec{3, 3, 9}, 3, 2},
		"FiveOfThree":  {CapacitySpec{3, 5, 9}, 3, 3},
		"TwoOfTwo":     {CapacitySpec{2, 2, 4}, 2, 1},
	}
	for name, tc := range cases {
		if got := CapacityAfterZoneLoss(tc.total, tc.zones); got != tc.want {
			t.Errorf("%s: got %d, want %d", name, got, tc.want)
		}
	}
}

// TestMixSplit: every zonal group gets the types in order; the on-demand
// base is the stack's total, split as capacity is (remainder first), and
// rebalancing is on only with a Spot share; the template's type is the
// first of the list.
func TestMixSplit(t *testing.T) {
	s := goldenSpec()
	s.Instances.InstanceType = "t3.small"
	s.Instances.Mix = &MixSpec{Types: []string{"t3a.small", "t3.small"}, OnDemandBase: 4, OnDemandPercentAboveBase: 50, SpotStrategy: DefaultSpotStrategy}
	bp := Build(s)
	lt, _ := bp.Part(KeyLaunchTemplate)
	if got := lt.Props.(LaunchTemplateProps).InstanceType; got != "t3a.small" {
		t.Errorf("template type %s, want the list's first, t3a.small", got)
	}
	var bases []int32
	for _, sn := range s.AppSubnets {
		p, _ := bp.Part(KeyFor(KindAutoScalingGroup, sn.Zone))
		m := p.Props.(AutoScalingGroupProps).Mix
		if m == nil || !slices.Equal(m.Types, []string{"t3a.small", "t3.small"}) || m.OnDemandPercentAboveBase != 50 || !m.CapacityRebalance || m.SpotStrategy != DefaultSpotStrategy {
			t.Fatalf("zone %s: mix %+v", sn.Zone, m)
		}
		bases = append(bases, m.OnDemandBase)
	}
	if !slices.Equal(bases, []int32{2, 1, 1}) {
		t.Errorf("on-demand bases %v, want [2 1 1] (4 split over 3 zones)", bases)
	}

	s.Instances.Mix.OnDemandPercentAboveBase = 100
	p, _ := Build(s).Part(KeyFor(KindAutoScalingGroup, s.AppSubnets[0].Zone))
	if p.Props.(AutoScalingGroupProps).Mix.CapacityRebalance {
		t.Error("capacity rebalance on without a Spot share")
	}
	s.Instances.Mix = nil
	p, _ = Build(s).Part(KeyFor(KindAutoScalingGroup, s.AppSubnets[0].Zone))
	if p.Props.(AutoScalingGroupProps).Mix != nil {
		t.Error("a mix without instance types or Spot")
	}
}

// TestMixDuringEvacuation: the surviving groups carry the whole on-demand
// base while a zone is evacuated; the evacuated one keeps its normal share.
func TestMixDuringEvacuation(t *testing.T) {
	s := goldenSpec()
	s.Capacity = CapacitySpec{Min: 3, Desired: 6, Max: 12}
	s.Instances.Mix = &MixSpec{Types: []string{"t3.small", "t3a.small"}, OnDemandBase: 4, OnDemandPercentAboveBase: 0, SpotStrategy: DefaultSpotStrategy}
	s.EvacuateZones = []string{"us-east-1a"}
	bp := Build(s)
	var bases []int32
	for _, sn := range s.AppSubnets {
		p, _ := bp.Part(KeyFor(KindAutoScalingGroup, sn.Zone))
		bases = append(bases, p.Props.(AutoScalingGroupProps).Mix.OnDemandBase)
	}
	if !slices.Equal(bases, []int32{2, 2, 2}) {
		t.Errorf("on-demand bases %v, want [2 2 2]: us-east-1a keeps its share of 4 (2), the survivors split all 4", bases)
	}
}

func TestPlanCapacity(t *testing.T) {
	three := []Subnet{{ID: "a", Zone: "z-a"}, {ID: "b", Zone: "z-b"}, {ID: "c", Zone: "z-c"}}
	cases := map[string]struct {
		capacity  CapacitySpec
		evacuate  []string
		wantMins  []int32
		serving   int32
		shortfall int32
		afterLoss int32
	}{
		"no evacuation":                 {CapacitySpec{3, 6, 12}, nil, []int32{1, 1, 1}, 6, 0, 4},
		"surviving zones take the load": {CapacitySpec{3, 6, 12}, []string{"z-b"}, []int32{3, 1, 3}, 6, 0, 3},
		"odd desired spills over":       {CapacitySpec{3, 5, 12}, []string{"z-a"}, []int32{1, 3, 2}, 5, 0, 2},
		"max refuses part of the load":  {CapacitySpec{3, 6, 6}, []string{"z-c"}, []int32{2, 2, 1}, 4, 2, 2},
		"min already above the share":   {CapacitySpec{9, 9, 12}, []string{"z-c"}, []int32{4, 4, 3}, 8, 1, 4},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := PlanCapacity(Spec{AppSubnets: three, Capacity: c.capacity, EvacuateZones: c.evacuate})
			var mins []int32
			for _, z := range p.Zones {
				mins = append(mins, z.Planned.Min)
				if z.Planned.Max != z.Normal.Max {
					t.Errorf("zone %s max %d, want its normal %d: an evacuation never raises max", z.Zone, z.Planned.Max, z.Normal.Max)
				}
				if z.Evacuated && z.Planned != z.Normal {
					t.Errorf("evacuated zone %s capacity %+v, want its normal %+v (it keeps its instances)", z.Zone, z.Planned, z.Normal)
				}
			}
			got := []int32{p.Serving, p.Shortfall, p.AfterZoneLoss}
			if diff := cmp.Diff([]any{c.wantMins, []int32{c.serving, c.shortfall, c.afterLoss}}, []any{mins, got}); diff != "" {
				t.Errorf("mins, [serving shortfall after-loss] (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuildEvacuationOrder: the shift never depends on the evacuated
// zone's group, which always comes after it; it comes before the surviving
// groups when it starts at once and after them when it waits for their
// raise; while a zone returns, the surviving groups wait for its shift to
// be gone.
func TestBuildEvacuationOrder(t *testing.T) {
	s := goldenSpec()
	s.EnableZonalShift = true
	s.EvacuateZones = []string{"us-east-1b"}
	shiftKey := KeyFor(KindZonalShift, "us-east-1b")
	surviving := []string{KeyFor(KindAutoScalingGroup, "us-east-1a"), KeyFor(KindAutoScalingGroup, "us-east-1c")}
	healthy := ZoneReading{InService: 1, Min: 1, Desired: 1}
	for name, c := range map[string]struct {
		timing   string
		readings map[string]ZoneReading
		atOnce   bool
	}{
		"auto, zone down":                {ShiftTimingAuto, map[string]ZoneReading{"us-east-1a": healthy, "us-east-1b": {Unhealthy: 1, Min: 1, Desired: 1}, "us-east-1c": healthy}, true},
		"auto, launches failing":         {ShiftTimingAuto, map[string]ZoneReading{"us-east-1a": healthy, "us-east-1b": {Min: 1, Desired: 1}, "us-east-1c": healthy}, true},
		"auto, zones left short":         {ShiftTimingAuto, map[string]ZoneReading{"us-east-1a": healthy, "us-east-1b": healthy, "us-east-1c": healthy}, false},
		"auto, statically stable":        {ShiftTimingAuto, map[string]ZoneReading{"us-east-1a": {InService: 2, Min: 1, Desired: 1}, "us-east-1b": healthy, "us-east-1c": {InService: 2, Min: 1, Desired: 2}}, true},
		"auto, no groups yet":            {ShiftTimingAuto, nil, true},
		"immediate, zone healthy":        {ShiftTimingImmediate, map[string]ZoneReading{"us-east-1a": healthy, "us-east-1b": healthy, "us-east-1c": healthy}, true},
		"after capacity, zone healthy":   {ShiftTimingAfterCapacity, map[string]ZoneReading{"us-east-1a": healthy, "us-east-1b": healthy, "us-east-1c": healthy}, false},
		"after capacity, zone down wins": {ShiftTimingAfterCapacity, map[string]ZoneReading{"us-east-1a": healthy, "us-east-1b": {Unhealthy: 1, InService: 1, Min: 1, Desired: 1}, "us-east-1c": healthy}, true},
	} {
		t.Run(name, func(t *testing.T) {
			s.ShiftTiming, s.ZoneReadings = c.timing, c.readings
			bp := Build(s)
			shift, ok := bp.Part(shiftKey)
			if !ok {
				t.Fatal("no zonal shift part for the evacuated zone")
			}
			if slices.Contains(shift.DependsOn, KeyFor(KindAutoScalingGroup, "us-east-1b")) || !slices.Contains(shift.DependsOn, KeyLoadBalancer) {
				t.Errorf("shift depends on %v, want the load balancer and never the evacuated group", shift.DependsOn)
			}
			if g, _ := bp.Part(KeyFor(KindAutoScalingGroup, "us-east-1b")); !slices.Contains(g.DependsOn, shiftKey) {
				t.Errorf("the evacuated group depends on %v, want it after the shift", g.DependsOn)
			}
			for _, key := range surviving {
				g, _ := bp.Part(key)
				if after := slices.Contains(g.DependsOn, shiftKey); after != c.atOnce {
					t.Errorf("surviving group %s after the shift: %v, want %v", key, after, c.atOnce)
				}
				if waits := slices.Contains(shift.DependsOn, key); waits == c.atOnce {
					t.Errorf("shift waits for surviving group %s: %v, want %v", key, waits, !c.atOnce)
				}
			}
		})
	}
	s.ShiftTiming, s.ZoneReadings = "", nil
	bp := Build(s)
	if g, _ := bp.Part(KeyFor(KindAutoScalingGroup, "us-east-1b")); !g.Props.(AutoScalingGroupProps).Evacuated {
		t.Error("the evacuated zone's group is not marked evacuated")
	}
	if lb, _ := bp.Part(KeyLoadBalancer); !lb.Props.(LoadBalancerProps).ZonalShift {
		t.Error("the load balancer's zonal shift is off")
	}

	s.EvacuateZones, s.ReturningZones = nil, []string{"us-east-1b"}
	bp = Build(s)
	ret, ok := bp.Part(KeyFor(KindZonalShift, "us-east-1b"))
	if !ok || ret.Props.(ZonalShiftProps).Away {
		t.Fatalf("returning zone: part %v found %v, want a part that is not away", ret, ok)
	}
	pos := map[string]int{}
	for i, p := range bp.Parts {
		pos[p.Key] = i
		for _, d := range p.DependsOn {
			if _, seen := pos[d]; !seen {
				t.Errorf("part %s comes before its dependency %s", p.Key, d)
			}
		}
	}
	for _, z := range []string{"us-east-1a", "us-east-1c"} {
		g, _ := bp.Part(KeyFor(KindAutoScalingGroup, z))
		if !slices.Contains(g.DependsOn, ret.Key) || !g.Props.(AutoScalingGroupProps).ResetDesired {
			t.Errorf("surviving group %s: depends on %v, reset desired %v; want it after the returning shift, reset", z, g.DependsOn, g.Props.(AutoScalingGroupProps).ResetDesired)
		}
	}
}

// TestOnDemandAfterZoneLoss: without a Spot share the on-demand figure is
// the capacity after the zone loss; with one, it counts each remaining
// group's on-demand base and its percentage of the rest, rounded down.
func TestOnDemandAfterZoneLoss(t *testing.T) {
	three := []Subnet{{ID: "a", Zone: "z-a"}, {ID: "b", Zone: "z-b"}, {ID: "c", Zone: "z-c"}}
	spot := func(base, pct int32) *MixSpec {
		return &MixSpec{Types: []string{"t3.small", "t3a.small"}, OnDemandBase: base, OnDemandPercentAboveBase: pct}
	}
	cases := map[string]struct {
		capacity CapacitySpec
		evacuate []string
		mix      *MixSpec
		want     int32
	}{
		"no mix":                          {CapacitySpec{3, 6, 12}, nil, nil, 4},
		"types without spot":              {CapacitySpec{3, 6, 12}, nil, spot(0, 100), 4},
		"half spot: 2 per zone, 1 each":   {CapacitySpec{3, 6, 12}, nil, spot(0, 50), 2},
		"all spot above a base of 3":      {CapacitySpec{3, 6, 12}, nil, spot(3, 0), 2},
		"odd share rounds down":           {CapacitySpec{3, 9, 12}, nil, spot(0, 50), 2},
		"evacuated: survivors carry base": {CapacitySpec{3, 6, 12}, []string{"z-b"}, spot(3, 0), 1},
		"evacuated without spot":          {CapacitySpec{3, 6, 12}, []string{"z-b"}, nil, 3},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := PlanCapacity(Spec{AppSubnets: three, Capacity: c.capacity, EvacuateZones: c.evacuate, Instances: InstancesSpec{Mix: c.mix}})
			if p.OnDemandAfterZoneLoss != c.want {
				t.Errorf("on-demand after zone loss = %d, want %d (after zone loss %d)", p.OnDemandAfterZoneLoss, c.want, p.AfterZoneLoss)
			}
			if !c.mix.UsesSpot() && p.OnDemandAfterZoneLoss != p.AfterZoneLoss {
				t.Errorf("without Spot the on-demand figure %d must equal the capacity after the loss %d", p.OnDemandAfterZoneLoss, p.AfterZoneLoss)
			}
		})
	}
}
