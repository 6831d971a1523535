package stack

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

func (r *stackResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Version: 0,
		MarkdownDescription: "One highly-available, autoscaling web application: chained security groups, an Application Load Balancer " +
			"with its listeners and target group, a launch template, **one Auto Scaling group per availability zone** with " +
			"target-tracking scaling, an instance role that can read exactly the database secret, and an optional multi-AZ " +
			"PostgreSQL or MySQL database whose password AWS keeps in Secrets Manager.",
		Attributes: mergeAttrs(inputAttributes(), computedAttributes(), wiringAttributes(), map[string]schema.Attribute{
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true,
				CreateDescription: timeoutDescription(defaultCreateTimeout, "the whole create: every child, the database's creation and first backup, and (with `wait_for_healthy_targets`) "+
					"every zone's instances healthy. A failed create's clean-up has its own budget, the `delete` timeout."),
				UpdateDescription: timeoutDescription(defaultUpdateTimeout, "the whole update: a database modification (applied immediately; a class change on a multi-AZ database "+
					"modifies the standby, fails over, then modifies the old primary) and, beside it under the same deadline, the zone-by-zone rollout of a new launch template version, "+
					"each zone waiting for its new instances to pass the health checks."),
				DeleteDescription: timeoutDescription(defaultDeleteTimeout, "the whole delete: draining and removing the groups, the load balancer's network interfaces letting go "+
					"of the security groups, and the database's final snapshot and deletion."),
			}),
		}),
	}
}

func inputAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"name": schema.StringAttribute{Required: true,
			MarkdownDescription: fmt.Sprintf("Name of the stack, %d to %d lower-case letters, digits and single hyphens, for example `fruit-api`. ", blueprint.NameMinLength, blueprint.NameMaxLength) +
				"Every child's AWS name derives from it, so the bounds are what every child's name allows: the launch template's name needs 3 characters, " +
				"the target group's `<name>-<6 hex>` fits in 32. It must not start with `internal-` (reserved for load balancers) or `sg-` (refused for security groups), nor be `default` (refused for DB subnet groups). " +
				"Changing it replaces the stack.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			Validators:    []validator.String{nameValidator{}}},
		"vpc_id": schema.StringAttribute{Required: true, MarkdownDescription: "VPC of the stack. Changing it replaces the stack.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			Validators:    []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^vpc-[0-9a-f]+$`), "must be a VPC ID such as vpc-0a1b2c3d")}},
		"app_subnet_ids": schema.ListAttribute{Required: true, ElementType: types.StringType,
			MarkdownDescription: "Private subnets for the instances, **one per availability zone** (at least 2 zones, 3 recommended). " +
				"Each zone gets its own Auto Scaling group, so losing a zone never leaves a group unable to launch. Every zone must also have a subnet in `lb_subnet_ids`: " +
				"the load balancer sends no traffic to targets in a zone it does not enable.",
			Validators: []validator.List{listvalidator.SizeBetween(2, 6), uniqueValues{}, listvalidator.ValueStringsAre(subnetIDValidator())}},
		"lb_subnet_ids": schema.ListAttribute{Required: true, ElementType: types.StringType,
			MarkdownDescription: "Subnets of the load balancer (public ones for an internet-facing stack), in at least 2 zones.",
			Validators:          []validator.List{listvalidator.SizeAtLeast(2), uniqueValues{}, listvalidator.ValueStringsAre(subnetIDValidator())}},
		"internal": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
			PlanModifiers:       []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
			MarkdownDescription: "Make the load balancer internal (reachable only inside the VPC). Defaults to `false`. AWS cannot change it in place: changing it replaces the stack."},
		"allowed_cidrs": schema.ListAttribute{Optional: true, Computed: true, ElementType: types.StringType,
			Default:             listdefault.StaticValue(types.ListValueMust(types.StringType, []attrValue{types.StringValue("0.0.0.0/0")})),
			MarkdownDescription: "CIDR blocks allowed to reach the listener ports. Defaults to `[\"0.0.0.0/0\"]`. Nothing else reaches the load balancer.",
			Validators:          []validator.List{listvalidator.SizeAtLeast(1), listvalidator.ValueStringsAre(cidrValidator{})}},
		"wait_for_healthy_targets": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
			MarkdownDescription: "Return from create and update only when every zone's instances pass the load balancer's health checks. Defaults to `true`."},
		"group_metrics": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
			MarkdownDescription: "Publish every zonal group's size metrics (GroupInServiceInstances, GroupDesiredCapacity ...) to CloudWatch each minute, for dashboards and alarms. Defaults to `true`."},
		"deregistration_delay": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultDeregistrationDelay),
			MarkdownDescription: "Seconds a draining instance keeps serving its in-flight requests (0-3600). Defaults to `30`.",
			Validators:          []validator.Int64{int64validator.Between(0, 3600)}},
		"enable_zonal_shift": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
			MarkdownDescription: "Turn on the load balancer's ARC zonal shift integration (`zonal_shift.config.enabled`), so you or `evacuate_zones` can shift traffic away from an impaired zone. " +
				"AWS leaves it off by default; the stack turns it on. Defaults to `true`. `evacuate_zones` needs it."},
		"evacuate_zones": schema.ListAttribute{Optional: true, ElementType: types.StringType,
			MarkdownDescription: "Zones to take out of service, by name as in `zones` (for example `[\"us-east-1b\"]`), while they are impaired. " +
				"The apply suspends the zone's group's launches, scale-in and replacement, starts an ARC zonal shift of the load balancer away from the zone " +
				"(72 hours, renewed by an apply when less than a day is left; an expired or cancelled shift shows as drift), and raises the other zones' groups in parallel " +
				"so they carry the stack's `capacity.desired` (within their max); `evacuation_shift_timing` says whether the shift waits for their new instances. " +
				"The evacuated zone's group keeps its instances, out of traffic, and is never waited on; a new launch template version reaches it when it returns. " +
				"Removing the zone cancels the shift, waits for its targets to be healthy, then returns the other groups to their normal capacity. " +
				"At most one zone: ARC shifts a load balancer away from a single zone at a time. See the guide *Evacuating a zone*.",
			Validators: []validator.List{uniqueValues{}}},
		"evacuation_shift_timing": evacuationShiftTimingAttribute(),
		"zonal_autoshift":         autoshiftAttribute(),
		"access_logs":             accessLogsAttribute(),
		"listener":                listenerAttribute(),
		"health_check":            healthCheckAttribute(),
		"instances":               instancesAttribute(),
		"capacity":                capacityAttribute(),
		"scaling":                 scalingAttribute(),
		"database":                databaseAttribute(),
		"instance_maintenance":    instanceMaintenanceAttribute(),
		"tags": schema.MapAttribute{Optional: true, ElementType: types.StringType,
			MarkdownDescription: "Tags for every child, merged over the provider's `default_tags`. Keys starting with `hawebapp:` (the provider's) or `aws:` (AWS's) are reserved; " +
				"keys have at most 128 characters, values at most 256, and together with `default_tags` at most 48 tags (AWS allows 50 per resource, the provider adds 2)."},
	}
}

