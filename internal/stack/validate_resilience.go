package stack

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// validateMaintenance applies AWS's rule for an instance maintenance
// policy: the two percentages at most 100 apart (Auto Scaling API
// reference, InstanceMaintenancePolicy).
func validateMaintenance(mp *maintenanceModel, resp *resource.ValidateConfigResponse) {
	if mp == nil {
		return
	}
	lo, ok1 := intOr(mp.MinHealthyPercent, defaultMinHealthyPercent)
	hi, ok2 := intOr(mp.MaxHealthyPercent, defaultMaxHealthyPercent)
	if ok1 && ok2 && hi-lo > 100 {
		resp.Diagnostics.AddAttributeError(path.Root("instance_maintenance").AtName("max_healthy_percent"), "Maintenance range too wide",
			fmt.Sprintf("instance_maintenance.max_healthy_percent (%d) is more than 100 above min_healthy_percent (%d), which Auto Scaling refuses. "+
				"Set max_healthy_percent to at most %d, or raise min_healthy_percent to at least %d.", hi, lo, lo+100, hi-100))
	}
}

// validateFailOpen warns when losing one zone could leave fewer healthy
// targets than the fail-open threshold: the load balancer would then send
// requests to the lost zone's targets too, the failure a zonal stack is
// built to survive. The share is taken at the minimum capacity, split
// over the zones as the groups are; at larger sizes it is no lower.
func validateFailOpen(h *healthCheckModel, c *capacityModel, zones int, resp *resource.ValidateConfigResponse) {
	if zones < 2 {
		return
	}
	pct, ok := int64(defaultFailOpenPercent), true
	if h != nil {
		pct, ok = intOr(h.FailOpenPercent, defaultFailOpenPercent)
	}
	lo, okMin := int64(defaultCapacityMin), true
	if c != nil {
		lo, okMin = intOr(c.Min, defaultCapacityMin)
	}
	if !ok || !okMin || pct == 0 || lo < int64(zones) {
		return
	}
	split := blueprint.SplitCapacity(blueprint.CapacitySpec{Min: i32(lo)}, zones)
	left := lo - int64(split[0].Min) // the first zone holds the largest share
	if left*100 < pct*lo {
		resp.Diagnostics.AddAttributeWarning(path.Root("health_check").AtName("fail_open_below_percent"), "Fail-open threshold above a zone loss",
			fmt.Sprintf("Losing the zone with %d of the %d instances leaves %d healthy (%d%%), below health_check.fail_open_below_percent (%d): "+
				"the load balancer would then send requests to the lost zone's instances too. Lower fail_open_below_percent to at most %d, or raise capacity.min.",
				split[0].Min, lo, left, left*100/lo, pct, left*100/lo))
	}
}
