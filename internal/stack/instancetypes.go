package stack

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// Instance-type flexibility (issue 20). instance_types generalises
// instance_type: with it, every zonal group gets a mixed instances policy
// whose overrides are the types in priority order, so a zone short of the
// first type launches the next. instance_type stays the launch template's
// type: left out, it is the list's first; set, it must be the list's first.
// A Spot share (on_demand_percentage_above_base below 100) needs a policy
// too, with instance_type alone when instance_types is not set.

// maxInstanceTypes is how many instance types an Auto Scaling group takes
// (User Guide, "Auto Scaling groups with multiple instance types and
// purchase options": at most 40 instance types).
const maxInstanceTypes = 40

const (
	defaultOnDemandBase     = 0
	defaultOnDemandAbovePct = 100
)

func instanceTypeAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"instance_type": schema.StringAttribute{Optional: true, Computed: true, Default: stringDefault(defaultInstanceType),
			MarkdownDescription: "Instance type of the launch template, offered in every zone of `app_subnet_ids` and able to run the image's architecture (both checked at plan time). " +
				"Defaults to `t3.small`, or, with `instance_types`, to the list's first type; set with `instance_types`, it must be the list's first type."},
		"instance_types": schema.ListAttribute{Optional: true, ElementType: types.StringType,
			MarkdownDescription: fmt.Sprintf("Instance types in priority order, 1 to %d, for example `[\"t3.small\", \"t3a.small\", \"m5.large\"]`. ", maxInstanceTypes) +
				"Each zonal group gets a mixed instances policy with these types as overrides and the on-demand allocation strategy `prioritized`: " +
				"it launches the first type and, when a zone is short of it (InsufficientInstanceCapacity), the next, so one type short in one zone does not stop that zone's group. " +
				"Every type must be offered in every zone and run the image's architecture (checked at plan time). " +
				"Adding a type or changing the order changes the groups in place (a new first type is a new launch template version, rolled out); instances of a type removed from the list are replaced zone by zone. " +
				"See the guide *Capacity and instance types*.",
			Validators: []validator.List{listvalidator.SizeBetween(1, maxInstanceTypes), uniqueValues{},
				listvalidator.ValueStringsAre(stringvalidator.LengthBetween(1, 64))}},
		"on_demand_base_capacity": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultOnDemandBase),
			MarkdownDescription: "Instances of the stack that are always on-demand, split across the zones as `capacity` is (0 to `capacity.max`, checked at plan time). " +
				"Above it, `on_demand_percentage_above_base` says how many are. Defaults to `0`.",
			Validators: []validator.Int64{int64validator.Between(0, 1000)}},
		"on_demand_percentage_above_base": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultOnDemandAbovePct),
			MarkdownDescription: "Percentage of the instances above `on_demand_base_capacity` that are on-demand; the rest are Spot. Defaults to `100` (no Spot). " +
				"Below 100 the groups get a mixed instances policy (with `instance_type` alone if `instance_types` is not set) and capacity rebalancing, " +
				"which launches a replacement for a Spot instance at elevated risk of interruption before AWS reclaims it.",
			Validators: []validator.Int64{int64validator.Between(0, 100)}},
		"spot_allocation_strategy": schema.StringAttribute{Optional: true, Computed: true, Default: stringDefault(blueprint.DefaultSpotStrategy),
			MarkdownDescription: "How Spot instances are spread over the Spot pools: `price-capacity-optimized` (the default, pools least likely to be interrupted at a low price), " +
				"`capacity-optimized`, `capacity-optimized-prioritized` (honours the order of `instance_types` where it can) or `lowest-price`. Used only with a Spot share.",
			Validators: []validator.String{stringvalidator.OneOf(blueprint.SpotStrategies...)}},
	}
}

// mixSpec is the stack's mixed instances policy, nil when the groups launch
// from the template alone.
func mixSpec(ctx context.Context, in *instancesModel) *blueprint.MixSpec {
	list, _ := stringsOf(ctx, in.InstanceTypes)
	pct, _ := intOr(in.OnDemandAbovePct, defaultOnDemandAbovePct)
	if len(list) == 0 && pct >= 100 {
		return nil
	}
	if len(list) == 0 {
		list = []string{cmp.Or(in.InstanceType.ValueString(), defaultInstanceType)}
	}
	base, _ := intOr(in.OnDemandBase, defaultOnDemandBase)
	strategy := in.SpotStrategy.ValueString()
	if !knownString(in.SpotStrategy) {
		strategy = blueprint.DefaultSpotStrategy
	}
	return &blueprint.MixSpec{Types: list, OnDemandBase: i32(base), OnDemandPercentAboveBase: i32(pct), SpotStrategy: strategy}
}

// launchTypes are the types the groups may launch, when known: instance_types,
// or instance_type alone.
func launchTypes(ctx context.Context, in *instancesModel) ([]string, bool) {
	if list, known := stringsOf(ctx, in.InstanceTypes); !known {
		return nil, false
	} else if len(list) > 0 {
		return list, true
	}
	if !knownString(in.InstanceType) {
		return nil, false
	}
	return []string{in.InstanceType.ValueString()}, true
}

