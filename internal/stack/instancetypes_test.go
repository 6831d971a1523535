package stack_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// wantMix is a zonal group's expected mixed instances policy.
type wantMix struct {
	types     []string
	base      [3]int32 // per zone, in the order of env.Zones
	pct       int32
	spot      string
	rebalance bool
}

// TestAccStack_instanceTypes: instance_types switches a stack's zonal groups
// to a mixed instances policy in place (prioritized, the types in order) and
// instance_type follows the list; a Spot share with an on-demand base, split
// across the zones, turns capacity rebalancing on; an import reads it all
// back; a policy changed out of band is drift that the next apply restores;
// an instance of a type taken out of the list is replaced; removing the list
// returns the groups to the launch template alone.
func TestAccStack_instanceTypes(t *testing.T) {
	c, args := appOnly(t)
	mixed := args
	mixed.instancesExtra = `instance_types = ["t3.small", "t3a.small"]`
	spot := args
	spot.instancesExtra = `instance_types = ["t3.small", "t3a.small", "m5.large"]
    on_demand_base_capacity = 1
    on_demand_percentage_above_base = 50`
	spotMix := wantMix{types: []string{"t3.small", "t3a.small", "m5.large"}, base: [3]int32{1, 0, 0}, pct: 50, spot: "price-capacity-optimized", rebalance: true}
	narrowed := spot
	narrowed.instancesExtra = strings.Replace(spot.instancesExtra, `"t3a.small", `, "", 1)
	narrowedMix := spotMix
	narrowedMix.types = []string{"t3.small", "m5.large"}
	var retyped string // an instance made a t3a.small out of band
	plainRefresh := 0  // AWS calls of a refresh before the policy
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config(), Check: checkMix(c, args.name, nil)},
		{PreConfig: resetRecorder, RefreshState: true, Check: countRefresh(t, &plainRefresh, 0)},
		{Config: mixed.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "instances.instance_type", "t3.small"),
			resource.TestCheckResourceAttr(addr, "instances.on_demand_percentage_above_base", "100"),
			resource.TestCheckResourceAttr(addr, "launch_template_version", "1"),
			// No Spot: every instance left after a zone loss is on-demand.
			resource.TestCheckResourceAttr(addr, "capacity_after_zone_loss", "2"),
			resource.TestCheckResourceAttr(addr, "on_demand_after_zone_loss", "2"),
			checkMix(c, args.name, &wantMix{types: []string{"t3.small", "t3a.small"}, pct: 100, spot: "price-capacity-optimized"}),
			checkInstanceTypes(c, args.name, "t3.small"),
		)},
		{Config: spot.config(), Check: resource.ComposeAggregateTestCheckFunc(
			// The first type is unchanged: no new template version, no rollout.
			resource.TestCheckResourceAttr(addr, "launch_template_version", "1"),
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
			// One instance a zone; the base of 1 is us-east-1a's, the zone a
			// loss takes first: the two left are above the base, and half of
			// one instance rounds down to no on-demand instance.
			resource.TestCheckResourceAttr(addr, "capacity_after_zone_loss", "2"),
			resource.TestCheckResourceAttr(addr, "on_demand_after_zone_loss", "0"),
			checkMix(c, args.name, &spotMix),
		)},
		{Config: spot.config(), PlanOnly: true},
		// DescribeAutoScalingGroups carries the policy: no extra call.
		{PreConfig: resetRecorder, RefreshState: true, Check: countRefresh(t, new(int), plainRefresh)},
		{
			ResourceName: addr, ImportState: true, ImportStateId: args.name, ImportStateVerify: true,
			ImportStateVerifyIgnore: []string{"timeouts", "wait_for_healthy_targets"},
		},
		{
			// Out of band: one zone's types reordered, rebalancing off.
			PreConfig: func() { breakMix(t, c, args.name+"-us-east-1b") },
			Config:    spot.config(), PlanOnly: true, ExpectNonEmptyPlan: true,
		},
		{
			RefreshState: true,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestMatchResourceAttr(addr, "drift.#", regexp.MustCompile(`^2$`)),
				checkDriftSays(`^autoscaling_group/us-east-1b \(.+\): instance types t3a.small, t3.small, m5.large, want t3.small, t3a.small, m5.large in this order$`,
					`^autoscaling_group/us-east-1b \(.+\): capacity rebalance false, want true$`),
			),
			ExpectNonEmptyPlan: true,
		},
		{Config: spot.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
			checkMix(c, args.name, &spotMix),
		)},
		{
			// t3a.small leaves the list while an instance runs it: that
			// instance is replaced, the template is unchanged.
			PreConfig: func() { retyped = retype(t, c, args.name+"-us-east-1a", "t3a.small") },
			Config:    narrowed.config(), Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "launch_template_version", "1"),
				resource.TestCheckResourceAttr(addr, "drift.#", "0"),
				checkMix(c, args.name, &narrowedMix),
				checkInstanceTypes(c, args.name, "t3.small"),
				func(*terraform.State) error { return checkGone(c, args.name, retyped) },
			),
		},
		{Config: args.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "instances.instance_type", "t3.small"),
			resource.TestCheckNoResourceAttr(addr, "instances.instance_types"),
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
			checkMix(c, args.name, nil),
		)},
		{Config: args.config(), PlanOnly: true},
	})
}

