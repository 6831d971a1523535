package cloud

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

var testMix = &blueprint.GroupMix{Types: []string{"t3.small", "t3a.small"}, OnDemandBase: 1, OnDemandPercentAboveBase: 50,
	SpotStrategy: blueprint.DefaultSpotStrategy, CapacityRebalance: true}

func mixedGroup(mix *blueprint.GroupMix, lt engine.Observation, instances ...astypes.Instance) *astypes.AutoScalingGroup {
	tmpl, policy, rebalance := groupLaunch(mix, lt)
	return &astypes.AutoScalingGroup{LaunchTemplate: tmpl, MixedInstancesPolicy: policy, CapacityRebalance: rebalance, Instances: instances}
}

func instanceOf(id, typ, version string) astypes.Instance {
	return astypes.Instance{InstanceId: aws.String(id), InstanceType: aws.String(typ), LifecycleState: astypes.LifecycleStateInService,
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String("lt-1"), Version: aws.String(version)}}
}

// TestGroupLaunch: a group gets the template or the policy, never both (the
// API refuses both); the policy lists the types in order, prioritized.
func TestGroupLaunch(t *testing.T) {
	lt := engine.Observation{ID: "lt-1", Attrs: map[string]string{"version": "3"}}
	tmpl, policy, rebalance := groupLaunch(nil, lt)
	if tmpl == nil || policy != nil || aws.ToBool(rebalance) || aws.ToString(tmpl.Version) != "3" {
		t.Fatalf("without a mix: template %v policy %v rebalance %v", tmpl, policy, aws.ToBool(rebalance))
	}
	tmpl, policy, rebalance = groupLaunch(testMix, lt)
	if tmpl != nil || policy == nil || !aws.ToBool(rebalance) {
		t.Fatalf("with a mix: template %v policy %v rebalance %v", tmpl, policy, aws.ToBool(rebalance))
	}
	d := policy.InstancesDistribution
	if aws.ToString(d.OnDemandAllocationStrategy) != "prioritized" || aws.ToInt32(d.OnDemandBaseCapacity) != 1 ||
		aws.ToInt32(d.OnDemandPercentageAboveBaseCapacity) != 50 || aws.ToString(d.SpotAllocationStrategy) != "price-capacity-optimized" {
		t.Errorf("distribution %+v", d)
	}
	g := mixedGroup(testMix, lt)
	if pinnedVersion(g) != "3" || pinnedTemplate(g) != "lt-1" {
		t.Errorf("pinned %s version %s, want lt-1 version 3 read from the policy", pinnedTemplate(g), pinnedVersion(g))
	}
	if found := foundMix(g); found == nil || !slices.Equal(found.Types, testMix.Types) || found.OnDemandBase != 1 || found.OnDemandPercentAboveBase != 50 ||
		found.SpotStrategy != "price-capacity-optimized" || !found.CapacityRebalance {
		t.Errorf("read back %+v, want %+v", found, testMix)
	}
}

// TestMixDrift: each difference of the policy is named; none when equal.
func TestMixDrift(t *testing.T) {
	lt := engine.Observation{ID: "lt-1", Attrs: map[string]string{"version": "1"}}
	if d := mixDrift(mixedGroup(testMix, lt), testMix); len(d) != 0 {
		t.Errorf("drift of an equal policy: %q", d)
	}
	if d := mixDrift(mixedGroup(nil, lt), nil); len(d) != 0 {
		t.Errorf("drift of a template alone: %q", d)
	}
	other := *testMix
	other.Types = []string{"t3a.small", "t3.small"}
	other.OnDemandBase, other.OnDemandPercentAboveBase, other.SpotStrategy, other.CapacityRebalance = 0, 100, "lowest-price", false
	want := []string{
		"instance types t3a.small, t3.small, want t3.small, t3a.small in this order",
		"on-demand base capacity 0, want 1",
		"on-demand percentage above base 100, want 50",
		"Spot allocation strategy lowest-price, want price-capacity-optimized",
		"capacity rebalance false, want true",
	}
	if d := mixDrift(mixedGroup(&other, lt), testMix); !slices.Equal(d, want) {
		t.Errorf("drift %q\nwant %q", d, want)
	}
	if d := mixDrift(mixedGroup(nil, lt), testMix); len(d) != 2 || d[0] != "launch template alone, want a mixed instances policy of t3.small, t3a.small" {
		t.Errorf("template alone, policy wanted: %q", d)
	}
	if d := mixDrift(mixedGroup(testMix, lt), nil); len(d) != 2 || d[0] != "mixed instances policy of t3.small, t3a.small, want the launch template alone" {
		t.Errorf("policy found, template wanted: %q", d)
	}
}

// TestRolloutReplacesRemovedTypes: an instance of a type taken out of the
// list is outdated though it runs the current version; a type still listed
// (in any position) is not.
func TestRolloutReplacesRemovedTypes(t *testing.T) {
	lt := engine.Observation{ID: "lt-1", Attrs: map[string]string{"version": "1"}}
	g := mixedGroup(testMix, lt, instanceOf("i-1", "t3.small", "1"), instanceOf("i-2", "t3a.small", "1"))
	if rolloutPending(g, lt, testMix) {
		t.Error("rollout pending while every instance runs a listed type on the current version")
	}
	narrowed := *testMix
	narrowed.Types = []string{"t3.small", "m5.large"}
	if !rolloutPending(g, lt, &narrowed) {
		t.Error("no rollout for an instance of a type removed from the list")
	}
	if d := typeDrift(g, &narrowed); !slices.Equal(d, []string{"1 instance of type t3a.small, want one of t3.small, m5.large"}) {
		t.Errorf("type drift %q", d)
	}
	if rolloutPending(mixedGroup(nil, lt, instanceOf("i-3", "m5.large", "1")), lt, nil) {
		t.Error("a group without a policy compares versions only")
	}
}
