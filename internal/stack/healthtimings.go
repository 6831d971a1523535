package stack

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// Health check timings from one goal, health_check.time_to_detect: the
// timings the user left out are derived by blueprint.DeriveHealthTimings
// (the same formula the soak library's failure budgets use), the ones set
// win. Without a goal every timing left out keeps its default and
// time_to_detect reports the detection time of what is in use.

func timingsOf(h blueprint.HealthCheckSpec) blueprint.HealthTimings {
	return blueprint.HealthTimings{Interval: h.Interval, Timeout: h.Timeout, HealthyThreshold: h.HealthyThreshold, UnhealthyThreshold: h.UnhealthyThreshold}
}

// givenTimings reads the timings set in the configuration (0 when left out);
// known is false while any of them or the goal is unknown.
func givenTimings(h *healthCheckModel) (goal int32, given blueprint.HealthTimings, known bool) {
	vals := []types.Int64{h.TimeToDetect, h.Interval, h.Timeout, h.HealthyThreshold, h.UnhealthyThreshold}
	for _, v := range vals {
		if v.IsUnknown() {
			return 0, given, false
		}
	}
	return i32(h.TimeToDetect.ValueInt64()), blueprint.HealthTimings{Interval: i32(h.Interval.ValueInt64()), Timeout: i32(h.Timeout.ValueInt64()),
		HealthyThreshold: i32(h.HealthyThreshold.ValueInt64()), UnhealthyThreshold: i32(h.UnhealthyThreshold.ValueInt64())}, true
}

// resolveTimings is what the stack uses for a configured health_check:
// derived from the goal when one is set, else the values set or defaults.
func resolveTimings(h *healthCheckModel) (blueprint.HealthTimings, bool, error) {
	goal, given, known := givenTimings(h)
	if !known {
		return blueprint.HealthTimings{}, false, nil
	}
	if goal == 0 {
		d := defaultTimings()
		pick := func(v, def int32) int32 {
			if v == 0 {
				return def
			}
			return v
		}
		return blueprint.HealthTimings{Interval: pick(given.Interval, d.Interval), Timeout: pick(given.Timeout, d.Timeout),
			HealthyThreshold: pick(given.HealthyThreshold, d.HealthyThreshold), UnhealthyThreshold: pick(given.UnhealthyThreshold, d.UnhealthyThreshold)}, true, nil
	}
	h2, err := blueprint.DeriveHealthTimings(goal, given)
	return h2, true, err
}

// validateTimeToDetect fails a configuration whose goal cannot be met.
func validateTimeToDetect(h *healthCheckModel, diags *diag.Diagnostics) {
	if h == nil || h.TimeToDetect.IsNull() {
		return
	}
	if _, known, err := resolveTimings(h); known && err != nil {
		diags.AddAttributeError(path.Root("health_check").AtName("time_to_detect"), "Health check cannot detect in time",
			fmt.Sprintf("health_check.%s.", err))
	}
}

// planHealthTimings sets the planned timings and time_to_detect from the
// configuration's health_check.
func planHealthTimings(ctx context.Context, config tfsdk.Config, plan *stackModelV0) diag.Diagnostics {
	var diags diag.Diagnostics
	var cfgObj types.Object
	diags.Append(config.GetAttribute(ctx, path.Root("health_check"), &cfgObj)...)
	if diags.HasError() || plan.HealthCheck.IsNull() || plan.HealthCheck.IsUnknown() {
		return diags
	}
	var cfg *healthCheckModel
	diags.Append(unpackObject(ctx, cfgObj, &cfg)...)
	if cfg == nil {
		// No health_check block: the object's default applies, but the
		// framework marks its computed time_to_detect (which has no default
		// of its own: it is derived) unknown. Derive it from the defaults.
		cfg = &healthCheckModel{}
	}
	h, known, err := resolveTimings(cfg)
	if !known || err != nil {
		return diags // ValidateConfig reported the error
	}
	attrs := plan.HealthCheck.Attributes()
	set := map[string]attr.Value{
		"interval": types.Int64Value(int64(h.Interval)), "timeout": types.Int64Value(int64(h.Timeout)),
		"healthy_threshold": types.Int64Value(int64(h.HealthyThreshold)), "unhealthy_threshold": types.Int64Value(int64(h.UnhealthyThreshold)),
		"time_to_detect": types.Int64Value(int64(h.Detect())),
	}
	if !cfg.TimeToDetect.IsNull() {
		set["time_to_detect"] = cfg.TimeToDetect // the goal, met or beaten
	}
	for k, v := range set {
		attrs[k] = v
	}
	o, d := types.ObjectValue(plan.HealthCheck.AttributeTypes(ctx), attrs)
	diags.Append(d...)
	if !d.HasError() {
		plan.HealthCheck = o
	}
	return diags
}
