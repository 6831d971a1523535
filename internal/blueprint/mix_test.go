package blueprint

import (
	"slices"
	"testing"
)

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