// validateInstanceTypes refuses an instance_type that contradicts
// instance_types, and an on-demand base above the stack's maximum capacity,
// which no group could ever reach (each zone's base is its share, as its
// max is, so base <= capacity.max keeps every zone's base within its max).
func validateInstanceTypes(ctx context.Context, in *instancesModel, c *capacityModel, resp *resource.ValidateConfigResponse) {
	if in == nil {
		return
	}
	p := path.Root("instances")
	list, known := stringsOf(ctx, in.InstanceTypes)
	if known && len(list) > 0 && knownString(in.InstanceType) && in.InstanceType.ValueString() != list[0] {
		resp.Diagnostics.AddAttributeError(p.AtName("instance_type"), "instance_type conflicts with instance_types",
			fmt.Sprintf("instances.instance_type is %s but instances.instance_types starts with %s: the launch template's type is the list's first. "+
				"Remove instance_type, or put %s first in instance_types.", in.InstanceType.ValueString(), list[0], in.InstanceType.ValueString()))
	}
	base, okBase := intOr(in.OnDemandBase, defaultOnDemandBase)
	hi, okMax := int64(defaultCapacityMax), true
	if c != nil {
		hi, okMax = intOr(c.Max, defaultCapacityMax)
	}
	if okBase && okMax && base > hi {
		resp.Diagnostics.AddAttributeError(p.AtName("on_demand_base_capacity"), "On-demand base above capacity",
			fmt.Sprintf("instances.on_demand_base_capacity (%d) is above capacity.max (%d): the groups can never run that many instances. "+
				"Set on_demand_base_capacity to at most %d, or raise capacity.max.", base, hi, hi))
	}
}

// planInstanceType makes instance_type follow instance_types when the
// configuration leaves it out, so the plan shows the template's real type:
// unknown while the list is (writeState fills it in after the apply).
func planInstanceType(ctx context.Context, config tfsdk.Config, plan *stackModelV0) diag.Diagnostics {
	var set types.String
	diags := config.GetAttribute(ctx, path.Root("instances").AtName("instance_type"), &set)
	var in *instancesModel
	diags.Append(unpackObject(ctx, plan.Instances, &in)...)
	if diags.HasError() || in == nil || !set.IsNull() {
		return diags
	}
	list, known := stringsOf(ctx, in.InstanceTypes)
	if !known {
		diags.Append(setObjectAttr(ctx, &plan.Instances, "instance_type", types.StringUnknown())...)
		return diags
	}
	if len(list) == 0 || in.InstanceType.ValueString() == list[0] {
		return diags
	}
	diags.Append(setObjectAttr(ctx, &plan.Instances, "instance_type", types.StringValue(list[0]))...)
	return diags
}

// checkTypesOffered verifies that every launch type is offered in every zone
// (DescribeInstanceTypeOfferings, location type availability-zone), in one call.
func (r *stackResource) checkTypesOffered(ctx context.Context, launch []string, zones []string, diags *diag.Diagnostics) {
	attr := "instance_type"
	if len(launch) > 1 {
		attr = "instance_types"
	}
	p := path.Root("instances").AtName(attr)
	offered, err := r.client.Lookup.Offerings(ctx, launch, zones)
	if err != nil {
		diags.AddAttributeError(p, "Instance type check failed",
			"Could not check where instances."+attr+" "+strings.Join(launch, ", ")+" is offered. Check the provider's credentials allow ec2:DescribeInstanceTypeOfferings.\n\nOriginal Error: "+err.Error())
		return
	}
	for _, t := range launch {
		var missing []string
		for _, z := range zones {
			if !offered[t][z] {
				missing = append(missing, z)
			}
		}
		if len(missing) == 0 {
			continue
		}
		sort.Strings(missing)
		fix := "Choose an instance type offered in every zone of app_subnet_ids, or use subnets in other zones."
		if attr == "instance_types" {
			fix = "Remove " + t + " from instance_types or replace it with a type offered in every zone of app_subnet_ids: a type missing in a zone would leave that zone's group without the fallback the list promises."
		}
		diags.AddAttributeError(p, "Instance type not offered in every zone",
			fmt.Sprintf("instances.%s: %s is not offered in %s, so that zone's group could never launch it. %s", attr, t, strings.Join(missing, ", "), fix))
	}
}

// importMix reads the groups' mixed instances policy back: the types, the
// Spot share and the on-demand base, the zones' shares summed. A policy of
// one type with a Spot share is what on_demand_percentage_above_base alone
// makes, so instance_types stays null for it.
func importMix(in *instancesModel, groups []blueprint.AutoScalingGroupProps) {
	in.InstanceTypes = types.ListNull(types.StringType)
	in.OnDemandBase, in.OnDemandAbovePct = types.Int64Value(defaultOnDemandBase), types.Int64Value(defaultOnDemandAbovePct)
	in.SpotStrategy = types.StringValue(blueprint.DefaultSpotStrategy)
	if len(groups) == 0 || groups[0].Mix == nil {
		return
	}
	m := groups[0].Mix
	var base int64
	for _, g := range groups {
		if g.Mix != nil {
			base += int64(g.Mix.OnDemandBase)
		}
	}
	if len(m.Types) > 1 || m.OnDemandPercentAboveBase >= 100 {
		in.InstanceTypes = stringList(m.Types)
	}
	in.OnDemandBase, in.OnDemandAbovePct = types.Int64Value(base), types.Int64Value(int64(m.OnDemandPercentAboveBase))
	if m.SpotStrategy != "" {
		in.SpotStrategy = types.StringValue(m.SpotStrategy)
	}
}

// setInstanceTypeComputed records the launch template's type when the plan
// could not know it (instance_types unknown then).
func setInstanceTypeComputed(m *stackModelV0, spec blueprint.Spec) {
	if m.Instances.IsNull() || m.Instances.IsUnknown() {
		return
	}
	if t, _ := m.Instances.Attributes()["instance_type"].(types.String); t.IsUnknown() {
		_ = setObjectAttr(context.Background(), &m.Instances, "instance_type", types.StringValue(spec.Instances.TemplateType()))
	}
}
