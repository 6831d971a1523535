package stack

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// stackModelV0 is the resource's state and plan. Nested attributes are kept
// as types.Object so plans with unknown values (a VPC not created yet) can
// be read; they are unpacked into the structs below when known.
type stackModelV0 struct {
	ID                    types.String   `tfsdk:"id"`
	Name                  types.String   `tfsdk:"name"`
	VPCID                 types.String   `tfsdk:"vpc_id"`
	AppSubnetIDs          types.List     `tfsdk:"app_subnet_ids"`
	LBSubnetIDs           types.List     `tfsdk:"lb_subnet_ids"`
	Internal              types.Bool     `tfsdk:"internal"`
	AllowedCIDRs          types.List     `tfsdk:"allowed_cidrs"`
	WaitForHealthyTargets types.Bool     `tfsdk:"wait_for_healthy_targets"`
	GroupMetrics          types.Bool     `tfsdk:"group_metrics"`
	DeregistrationDelay   types.Int64    `tfsdk:"deregistration_delay"`
	Listener              types.Object   `tfsdk:"listener"`
	HealthCheck           types.Object   `tfsdk:"health_check"`
	Instances             types.Object   `tfsdk:"instances"`
	Capacity              types.Object   `tfsdk:"capacity"`
	Scaling               types.Object   `tfsdk:"scaling"`
	Database              types.Object   `tfsdk:"database"`
	EnableZonalShift      types.Bool     `tfsdk:"enable_zonal_shift"`
	EvacuateZones         types.List     `tfsdk:"evacuate_zones"`
	EvacuationShiftTiming types.String   `tfsdk:"evacuation_shift_timing"`
	AccessLogs            types.Object   `tfsdk:"access_logs"`
	ZonalAutoshift        types.Object   `tfsdk:"zonal_autoshift"`
	InstanceMaintenance   types.Object   `tfsdk:"instance_maintenance"`
	Tags                  types.Map      `tfsdk:"tags"`
	Timeouts              timeouts.Value `tfsdk:"timeouts"`

	URL                   types.String `tfsdk:"url"`
	DNSName               types.String `tfsdk:"dns_name"`
	ZoneID                types.String `tfsdk:"zone_id"`
	LoadBalancerARN       types.String `tfsdk:"load_balancer_arn"`
	HTTPListenerARN       types.String `tfsdk:"http_listener_arn"`
	HTTPSListenerARN      types.String `tfsdk:"https_listener_arn"`
	TargetGroupARN        types.String `tfsdk:"target_group_arn"`
	SecurityGroupIDs      types.Map    `tfsdk:"security_group_ids"`
	LaunchTemplateID      types.String `tfsdk:"launch_template_id"`
	LaunchTemplateVersion types.Int64  `tfsdk:"launch_template_version"`
	AutoScalingGroupNames types.Map    `tfsdk:"autoscaling_group_names"`
	Zones                 types.List   `tfsdk:"zones"`
	InstanceRoleARN       types.String `tfsdk:"instance_role_arn"`
	InstanceProfile       types.String `tfsdk:"instance_profile"`
	DBInstanceIdentifier  types.String `tfsdk:"db_instance_identifier"`
	DBEndpoint            types.String `tfsdk:"db_endpoint"`
	DBPort                types.Int64  `tfsdk:"db_port"`
	DBSecretARN           types.String `tfsdk:"db_secret_arn"`
	CapacityAfterZoneLoss types.Int64  `tfsdk:"capacity_after_zone_loss"`
	OnDemandAfterZoneLoss types.Int64  `tfsdk:"on_demand_after_zone_loss"`
	CapacityServing       types.Int64  `tfsdk:"capacity_serving"`
	EvacuationShortfall   types.Int64  `tfsdk:"evacuation_shortfall"`
	EvacuationExpiresAt   types.String `tfsdk:"evacuation_expires_at"`
	AutoshiftAlarmARN     types.String `tfsdk:"autoshift_alarm_arn"`
	AutoshiftAlarmName    types.String `tfsdk:"autoshift_alarm_name"`
	ActiveShiftStartedBy  types.String `tfsdk:"active_shift_started_by"`
	ActiveShiftAwayFrom   types.String `tfsdk:"active_shift_away_from"`
	ActiveShiftExpiresAt  types.String `tfsdk:"active_shift_expires_at"`
	PracticeRunOutcome    types.String `tfsdk:"practice_run_outcome"`
	Drift                 types.List   `tfsdk:"drift"`
	wiringModel                        // schema_wiring.go
}

type listenerModel struct {
	HTTPPort       types.Int64  `tfsdk:"http_port"`
	HTTPSPort      types.Int64  `tfsdk:"https_port"`
	CertificateARN types.String `tfsdk:"certificate_arn"`
	SSLPolicy      types.String `tfsdk:"ssl_policy"`
}

