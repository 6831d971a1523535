package stack_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
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

func resetRecorder() {
	if accRecorder != nil {
		accRecorder.Reset()
	}
}

// countRefresh stores the AWS calls of the refresh just made in *got and,
// when want is not 0, requires that many, within cloud.RefreshCallBudget.
func countRefresh(t *testing.T, got *int, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if accRecorder == nil {
			return nil // real AWS: no recorder
		}
		*got = len(accRecorder.Calls())
		t.Logf("refresh: %d calls: %s", *got, accRecorder.Summary())
		if *got == 0 || *got > cloud.RefreshCallBudget || (want != 0 && *got != want) {
			return fmt.Errorf("refresh made %d AWS calls (without the policy %d, budget %d): %s", *got, want, cloud.RefreshCallBudget, accRecorder.Summary())
		}
		return nil
	}
}

// checkMix compares every zonal group's launch settings with want (nil: the
// launch template alone, and no rebalancing).
func checkMix(c clients, stack string, want *wantMix) resource.TestCheckFunc {
	return func(*terraform.State) error {
		groups, err := stackGroups(context.Background(), c, stack)
		if err != nil {
			return err
		}
		if len(groups) != len(env.Zones) {
			return fmt.Errorf("%d zonal groups, want %d", len(groups), len(env.Zones))
		}
		for _, g := range groups {
			name, p := aws.ToString(g.AutoScalingGroupName), g.MixedInstancesPolicy
			zone := slices.Index(env.Zones, g.AvailabilityZones[0])
			switch {
			case want == nil && (p != nil || g.LaunchTemplate == nil || aws.ToBool(g.CapacityRebalance)):
				return fmt.Errorf("group %s: policy %v, template %v, rebalance %v; want the launch template alone", name, p != nil, g.LaunchTemplate != nil, aws.ToBool(g.CapacityRebalance))
			case want == nil:
				continue
			case p == nil || g.LaunchTemplate != nil:
				return fmt.Errorf("group %s: policy %v, template %v; want a mixed instances policy only", name, p != nil, g.LaunchTemplate != nil)
			}
			var types []string
			for _, o := range p.LaunchTemplate.Overrides {
				types = append(types, aws.ToString(o.InstanceType))
			}
			d := p.InstancesDistribution
			got := fmt.Sprintf("%v %s base %d pct %d spot %s rebalance %t", types, aws.ToString(d.OnDemandAllocationStrategy), aws.ToInt32(d.OnDemandBaseCapacity),
				aws.ToInt32(d.OnDemandPercentageAboveBaseCapacity), aws.ToString(d.SpotAllocationStrategy), aws.ToBool(g.CapacityRebalance))
			if exp := fmt.Sprintf("%v prioritized base %d pct %d spot %s rebalance %t", want.types, want.base[zone], want.pct, want.spot, want.rebalance); got != exp {
				return fmt.Errorf("group %s: %s, want %s", name, got, exp)
			}
		}
		return nil
	}
}

// checkInstanceTypes requires every instance of the stack to run instanceType.
func checkInstanceTypes(c clients, stack, instanceType string) resource.TestCheckFunc {
	return checkGroups(c, stack, func(g astypes.AutoScalingGroup) error {
		instances, err := instancesOf(g)
		for _, i := range instances {
			if aws.ToString(i.InstanceType) != instanceType {
				return fmt.Errorf("instance %s of %s is %s, want %s", aws.ToString(i.InstanceId), aws.ToString(g.AutoScalingGroupName), aws.ToString(i.InstanceType), instanceType)
			}
		}
		return err
	})
}

// retype changes one instance of group to instanceType out of band (as if
// launched when the first type was short) and returns its ID.
func retype(t *testing.T, c clients, group, instanceType string) string {
	t.Helper()
	ctx := context.Background()
	out, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(out.AutoScalingGroups) != 1 || len(out.AutoScalingGroups[0].Instances) == 0 {
		t.Fatalf("describing %s: %v", group, err)
	}
	id := aws.ToString(out.AutoScalingGroups[0].Instances[0].InstanceId)
	if _, err := c.ec2.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id),
		InstanceType: &ec2types.AttributeValue{Value: aws.String(instanceType)}}); err != nil {
		t.Fatal(err)
	}
	return id
}

// checkGone requires that no group of the stack lists the instance id.
func checkGone(c clients, stack, id string) error {
	groups, err := stackGroups(context.Background(), c, stack)
	if err != nil {
		return err
	}
	for _, g := range groups {
		for _, i := range g.Instances {
			if aws.ToString(i.InstanceId) == id {
				return fmt.Errorf("instance %s (%s) is still in %s", id, aws.ToString(i.InstanceType), aws.ToString(g.AutoScalingGroupName))
			}
		}
	}
	return nil
}

func breakMix(t *testing.T, c clients, group string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		t.Fatalf("describing %s: %v", group, err)
	}
	p := out.AutoScalingGroups[0].MixedInstancesPolicy
	o := p.LaunchTemplate.Overrides
	o[0], o[1] = o[1], o[0]
	spec := p.LaunchTemplate.LaunchTemplateSpecification
	spec.LaunchTemplateName = nil // the API takes the ID or the name, not both
	if _, err := c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), CapacityRebalance: aws.Bool(false),
		MixedInstancesPolicy: &astypes.MixedInstancesPolicy{LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: spec, Overrides: o},
			InstancesDistribution: p.InstancesDistribution}}); err != nil {
		t.Fatal(err)
	}
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