func listenerAttribute() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true, Computed: true, Default: objectdefault.StaticValue(defaultListener()),
		MarkdownDescription: "Listeners of the load balancer. With `certificate_arn`, an HTTPS listener serves the application and the HTTP listener redirects to it.",
		Attributes: map[string]schema.Attribute{
			"http_port": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultHTTPPort),
				MarkdownDescription: "HTTP listener port. Defaults to `80`.", Validators: []validator.Int64{portValidator()}},
			"https_port": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultHTTPSPort),
				MarkdownDescription: "HTTPS listener port, used with `certificate_arn`. Defaults to `443`.", Validators: []validator.Int64{portValidator()}},
			"certificate_arn": schema.StringAttribute{Optional: true,
				MarkdownDescription: "ACM certificate ARN. Turns on the HTTPS listener and the HTTP to HTTPS redirect (301), which the HTTP listener switches to only once the HTTPS listener exists. " +
					"Checked at plan time with read-only ACM calls: the certificate must be in the provider's region, exist and be `ISSUED` (a certificate still `PENDING_VALIDATION` fails the plan).",
				Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^arn:aws[a-z-]*:(acm|iam):`), "must be an ACM or IAM certificate ARN")}},
			"ssl_policy": schema.StringAttribute{Optional: true, Computed: true, Default: stringDefault(defaultSSLPolicy),
				MarkdownDescription: "Security policy of the HTTPS listener, one of Elastic Load Balancing's predefined `ELBSecurityPolicy-` policies. Defaults to `" + defaultSSLPolicy + "` (TLS 1.3 and 1.2).",
				Validators:          []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^ELBSecurityPolicy-[A-Za-z0-9-]+$`), "must be a predefined Elastic Load Balancing policy such as "+defaultSSLPolicy)}},
		}}
}

