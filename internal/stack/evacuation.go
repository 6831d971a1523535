package stack

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// returningZones are the zones the prior state evacuated and the plan no
// longer does: the apply cancels their shift before the surviving groups
// shrink.
func returningZones(ctx context.Context, prior, plan stackModelV0) []string {
	was, _ := stringsOf(ctx, prior.EvacuateZones)
	now, _ := stringsOf(ctx, plan.EvacuateZones)
	var out []string
	for _, z := range was {
		if !slices.Contains(now, z) {
			out = append(out, z)
		}
	}
	return out
}

// checkEvacuation runs the plan-time checks of evacuate_zones against the
// stack's zones (known once the subnets are).
func checkEvacuation(evacuate, zones []string, zonalShift bool, diags *diag.Diagnostics) {
	if len(evacuate) == 0 {
		return
	}
	p := path.Root("evacuate_zones")
	for i, z := range evacuate {
		if !slices.Contains(zones, z) {
			diags.AddAttributeError(p.AtListIndex(i), "Not a zone of the stack",
				fmt.Sprintf("evacuate_zones names %s, but the stack's zones are %s (the zones of app_subnet_ids). Name one of those.", z, strings.Join(zones, ", ")))
		}
	}
	if len(evacuate) >= len(zones) {
		diags.AddAttributeError(p, "No zone would remain",
			fmt.Sprintf("evacuate_zones takes every zone of the stack (%s) out of service: nothing would serve. Keep at least one zone in service.", strings.Join(zones, ", ")))
	}
	if len(evacuate) > 1 {
		// "You can start a zonal shift for a specific load balancer only for
		// a single Availability Zone" (ARC Developer Guide, Application Load
		// Balancers under supported resources).
		diags.AddAttributeError(p, "More than one zone",
			fmt.Sprintf("evacuate_zones names %d zones, but ARC shifts a load balancer away from a single zone at a time. Evacuate one zone.", len(evacuate)))
	}
	if !zonalShift {
		diags.AddAttributeError(path.Root("enable_zonal_shift"), "Zonal shift is off",
			"evacuate_zones needs the load balancer's ARC zonal shift integration: set enable_zonal_shift = true (the default).")
	}
}

// evacuationWarning tells, in the plan, how much capacity moves where when
// the evacuated zones change.
func evacuationWarning(spec blueprint.Spec, returning []string, diags *diag.Diagnostics) {
	if len(spec.EvacuateZones) == 0 && len(returning) == 0 {
		return
	}
	plan := blueprint.PlanCapacity(spec)
	var moves []string
	for _, z := range plan.Zones {
		switch {
		case z.Evacuated:
			moves = append(moves, fmt.Sprintf("%s: out of service (keeps its %d instances, scale-in and replacement suspended)", z.Zone, z.Normal.Desired))
		case z.Planned != z.Normal:
			moves = append(moves, fmt.Sprintf("%s: min %d -> %d, desired at least %d", z.Zone, z.Normal.Min, z.Planned.Min, z.Planned.Desired))
		default:
			moves = append(moves, fmt.Sprintf("%s: unchanged (min %d)", z.Zone, z.Normal.Min))
		}
	}
	if len(spec.EvacuateZones) > 0 {
		detail := fmt.Sprintf("Capacity moves before the zonal shift starts:\n  %s\nServing: %d of desired %d; if another zone were lost: %d.",
			strings.Join(moves, "\n  "), plan.Serving, spec.Capacity.Desired, plan.AfterZoneLoss)
		if plan.Shortfall > 0 {
			detail += fmt.Sprintf("\nThe zones in service cannot take %d instances: their share of capacity.max does not allow it. Raise capacity.max to close the shortfall.", plan.Shortfall)
		}
		diags.AddAttributeWarning(path.Root("evacuate_zones"), "Evacuating "+strings.Join(spec.EvacuateZones, ", "), detail)
		return
	}
	diags.AddAttributeWarning(path.Root("evacuate_zones"), "Returning "+strings.Join(returning, ", "),
		fmt.Sprintf("The zonal shift away from %s is cancelled and the apply waits for its targets to be healthy; then the other zones' groups return to their normal capacity (min and desired).",
			strings.Join(returning, ", ")))
}
