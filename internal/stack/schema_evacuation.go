package stack

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// evacuationShiftTimingAttribute says when an evacuation's zonal shift
// starts. It sits beside evacuate_zones at the top level, as the other
// evacuation attributes do (enable_zonal_shift, evacuation_shortfall,
// evacuation_expires_at): a nested evacuation block would move
// evacuate_zones, a breaking change.
func evacuationShiftTimingAttribute() schema.Attribute {
	return schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(blueprint.ShiftTimingAuto),
		MarkdownDescription: "When the zonal shift of `evacuate_zones` starts, relative to raising the other zones' groups. " +
			"`auto` (the default): at once when the zones left already serve the current load (their healthy in-service instances are at least " +
			"the sum of every group's current desired capacity), otherwise once their new instances are healthy. " +
			"`immediate`: always at once, then the raise (a stack provisioned for static stability). " +
			"`after_capacity`: always after the raise. " +
			"Whatever the value, a zone that is down (an instance of its group unhealthy, or fewer in service than its min because launches fail) " +
			"is shifted away at once: until the shift, its load balancer node stays in the load balancer's DNS answers and fails the clients that resolve to it. " +
			"The evacuated zone's group is never waited on.",
		Validators: []validator.String{stringvalidator.OneOf(blueprint.ShiftTimings...)}}
}