func healthCheckAttribute() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true, Computed: true, Default: objectdefault.StaticValue(defaultHealthCheck()),
		MarkdownDescription: "Target group health check. The defaults take an instance out after about a minute of failures (`time_to_detect` 70 s) and tolerate slow answers under load. " +
			"Set `time_to_detect` to derive `interval`, `timeout` and `unhealthy_threshold` from how quickly a dead instance must stop receiving requests; values you set yourself win.",
		Attributes: map[string]schema.Attribute{
			"path": schema.StringAttribute{Optional: true, Computed: true, Default: stringDefault(defaultHealthPath),
				MarkdownDescription: "Path requested. Defaults to `/health`.",
				Validators:          []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^/`), "must start with /"), stringvalidator.LengthAtMost(1024)}},
			"matcher": schema.StringAttribute{Optional: true, Computed: true, Default: stringDefault(defaultMatcher),
				MarkdownDescription: "HTTP codes that mean healthy, from 200 to 499, such as `200`, `200-399` or `200,302`. Defaults to `200-399`.",
				Validators:          []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^[0-9]{3}(-[0-9]{3})?(,[0-9]{3}(-[0-9]{3})?)*$`), "must be codes like 200, 200-299 or 200,302"), matcherValidator{}}},
			"interval": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultInterval),
				MarkdownDescription: "Seconds between checks (5-300). Defaults to `15`, or derived from `time_to_detect`.", Validators: []validator.Int64{int64validator.Between(5, 300)}},
			"timeout": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultTimeout),
				MarkdownDescription: "Seconds to wait for an answer (2-120), less than `interval`. Defaults to `10`, or derived from `time_to_detect`.", Validators: []validator.Int64{int64validator.Between(2, 120)}},
			"healthy_threshold": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultHealthyThreshold),
				MarkdownDescription: "Successes in a row before a target is healthy (2-10). Defaults to `3`.", Validators: []validator.Int64{int64validator.Between(2, 10)}},
			"unhealthy_threshold": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultUnhealthyThreshold),
				MarkdownDescription: "Failures in a row before a target is unhealthy (2-10). Defaults to `4`, or derived from `time_to_detect`.", Validators: []validator.Int64{int64validator.Between(2, 10)}},
			"grace_period": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultGracePeriod),
				MarkdownDescription: "Seconds a new instance may fail health checks before Auto Scaling replaces it. Defaults to `300`.",
				Validators:          []validator.Int64{int64validator.Between(0, 7200)}},
			"time_to_detect":          timeToDetectAttribute(),
			"fail_open_below_percent": failOpenAttribute(),
		}}
}