type healthCheckModel struct {
	Path               types.String `tfsdk:"path"`
	Matcher            types.String `tfsdk:"matcher"`
	Interval           types.Int64  `tfsdk:"interval"`
	Timeout            types.Int64  `tfsdk:"timeout"`
	HealthyThreshold   types.Int64  `tfsdk:"healthy_threshold"`
	UnhealthyThreshold types.Int64  `tfsdk:"unhealthy_threshold"`
	GracePeriod        types.Int64  `tfsdk:"grace_period"`
	TimeToDetect       types.Int64  `tfsdk:"time_to_detect"`
	FailOpenPercent    types.Int64  `tfsdk:"fail_open_below_percent"`
}

type maintenanceModel struct {
	MinHealthyPercent types.Int64 `tfsdk:"min_healthy_percent"`
	MaxHealthyPercent types.Int64 `tfsdk:"max_healthy_percent"`
}

type instancesModel struct {
	ImageID             types.String `tfsdk:"image_id"`
	InstanceType        types.String `tfsdk:"instance_type"`
	Port                types.Int64  `tfsdk:"port"`
	UserData            types.String `tfsdk:"user_data"`
	KeyName             types.String `tfsdk:"key_name"`
	InstanceProfileName types.String `tfsdk:"instance_profile_name"`
	ManagedPolicyARNs   types.List   `tfsdk:"managed_policy_arns"`
	RootVolumeSize      types.Int64  `tfsdk:"root_volume_size"`
	MetadataHopLimit    types.Int64  `tfsdk:"metadata_hop_limit"`
	InstanceTypes       types.List   `tfsdk:"instance_types"`
	OnDemandBase        types.Int64  `tfsdk:"on_demand_base_capacity"`
	OnDemandAbovePct    types.Int64  `tfsdk:"on_demand_percentage_above_base"`
	SpotStrategy        types.String `tfsdk:"spot_allocation_strategy"`
}

type capacityModel struct {
	Min     types.Int64 `tfsdk:"min"`
	Desired types.Int64 `tfsdk:"desired"`
	Max     types.Int64 `tfsdk:"max"`
}

type scalingModel struct {
	Metric         types.String  `tfsdk:"metric"`
	Target         types.Float64 `tfsdk:"target"`
	Warmup         types.Int64   `tfsdk:"warmup"`
	DisableScaleIn types.Bool    `tfsdk:"disable_scale_in"`
}

type databaseModel struct {
	Engine                  types.String `tfsdk:"engine"`
	EngineVersion           types.String `tfsdk:"engine_version"`
	InstanceClass           types.String `tfsdk:"instance_class"`
	AllocatedStorage        types.Int64  `tfsdk:"allocated_storage"`
	MaxAllocatedStorage     types.Int64  `tfsdk:"max_allocated_storage"`
	MultiAZ                 types.Bool   `tfsdk:"multi_az"`
	BackupRetentionDays     types.Int64  `tfsdk:"backup_retention_days"`
	DeletionProtection      types.Bool   `tfsdk:"deletion_protection"`
	SkipFinalSnapshot       types.Bool   `tfsdk:"skip_final_snapshot"`
	FinalSnapshotIdentifier types.String `tfsdk:"final_snapshot_identifier"`
	Port                    types.Int64  `tfsdk:"port"`
	DBName                  types.String `tfsdk:"db_name"`
	Username                types.String `tfsdk:"username"`
	SecretRotation          types.Object `tfsdk:"secret_rotation"`
}

// nested unpacks the model's nested attributes. A null or unknown object
// leaves its struct nil, so callers can tell "absent" from "not known yet".
type nested struct {
	listener    *listenerModel
	healthCheck *healthCheckModel
	instances   *instancesModel
	capacity    *capacityModel
	scaling     *scalingModel
	database    *databaseModel
	maintenance *maintenanceModel
}

var asOpts = basetypes.ObjectAsOptions{UnhandledNullAsEmpty: false, UnhandledUnknownAsEmpty: false}

func (m *stackModelV0) unpack(ctx context.Context) (nested, diag.Diagnostics) {
	var n nested
	var diags diag.Diagnostics
	diags.Append(unpackObject(ctx, m.Listener, &n.listener)...)
	diags.Append(unpackObject(ctx, m.HealthCheck, &n.healthCheck)...)
	diags.Append(unpackObject(ctx, m.Instances, &n.instances)...)
	diags.Append(unpackObject(ctx, m.Capacity, &n.capacity)...)
	diags.Append(unpackObject(ctx, m.Scaling, &n.scaling)...)
	diags.Append(unpackObject(ctx, m.Database, &n.database)...)
	diags.Append(unpackObject(ctx, m.InstanceMaintenance, &n.maintenance)...)
	return n, diags
}

func unpackObject[T any](ctx context.Context, o types.Object, out **T) diag.Diagnostics {
	if o.IsNull() || o.IsUnknown() {
		return nil
	}
	v := new(T)
	diags := o.As(ctx, v, asOpts)
	*out = v
	return diags
}

// stringsOf returns a list's strings, or nil with known=false when any is unknown.
func stringsOf(ctx context.Context, l types.List) (values []string, known bool) {
	if l.IsUnknown() {
		return nil, false
	}
	if l.IsNull() {
		return nil, true
	}
	for _, e := range l.Elements() {
		if e.IsUnknown() {
			return nil, false
		}
	}
	_ = l.ElementsAs(ctx, &values, false)
	return values, true
}
