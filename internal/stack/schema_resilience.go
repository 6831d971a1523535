package stack

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// The zone-resilience settings: how fast a dead instance stops receiving
// requests, when the load balancer fails open, and how a zonal group
// replaces an instance.

func timeToDetectAttribute() schema.Attribute {
	return schema.Int64Attribute{Optional: true, Computed: true,
		MarkdownDescription: fmt.Sprintf("Seconds within which an instance that stops answering must stop receiving new requests (%d-%d). ", blueprint.MinTimeToDetect, blueprint.MaxTimeToDetect) +
			"The load balancer takes a target out after `unhealthy_threshold` failed checks in a row, the last one timing out: at worst `unhealthy_threshold` × `interval` + `timeout` seconds after it died. " +
			"When set, the timings you leave out are derived to meet it, tolerating as many failed checks in a row and as long a timeout as fit (for example `30` gives `interval` 8, `timeout` 6, `unhealthy_threshold` 3), " +
			"and a combination that cannot meet it fails the plan. When left out, it shows the detection time of the timings in use (`70` with the defaults).",
		Validators: []validator.Int64{int64validator.Between(blueprint.MinTimeToDetect, blueprint.MaxTimeToDetect)}}
}

func failOpenAttribute() schema.Attribute {
	return schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultFailOpenPercent),
		MarkdownDescription: "When fewer than this percentage of the targets are healthy, the load balancer sends requests to every target, unhealthy ones too (fail open: the target group's " +
			"unhealthy-state routing threshold). `0` turns the percentage off: the load balancer then fails open only when no target is healthy. Defaults to `25`: " +
			"below the share of healthy targets that losing any one zone leaves while the zonal groups are about the same size (at least a third: two zones of 2 and 1), so a lost zone never receives requests, " +
			"while a fault that fails every zone's checks at once (a broken health path, an overloaded fleet) keeps the instances that still run serving instead of " +
			"pushing all the load onto the last few healthy ones.",
		Validators: []validator.Int64{int64validator.Between(0, 100)}}
}

func instanceMaintenanceAttribute() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true, Computed: true, Default: objectdefault.StaticValue(defaultMaintenance()),
		MarkdownDescription: "Every zonal group's instance maintenance policy: how much of its desired capacity stays in service while Auto Scaling replaces instances " +
			"(after a failed health check, among others). The defaults (100% to 200%) launch a replacement and wait for it before terminating the instance it replaces, " +
			"so a zone with one instance never drops to zero.",
		Attributes: map[string]schema.Attribute{
			"min_healthy_percent": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultMinHealthyPercent),
				MarkdownDescription: "Share of the desired capacity kept in service and healthy during a replacement (0-100). Defaults to `100`: launch before terminating.",
				Validators:          []validator.Int64{int64validator.Between(0, 100)}},
			"max_healthy_percent": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultMaxHealthyPercent),
				MarkdownDescription: "Share of the desired capacity that may be in service or launching during a replacement (100-200), at most 100 above `min_healthy_percent`. " +
					"Defaults to `200`: even a zone of one instance can launch its replacement first.",
				Validators: []validator.Int64{int64validator.Between(100, 200)}},
		}}
}