func instancesAttribute() schema.Attribute {
	return schema.SingleNestedAttribute{Required: true,
		MarkdownDescription: "The instances. A change here makes a new launch template version, rolled out zone by zone, each zone waiting for its new instances to be healthy " +
			"(`instance_types` and the purchase options change the groups in place; an instance of a type taken out of the list is replaced the same way).",
		Attributes: mergeAttrs(instanceTypeAttributes(), map[string]schema.Attribute{
			"image_id": schema.StringAttribute{Required: true, MarkdownDescription: "AMI ID, for example from the Amazon Linux 2023 SSM parameter. It must exist in the provider's region and be built for an architecture `instance_type` runs (checked at plan time when either changes).",
				Validators: []validator.String{stringvalidator.RegexMatches(regexp.MustCompile(`^ami-[0-9a-f]+$`), "must be an AMI ID such as ami-0abc1234")}},
			"port": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultInstancePort),
				MarkdownDescription: "Port the application listens on. Defaults to `8080`. Changing it replaces the target group.", Validators: []validator.Int64{portValidator()}},
			"user_data": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Boot script. A shell script (starting with `#!`) gets the stack variables exported after its first line and written to `/etc/hawebapp/env`: " +
					"`HAWEBAPP_STACK`, `HAWEBAPP_REGION`, `HAWEBAPP_PORT` and, with a database, `HAWEBAPP_DB_INSTANCE` (the identifier: instances look the endpoint and secret up with `rds:DescribeDBInstances`, which their role may call on exactly that database), `HAWEBAPP_DB_PORT`, `HAWEBAPP_DB_NAME`.",
				Validators: []validator.String{stringvalidator.LengthAtMost(12000)}},
			"key_name": schema.StringAttribute{Optional: true, MarkdownDescription: "EC2 key pair for SSH (1 to 255 characters). Omit it and use Session Manager instead.",
				Validators: []validator.String{stringvalidator.LengthBetween(1, 255)}},
			"instance_profile_name": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Your own instance profile (1 to 128 letters, digits and `+=,.@_-`). Omit it to let the stack create a role that can read exactly the database secret.",
				Validators: []validator.String{stringvalidator.LengthBetween(1, 128),
					stringvalidator.RegexMatches(regexp.MustCompile(`^[\w+=,.@-]+$`), "must be an instance profile name: letters, digits and +=,.@_-")}},
			"managed_policy_arns": schema.ListAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Managed policies attached to the stack's instance role (not allowed with `instance_profile_name`), at most 20 (IAM's hard limit per role; the default quota is 10).",
				Validators: []validator.List{uniqueValues{}, listvalidator.SizeAtMost(20),
					listvalidator.ValueStringsAre(stringvalidator.RegexMatches(regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+`), "must be an IAM managed policy ARN such as arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"))}},
			"root_volume_size": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultRootVolumeSize),
				MarkdownDescription: "Root volume size in GiB (always gp3 and encrypted). Defaults to `20`. " +
					"It must be at least the size of the image's root snapshot (EC2 creates the root volume from it and refuses a smaller one at every launch), so the plan refuses a smaller size and names the snapshot's. " +
					"The default is not raised to the snapshot's size silently: set a larger size for an image with a larger root snapshot.", Validators: []validator.Int64{int64validator.Between(8, 16384)}},
			"metadata_hop_limit": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(blueprint.DefaultMetadataHopLimit),
				MarkdownDescription: "How many network hops the instance metadata service's (IMDSv2, always required) token answer may travel, 1 to 64. " +
					"Defaults to `2`, as Amazon Linux 2023 does: a process in a container on the instance is one hop further than the host and cannot reach the role's credentials with `1`. " +
					"Set `1` if nothing on the instances runs in a container.",
				Validators: []validator.Int64{int64validator.Between(1, 64)}},
		})}
}

func capacityAttribute() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true, Computed: true, Default: objectdefault.StaticValue(defaultCapacity()),
		MarkdownDescription: "Total instances, split evenly across the zonal groups (the first zones take the remainder). Each total must give every zone at least one. " +
			"`desired` is the initial capacity: afterwards target tracking owns it, and an apply never resets it.",
		Attributes: map[string]schema.Attribute{
			"min": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultCapacityMin),
				MarkdownDescription: "Minimum. Defaults to `3`.", Validators: []validator.Int64{int64validator.Between(1, 1000)}},
			"desired": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultCapacityDesired),
				MarkdownDescription: "Initial capacity. Defaults to `3`.", Validators: []validator.Int64{int64validator.Between(1, 1000)}},
			"max": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultCapacityMax),
				MarkdownDescription: "Maximum. Defaults to `9`.", Validators: []validator.Int64{int64validator.Between(1, 1000)}},
		}}
}

func scalingAttribute() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true, Computed: true, Default: objectdefault.StaticValue(defaultScaling()),
		MarkdownDescription: "Target-tracking scaling policy of every zonal group.",
		Attributes: map[string]schema.Attribute{
			"metric": schema.StringAttribute{Optional: true, Computed: true, Default: stringDefault(defaultMetric),
				MarkdownDescription: "`request_count_per_target` (requests per instance per minute, measured by the load balancer) or `cpu` (average CPU %). Defaults to `request_count_per_target`.",
				Validators:          []validator.String{stringvalidator.OneOf(blueprint.MetricRequestCountPerTarget, blueprint.MetricCPU)}},
			"target": schema.Float64Attribute{Optional: true, Computed: true, Default: float64Default(defaultTarget),
				MarkdownDescription: "Target value of the metric: requests per target per minute, or average CPU % (at most 100). Defaults to `500` (requests per target per minute).",
				Validators:          []validator.Float64{float64validator.AtLeast(1)}},
			"warmup": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(defaultWarmup),
				MarkdownDescription: "Seconds before a new instance counts in the metric. Defaults to `300`.", Validators: []validator.Int64{int64validator.Between(0, 3600)}},
			"disable_scale_in": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Only ever scale out (scale in by hand). Defaults to `false`."},
		}}
}

func portValidator() validator.Int64 { return int64validator.Between(1, 65535) }

func subnetIDValidator() validator.String {
	return stringvalidator.RegexMatches(regexp.MustCompile(`^subnet-[0-9a-f]+$`), "must be a subnet ID such as subnet-0a1b2c3d")
}

func mergeAttrs(maps ...map[string]schema.Attribute) map[string]schema.Attribute {
	out := map[string]schema.Attribute{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// timeoutDescription words a timeouts attribute: what it bounds and its default.
func timeoutDescription(def time.Duration, covers string) string {
	return fmt.Sprintf("How long to wait for %s A duration such as `30m` or `1h30m`. Defaults to `%dm`.", covers, int(def.Minutes()))
}
