package stack

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// ModifyPlan runs the checks that need AWS (read-only calls) and fills in
// every computed value the plan can already know, so the plan shows what an
// apply will change and nothing more.
func (r *stackResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan stackModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(planInstanceType(ctx, req.Config, &plan)...)
	var state *stackModelV0
	if !req.State.Raw.IsNull() {
		state = &stackModelV0{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	n, diags := plan.unpack(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state != nil {
		resp.Diagnostics.Append(checkImmutable(ctx, plan, *state)...)
	}
	warnLateChecks(ctx, req.Config, &resp.Diagnostics)
	resp.Diagnostics.Append(fillDatabasePort(ctx, &plan, n.database)...)
	resp.Diagnostics.Append(planHealthTimings(ctx, req.Config, &plan)...)
	r.runAWSChecks(ctx, plan, state, n, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	var zones []string
	ok := false
	if state != nil && networkUnchanged(ctx, plan, *state) {
		// Checked when it was planned last: a refresh-and-plan of an
		// unchanged stack costs no extra AWS call.
		zones, ok = stringsOf(ctx, state.Zones)
	} else {
		zones, ok = r.checkNetwork(ctx, plan, n, &resp.Diagnostics)
		if state != nil && ok {
			r.checkDatabaseSubnets(ctx, plan, *state, n, &resp.Diagnostics)
		}
		if resp.Diagnostics.HasError() {
			return
		}
	}
	evacuate, evacKnown := stringsOf(ctx, plan.EvacuateZones)
	if ok && evacKnown {
		checkEvacuation(evacuate, zones, plan.EnableZonalShift.ValueBool() || plan.EnableZonalShift.IsUnknown(), &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if ok {
		planDerived(ctx, &plan, n, zones, evacuate, evacKnown)
		if evacKnown && n.capacity != nil {
			var returning []string
			if state != nil {
				returning = returningZones(ctx, *state, plan)
			}
			if state == nil || !plan.EvacuateZones.Equal(state.EvacuateZones) {
				evacuationWarning(capacitySpec(n.capacity, zones, evacuate), returning, &resp.Diagnostics)
			}
		}
	}
	if state != nil {
		expiredShiftWarning(ctx, *state, &resp.Diagnostics)
		keepUnchangedComputed(ctx, &plan, *state)
	} else {
		plan.Drift = types.ListValueMust(types.StringType, []attr.Value{})
		plan.ID = plan.Name
	}
	planWiring(&plan, state)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// networkUnchanged reports whether everything the AWS checks look at is as
// it was when the state was written.
func networkUnchanged(ctx context.Context, plan, state stackModelV0) bool {
	var pi, si *instancesModel
	_ = unpackObject(ctx, plan.Instances, &pi)
	_ = unpackObject(ctx, state.Instances, &si)
	zones, known := stringsOf(ctx, state.Zones)
	return known && len(zones) > 0 && plan.VPCID.Equal(state.VPCID) && plan.AppSubnetIDs.Equal(state.AppSubnetIDs) &&
		plan.LBSubnetIDs.Equal(state.LBSubnetIDs) && pi != nil && si != nil && pi.InstanceType.Equal(si.InstanceType) &&
		pi.InstanceTypes.Equal(si.InstanceTypes)
}

// checkNetwork verifies subnets, zones and instance type with read-only
// calls. It returns the zone of each app subnet when everything is known.
func (r *stackResource) checkNetwork(ctx context.Context, plan stackModelV0, n nested, diags *diag.Diagnostics) ([]string, bool) {
	appIDs, knownApp := stringsOf(ctx, plan.AppSubnetIDs)
	lbIDs, knownLB := stringsOf(ctx, plan.LBSubnetIDs)
	if r.client == nil || !knownApp || !knownLB || !knownString(plan.VPCID) {
		return nil, false
	}
	subnets, err := r.client.Lookup.Subnets(ctx, append(append([]string{}, appIDs...), lbIDs...))
	if err != nil {
		diags.AddAttributeError(path.Root("app_subnet_ids"), "Subnets not found",
			"The subnets could not be read: check that every ID in app_subnet_ids and lb_subnet_ids exists in the provider's region.\n\nOriginal Error: "+err.Error())
		return nil, false
	}
	byID := map[string]Subnet{}
	for _, s := range subnets {
		byID[s.ID] = s
	}
	vpc := plan.VPCID.ValueString()
	zones := make([]string, len(appIDs))
	zoneSubnet := map[string]string{}
	for attrName, ids := range map[string][]string{"app_subnet_ids": appIDs, "lb_subnet_ids": lbIDs} {
		for i, id := range ids {
			s, ok := byID[id]
			switch {
			case !ok:
				diags.AddAttributeError(path.Root(attrName).AtListIndex(i), "Subnet not found",
					fmt.Sprintf("%s[%d]: subnet %s does not exist in the provider's region. Use a subnet of %s.", attrName, i, id, vpc))
			case s.VPCID != vpc:
				diags.AddAttributeError(path.Root(attrName).AtListIndex(i), "Subnet in another VPC",
					fmt.Sprintf("%s[%d]: subnet %s is in %s, not in vpc_id %s. Use subnets of %s, or set vpc_id to the subnets' VPC.", attrName, i, id, s.VPCID, vpc, vpc))
			case attrName == "app_subnet_ids":
				zones[i] = s.Zone
				if other, dup := zoneSubnet[s.Zone]; dup {
					diags.AddAttributeError(path.Root(attrName).AtListIndex(i), "Two app subnets in one zone",
						fmt.Sprintf("app_subnet_ids: subnets %s and %s are both in %s. Give one subnet per availability zone: each zone gets its own Auto Scaling group.", other, id, s.Zone))
				}
				zoneSubnet[s.Zone] = id
			}
		}
	}
	if diags.HasError() {
		return nil, false
	}
	if len(zoneSubnet) < 2 {
		diags.AddAttributeError(path.Root("app_subnet_ids"), "Fewer than two availability zones",
			"app_subnet_ids: the app subnets are all in one availability zone, so losing that zone stops the application. Add a subnet in another zone (3 zones recommended).")
	}
	lbZones := zoneSet(lbIDs, byID)
	if len(lbZones) < 2 {
		// CreateLoadBalancer (ELBv2 API reference, Subnets): an Application
		// Load Balancer needs subnets from at least two Availability Zones.
		diags.AddAttributeError(path.Root("lb_subnet_ids"), "Fewer than two availability zones",
			"lb_subnet_ids: an Application Load Balancer needs subnets in at least two availability zones. Add a subnet in another zone to lb_subnet_ids.")
	}
	for i, z := range zones {
		// Targets in a zone the load balancer does not enable receive no
		// traffic (Elastic Load Balancing User Guide, "Availability Zones for
		// your Application Load Balancer"): that zone's group would serve nothing.
		if !lbZones[z] {
			diags.AddAttributeError(path.Root("app_subnet_ids").AtListIndex(i), "Zone without a load balancer subnet",
				fmt.Sprintf("app_subnet_ids: app subnet %s is in %s, but no subnet of lb_subnet_ids is: the load balancer would send that zone's instances no traffic. "+
					"Add a load balancer subnet in %s to lb_subnet_ids, or move the app subnet to a zone the load balancer covers (%s).",
					appIDs[i], z, z, strings.Join(sortedKeys(lbZones), ", ")))
		}
	}
	if n.instances != nil {
		if launch, known := launchTypes(ctx, n.instances); known {
			r.checkTypesOffered(ctx, launch, zones, diags)
		}
	}
	return zones, !diags.HasError()
}

func zoneSet(ids []string, byID map[string]Subnet) map[string]bool {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[byID[id].Zone] = true
	}
	return seen
}

// capacitySpec is what PlanCapacity needs of the configuration.
func capacitySpec(c *capacityModel, zones, evacuate []string) blueprint.Spec {
	s := blueprint.Spec{EvacuateZones: evacuate,
		Capacity: blueprint.CapacitySpec{Min: i32(c.Min.ValueInt64()), Desired: i32(c.Desired.ValueInt64()), Max: i32(c.Max.ValueInt64())}}
	for _, z := range zones {
		s.AppSubnets = append(s.AppSubnets, blueprint.Subnet{Zone: z})
	}
	return s
}

// planDerived sets the computed values that follow from the configuration alone.
func planDerived(ctx context.Context, plan *stackModelV0, n nested, zones, evacuate []string, evacKnown bool) {
	plan.Zones = stringList(zones)
	names := blueprint.NamesFor(blueprint.Spec{Name: plan.Name.ValueString()})
	groups := map[string]attr.Value{}
	for _, z := range zones {
		groups[z] = types.StringValue(names.AutoScalingGroup(z))
	}
	plan.AutoScalingGroupNames = types.MapValueMust(types.StringType, groups)
	if c := n.capacity; c != nil && !c.Desired.IsUnknown() && !c.Min.IsUnknown() && !c.Max.IsUnknown() && evacKnown {
		spec := capacitySpec(c, zones, evacuate)
		// The on-demand figure follows from the base and the percentage
		// alone (the types change which instances launch, not how many are
		// on-demand): unknown until both are.
		mixKnown := true
		if in := n.instances; in != nil {
			spec.Instances.Mix = mixSpec(ctx, in)
			mixKnown = !in.OnDemandBase.IsUnknown() && !in.OnDemandAbovePct.IsUnknown()
		}
		setCapacityComputed(plan, blueprint.PlanCapacity(spec))
		if !mixKnown {
			plan.OnDemandAfterZoneLoss = types.Int64Unknown()
		}
	}
	if knownString(plan.Name) && n.database != nil {
		plan.DBInstanceIdentifier = types.StringValue(names.DBInstance)
	}
	if n.database == nil {
		plan.DBInstanceIdentifier, plan.DBEndpoint, plan.DBSecretARN = types.StringNull(), types.StringNull(), types.StringNull()
		plan.DBPort = types.Int64Null()
	}
	switch {
	case plan.ZonalAutoshift.IsNull():
		plan.AutoshiftAlarmARN, plan.AutoshiftAlarmName = types.StringNull(), types.StringNull()
		// Read only with zonal_autoshift: null, not "known after apply".
		plan.ActiveShiftStartedBy, plan.ActiveShiftAwayFrom = types.StringNull(), types.StringNull()
		plan.ActiveShiftExpiresAt, plan.PracticeRunOutcome = types.StringNull(), types.StringNull()
	case knownString(plan.Name):
		plan.AutoshiftAlarmName = types.StringValue(names.OutcomeAlarm)
	}
}
