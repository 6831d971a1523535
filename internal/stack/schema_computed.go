package stack

import (
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// computedAttributes expose every child, so users can wire DNS, alarms and
// policies to them. ModifyPlan decides which of them an update changes.
func computedAttributes() map[string]schema.Attribute {
	str := func(desc string) schema.Attribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The stack name.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"url":                str("URL of the application: `https://<dns_name>` with a certificate, `http://<dns_name>` otherwise."),
		"dns_name":           str("DNS name of the load balancer."),
		"zone_id":            str("Route 53 hosted zone ID of the load balancer, for alias records."),
		"load_balancer_arn":  str("ARN of the load balancer."),
		"http_listener_arn":  str("ARN of the HTTP listener."),
		"https_listener_arn": str("ARN of the HTTPS listener; null without a certificate."),
		"target_group_arn":   str("ARN of the target group."),
		"security_group_ids": schema.MapAttribute{Computed: true, ElementType: types.StringType,
			MarkdownDescription: "Security group IDs by role: `alb`, `app` and, with a database, `db`."},
		"launch_template_id": str("ID of the launch template."),
		"launch_template_version": schema.Int64Attribute{Computed: true,
			MarkdownDescription: "Launch template version every zonal group is pinned to (never `$Latest`)."},
		"autoscaling_group_names": schema.MapAttribute{Computed: true, ElementType: types.StringType,
			MarkdownDescription: "Auto Scaling group name by availability zone."},
		"zones": schema.ListAttribute{Computed: true, ElementType: types.StringType,
			MarkdownDescription: "Availability zone of each of `app_subnet_ids`, in the same order."},
		"instance_role_arn":      str("ARN of the instance role the stack created; null with `instances.instance_profile_name`."),
		"instance_profile":       str("Name of the instance profile the instances use."),
		"db_instance_identifier": str("Identifier of the database instance; null without a database."),
		"db_endpoint":            str("Host name of the database."),
		"db_port":                schema.Int64Attribute{Computed: true, MarkdownDescription: "Port of the database."},
		"db_secret_arn":          str("ARN of the Secrets Manager secret holding the database master credentials (managed by AWS)."),
		"capacity_after_zone_loss": schema.Int64Attribute{Computed: true,
			MarkdownDescription: "Instances left serving, of the initial `desired`, if the zone in service with the most instances is lost (before autoscaling replaces them); " +
				"with `evacuate_zones`, the loss of another zone on top of the evacuated one."},
		"on_demand_after_zone_loss": schema.Int64Attribute{Computed: true,
			MarkdownDescription: "The on-demand part of `capacity_after_zone_loss`, at the least: what keeps serving if, on top of the zone, every Spot instance is reclaimed " +
				"(Spot capacity is what AWS takes back first when a zone's demand moves to the others). Each group counts its share of `on_demand_base_capacity`, " +
				"then `on_demand_percentage_above_base` of the rest, rounded down. Equal to `capacity_after_zone_loss` without a Spot share."},
		"capacity_serving": schema.Int64Attribute{Computed: true,
			MarkdownDescription: "Instances serving traffic, of the initial `desired`: all of it normally; with `evacuate_zones`, what the zones in service carry once their groups are raised."},
		"evacuation_shortfall": schema.Int64Attribute{Computed: true,
			MarkdownDescription: "Instances of `capacity.desired` the zones in service cannot take during an evacuation because their share of `capacity.max` does not allow it; `0` when they can. Raise `capacity.max` to close it."},
		"evacuation_expires_at": schema.StringAttribute{Computed: true,
			MarkdownDescription: "When the zonal shift of `evacuate_zones` expires (RFC 3339, UTC); null when no shift of the stack's is active. " +
				"An apply renews a shift with less than a day left; one that expired sends traffic back to a zone whose group's processes are still suspended, " +
				"which the plan warns about and `drift` shows."},
		"autoshift_alarm_arn":  str("ARN of the CloudWatch alarm `zonal_autoshift`'s practice runs watch; null without `zonal_autoshift`."),
		"autoshift_alarm_name": str("Name of that alarm (`<name>-autoshift-outcome`); null without `zonal_autoshift`."),
		"active_shift_started_by": str("Who started the zonal shift that moves the load balancer's traffic now, as of the last refresh: `stack` (`evacuate_zones`), " +
			"`customer` (someone else's zonal shift), `zonal_autoshift` (AWS, for an impaired zone), `practice_run` (AWS, or one started on request) or `fis_experiment`. " +
			"Null when no shift is applied. Read with `zonal_autoshift` only (from the call it makes anyway). A shift AWS started is shown, never treated as drift: " +
			"the next apply leaves it alone."),
		"active_shift_away_from":  str("The Availability Zone ID (ARC names zones by ID, e.g. `use1-az1`) the active shift moves traffic away from; null when none."),
		"active_shift_expires_at": str("When the active shift expires (RFC 3339, UTC); null when none, and for an autoshift, which lasts as long as the impairment."),
		"practice_run_outcome":    str("The outcome of the active practice run (`PENDING`, `SUCCEEDED`, `FAILED`, `INTERRUPTED`, `CAPACITY_CHECK_FAILED`); null when no practice run is applied."),
		"drift": schema.ListAttribute{Computed: true, ElementType: types.StringType,
			MarkdownDescription: "Differences between AWS and the configuration found by the last refresh, such as a deleted zonal group. " +
				"The plan shows them going away; the apply repairs them."},
	}
}
