package stack

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
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

// shiftGoneDrift says what a missing shift of an evacuated zone means: the
// load balancer sends the zone traffic again while its group still has the
// evacuation's processes suspended.
func shiftGoneDrift(zone string) string {
	return fmt.Sprintf("zonal shift away from %s is not active (expired or cancelled): the zone gets traffic again while its group's Launch, ReplaceUnhealthy "+
		"and AlarmNotification stay suspended; apply to shift it away again, or remove it from evacuate_zones to return it", zone)
}

// expiredShiftWarning warns, in the plan, that the state's evacuation has no
// active shift any more (it expired, or someone cancelled it).
func expiredShiftWarning(ctx context.Context, state stackModelV0, diags *diag.Diagnostics) {
	zones, _ := stringsOf(ctx, state.EvacuateZones)
	if len(zones) == 0 || !state.EvacuationExpiresAt.IsNull() || state.ID.IsNull() {
		return
	}
	diags.AddAttributeWarning(path.Root("evacuation_expires_at"), "Zonal shift not active", shiftGoneDrift(strings.Join(zones, ", "))+
		". A shift lasts at most 72 hours: apply at least every two days while a zone stays evacuated.")
}

// zoneReadings reads the zonal groups as Observe found them, for
// blueprint.DecideShiftTiming.
func zoneReadings(spec blueprint.Spec, observed map[string]engine.Observation) map[string]blueprint.ZoneReading {
	out := map[string]blueprint.ZoneReading{}
	num := func(o engine.Observation, attr string) int32 {
		n, _ := strconv.Atoi(o.Attrs[attr])
		return int32(n)
	}
	for _, sn := range spec.AppSubnets {
		if o, ok := observed[blueprint.KeyFor(blueprint.KindAutoScalingGroup, sn.Zone)]; ok {
			out[sn.Zone] = blueprint.ZoneReading{InService: num(o, engine.AttrInServiceHealthy), Unhealthy: num(o, engine.AttrUnhealthy),
				Min: num(o, "min"), Desired: num(o, "desired")}
		}
	}
	return out
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
		detail := fmt.Sprintf("Capacity moves:\n  %s\nServing: %d of desired %d; if another zone were lost: %d.\n"+
			"The zonal shift starts at once when the zone is down (an instance unhealthy, or launches failing); otherwise evacuation_shift_timing = %q decides "+
			"(auto: at once when the zones left already serve the current load, else after their raise).",
			strings.Join(moves, "\n  "), plan.Serving, spec.Capacity.Desired, plan.AfterZoneLoss, cmp.Or(spec.ShiftTiming, blueprint.ShiftTimingAuto))
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