// instanceTypeCases are the plan-time refusals of instance_types and the
// purchase options (TestAccStack_planTimeValidation runs them).
func instanceTypeCases() map[string]invalidCase {
	return map[string]invalidCase{
		"InstanceTypeConflictsWithList": {func(a *stackArgs) {
			a.instanceType = "t3.small"
			a.instancesExtra = `instance_types = ["t3a.small", "t3.small"]`
		}, "instances.instance_type", `instance_type conflicts with instance_types[\s\S]*Remove instance_type, or put t3.small first`},
		"InstanceTypesNotOffered": {func(a *stackArgs) { a.instancesExtra = `instance_types = ["t3.small", "trn1.32xlarge"]` }, "instances.instance_types",
			`trn1.32xlarge is not offered in\s+us-east-1a[\s\S]*Remove trn1.32xlarge from instance_types`},
		"InstanceTypesTwoArchitectures": {func(a *stackArgs) { a.instancesExtra = `instance_types = ["t3.small", "t4g.small"]` }, "instances.instance_types",
			`Instance type cannot run the image[\s\S]*x86_64, but t4g.small runs arm64[\s\S]*Choose instance types for x86_64 only`},
		"OnDemandBaseAboveMax": {func(a *stackArgs) { a.instancesExtra = `on_demand_base_capacity = 7` }, "instances.on_demand_base_capacity",
			`On-demand base above capacity[\s\S]*\(7\) is above capacity.max \(6\)[\s\S]*at most 6, or raise capacity.max`},
		"SpotStrategyUnknown": {func(a *stackArgs) { a.instancesExtra = `spot_allocation_strategy = "cheapest"` }, "instances.spot_allocation_strategy",
			`value must be one of[\s\S]*price-capacity-optimized`},
	}
}

// TestAccStack_instanceTypesUnknownAtPlan: with instance_types known only
// at apply, instance_type is planned unknown and recorded as the list's
// first type, so the apply is consistent and the next plan is empty.
func TestAccStack_instanceTypesUnknownAtPlan(t *testing.T) {
	c, args := appOnly(t)
	args.provider = `provider "hawebapp" {}

resource "terraform_data" "types" {
  input = ["t3a.small", "t3.small"]
}`
	args.instancesExtra = `instance_types = terraform_data.types.output`
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "instances.instance_type", "t3a.small"),
			checkMix(c, args.name, &wantMix{types: []string{"t3a.small", "t3.small"}, pct: 100, spot: "price-capacity-optimized"}),
			checkInstanceTypes(c, args.name, "t3a.small"),
		)},
		{Config: args.config(), PlanOnly: true},
	})
}
