package blueprint

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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

// TestBuildEvacuationOrder: the shift comes after every group; while a zone
// returns, the surviving groups wait for its shift to be gone.
func TestBuildEvacuationOrder(t *testing.T) {
	s := goldenSpec()
	s.EnableZonalShift = true
	s.EvacuateZones = []string{"us-east-1b"}
	bp := Build(s)
	shift, ok := bp.Part(KeyFor(KindZonalShift, "us-east-1b"))
	if !ok {
		t.Fatal("no zonal shift part for the evacuated zone")
	}
	for _, z := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		if !slices.Contains(shift.DependsOn, KeyFor(KindAutoScalingGroup, z)) {
			t.Errorf("the shift does not wait for group %s: %v", z, shift.DependsOn)
		}
	}
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
