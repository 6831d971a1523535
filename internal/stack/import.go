package stack

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// importByName adopts an existing stack: the engine finds its children by
// their names and ownership tags, and the configuration is read back from
// the properties AWS reports. Read then fills in the computed attributes.
func (r *stackResource) importByName(ctx context.Context, name string, resp *resource.ImportStateResponse) {
	// A blueprint of names only: Observe looks children up by name and tag.
	// The secret rotation part makes Observe read the database secret's
	// schedule, which import reads back when it is not RDS's default.
	probe := blueprint.Build(blueprint.Spec{Name: name, Database: &blueprint.DatabaseSpec{SecretRotation: &blueprint.SecretRotationSpec{}},
		Autoshift: &blueprint.AutoshiftSpec{}})
	probe.ReadAll = true
	obs, err := r.engine(ctx).Observe(ctx, probe)
	if err != nil {
		resp.Diagnostics.Append(observeError(name, err))
		return
	}
	if len(obs) == 0 {
		resp.Diagnostics.AddError("Stack not found",
			"No child named for stack "+name+" and tagged hawebapp:stack="+name+" exists in the provider's region. Check the name and the region.")
		return
	}
	var sch resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sch)
	m, diags := modelFromObserved(ctx, name, obs, r.client.DefaultTags, r.client.IgnoreTags, sch)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// modelFromObserved writes the configuration a stack was made from, as far
// as AWS reports it. Computed attributes are left null for Read.
func modelFromObserved(ctx context.Context, name string, obs map[string]engine.Observation, defaultTags map[string]string, ignore IgnoreTags, sch resource.SchemaResponse) (stackModelV0, diag.Diagnostics) {
	var diags diag.Diagnostics
	objType := func(attrName string) map[string]attr.Type {
		return objectAttrTypes(ctx, sch.Schema.Attributes[attrName].GetType())
	}
	object := func(attrName string, v any) types.Object {
		o, d := types.ObjectValueFrom(ctx, objType(attrName), v)
		diags.Append(d...)
		return o
	}
	m := nullModel(ctx, sch)
	m.Name, m.ID = types.StringValue(name), types.StringValue(name)

	if sg, ok := props[blueprint.SecurityGroupProps](obs, blueprint.KeyALBSecurityGroup); ok {
		m.VPCID = types.StringValue(sg.VPCID)
		if len(sg.Ingress) > 0 {
			m.AllowedCIDRs = stringList(sg.Ingress[0].CIDRs)
		}
	}
	var groups []blueprint.AutoScalingGroupProps
	for _, key := range slices.Sorted(maps.Keys(obs)) {
		if g, ok := props[blueprint.AutoScalingGroupProps](obs, key); ok && strings.HasPrefix(key, string(blueprint.KindAutoScalingGroup)+"/") {
			groups = append(groups, g)
		}
	}
	m.GroupMetrics = types.BoolValue(len(groups) > 0 && groups[0].CollectMetrics)
	var subnets []string
	var capacity capacityModel
	var minSize, desired, maxSize, grace int64
	for _, g := range groups {
		subnets = append(subnets, g.SubnetID)
		minSize, desired, maxSize, grace = minSize+int64(g.Min), desired+int64(g.Desired), maxSize+int64(g.Max), int64(g.GracePeriod)
	}
	m.AppSubnetIDs = stringList(subnets)
	if len(groups) > 0 {
		mp := groups[0].Maintenance
		m.InstanceMaintenance = object("instance_maintenance", maintenanceModel{MinHealthyPercent: i64(mp.MinHealthyPercent), MaxHealthyPercent: i64(mp.MaxHealthyPercent)})
	}
	capacity = capacityModel{Min: types.Int64Value(minSize), Desired: types.Int64Value(desired), Max: types.Int64Value(maxSize)}
	m.Capacity = object("capacity", capacity)

	if lb, ok := props[blueprint.LoadBalancerProps](obs, blueprint.KeyLoadBalancer); ok {
		m.Internal = types.BoolValue(lb.Internal)
		m.EnableZonalShift = types.BoolValue(lb.ZonalShift)
		m.AccessLogs = accessLogsObject(lb.AccessLogs)
		m.ZonalAutoshift = importedAutoshift(obs)
		m.LBSubnetIDs = stringList(lb.SubnetIDs)
	}
	listener := listenerModel{HTTPPort: types.Int64Value(defaultHTTPPort), HTTPSPort: types.Int64Value(defaultHTTPSPort),
		CertificateARN: types.StringNull(), SSLPolicy: types.StringValue(defaultSSLPolicy)}
	if l, ok := props[blueprint.ListenerProps](obs, blueprint.KeyHTTPListener); ok {
		listener.HTTPPort = types.Int64Value(int64(l.Port))
	}
	if l, ok := props[blueprint.ListenerProps](obs, blueprint.KeyHTTPSListener); ok {
		listener.HTTPSPort, listener.CertificateARN, listener.SSLPolicy = types.Int64Value(int64(l.Port)), types.StringValue(l.CertificateARN), types.StringValue(l.SSLPolicy)
	}
	m.Listener = object("listener", listener)

	if tg, ok := props[blueprint.TargetGroupProps](obs, blueprint.KeyTargetGroup); ok {
		h := tg.HealthCheck
		m.HealthCheck = object("health_check", healthCheckModel{Path: types.StringValue(h.Path), Matcher: types.StringValue(h.Matcher),
			Interval: i64(h.Interval), Timeout: i64(h.Timeout), HealthyThreshold: i64(h.HealthyThreshold),
			UnhealthyThreshold: i64(h.UnhealthyThreshold), GracePeriod: types.Int64Value(grace),
			TimeToDetect: types.Int64Value(int64(timingsOf(h).Detect())), FailOpenPercent: i64(h.FailOpenBelowPercent)})
		m.DeregistrationDelay = i64(tg.DeregistrationDelay)
	}
	if lt, ok := props[blueprint.LaunchTemplateProps](obs, blueprint.KeyLaunchTemplate); ok {
		in := instancesModel{ImageID: types.StringValue(lt.ImageID), InstanceType: types.StringValue(lt.InstanceType),
			Port: i64(lt.Port), UserData: optString(blueprint.StripUserData(lt.UserData)), KeyName: optString(lt.KeyName),
			InstanceProfileName: types.StringNull(), ManagedPolicyARNs: types.ListNull(types.StringType), RootVolumeSize: i64(lt.RootVolumeSize),
			MetadataHopLimit: i64(lt.MetadataHopLimit)}
		importMix(&in, groups)
		if _, ours := obs[blueprint.KeyInstanceRole]; !ours {
			in.InstanceProfileName = optString(lt.InstanceProfileName)
		}
		if role, ok := props[blueprint.InstanceRoleProps](obs, blueprint.KeyInstanceRole); ok && len(role.ManagedPolicyARNs) > 0 {
			in.ManagedPolicyARNs = stringList(role.ManagedPolicyARNs)
		}
		m.Instances = object("instances", in)
	}
	for _, key := range slices.Sorted(maps.Keys(obs)) {
		if sp, ok := props[blueprint.ScalingPolicyProps](obs, key); ok {
			m.Scaling = object("scaling", scalingModel{Metric: types.StringValue(sp.Metric), Target: types.Float64Value(sp.Target),
				Warmup: i64(sp.Warmup), DisableScaleIn: types.BoolValue(sp.DisableScaleIn)})
			break
		}
	}
	if db, ok := props[blueprint.DBInstanceProps](obs, blueprint.KeyDBInstance); ok {
		skip, snapshotID := blueprint.ParseFinalSnapshotTag(obs[blueprint.KeyDBInstance].Tags[blueprint.TagFinalSnapshot])
		m.Database = object("database", databaseModel{Engine: types.StringValue(db.Engine), EngineVersion: optString(db.EngineVersion),
			InstanceClass: types.StringValue(db.InstanceClass), AllocatedStorage: i64(db.AllocatedStorage),
			MaxAllocatedStorage: i64(db.MaxAllocatedStorage), MultiAZ: types.BoolValue(db.MultiAZ),
			BackupRetentionDays: i64(db.BackupRetentionDays), DeletionProtection: types.BoolValue(db.DeletionProtection),
			SkipFinalSnapshot: types.BoolValue(skip), FinalSnapshotIdentifier: optString(snapshotID),
			Port: i64(db.Port), DBName: types.StringValue(db.DBName), Username: types.StringValue(db.Username),
			SecretRotation: importedRotation(obs)})
	}
	m.Tags = userTags(obs, defaultTags, ignore)
	return m, diags
}

// userTags are the tags on the children minus ownership, default and
// ignored tags.
func userTags(obs map[string]engine.Observation, defaultTags map[string]string, ignore IgnoreTags) types.Map {
	o, ok := obs[blueprint.KeyLoadBalancer]
	if !ok {
		return types.MapNull(types.StringType)
	}
	tags := map[string]attr.Value{}
	for k, v := range o.Tags {
		if strings.HasPrefix(k, "hawebapp:") || defaultTags[k] == v || ignore.Ignored(k) {
			continue
		}
		tags[k] = types.StringValue(v)
	}
	if len(tags) == 0 {
		return types.MapNull(types.StringType)
	}
	return types.MapValueMust(types.StringType, tags)
}

// importedAutoshift is the load balancer's practice run configuration and
// autoshift status as Observe read them; null without a configuration.
func importedAutoshift(obs map[string]engine.Observation) types.Object {
	a, ok := props[blueprint.AutoshiftProps](obs, blueprint.KeyAutoshift)
	if !ok {
		return autoshiftObject(nil)
	}
	return autoshiftObject(&a.AutoshiftSpec)
}

// importedRotation is the database secret's schedule as Observe read it.
func importedRotation(obs map[string]engine.Observation) types.Object {
	r, ok := props[blueprint.SecretRotationProps](obs, blueprint.KeySecretRotation)
	if !ok {
		return secretRotationObject(nil)
	}
	return secretRotationObject(&r.Rules)
}

func props[T any](obs map[string]engine.Observation, key string) (T, bool) {
	v, ok := obs[key].Props.(T)
	return v, ok
}

func i64(v int32) types.Int64 { return types.Int64Value(int64(v)) }

func optString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// nullModel is a model with every attribute null, typed per the schema.
func nullModel(ctx context.Context, sch resource.SchemaResponse) stackModelV0 {
	obj := func(name string) types.Object {
		return types.ObjectNull(objectAttrTypes(ctx, sch.Schema.Attributes[name].GetType()))
	}
	strs := types.ListNull(types.StringType)
	smap := types.MapNull(types.StringType)
	return stackModelV0{
		AppSubnetIDs: strs, LBSubnetIDs: strs, AllowedCIDRs: strs, Zones: strs, Drift: strs, EvacuateZones: strs,
		Listener: obj("listener"), HealthCheck: obj("health_check"), Instances: obj("instances"), Capacity: obj("capacity"),
		Scaling: obj("scaling"), Database: obj("database"), InstanceMaintenance: obj("instance_maintenance"), Tags: smap, SecurityGroupIDs: smap, AutoScalingGroupNames: smap,
		Timeouts: timeouts.Value{Object: obj("timeouts")},
		Internal: types.BoolValue(false), WaitForHealthyTargets: types.BoolValue(true), GroupMetrics: types.BoolValue(true),
		EnableZonalShift:      types.BoolValue(true),
		EvacuationShiftTiming: types.StringValue(blueprint.ShiftTimingAuto),
		EvacuationExpiresAt:   types.StringNull(),
		AccessLogs:            accessLogsObject(nil),
		ZonalAutoshift:        autoshiftObject(nil),
		AutoshiftAlarmARN:     types.StringNull(),
		AutoshiftAlarmName:    types.StringNull(),
		ActiveShiftStartedBy:  types.StringNull(), ActiveShiftAwayFrom: types.StringNull(), ActiveShiftExpiresAt: types.StringNull(), PracticeRunOutcome: types.StringNull(),
		DeregistrationDelay: types.Int64Value(defaultDeregistrationDelay),
		wiringModel:         nullWiring(),
	}
}

// objectAttrTypes returns the attribute types of an object type, including
// custom object types such as the timeouts attribute's.
func objectAttrTypes(ctx context.Context, t attr.Type) map[string]attr.Type {
	if ot, ok := t.(attr.TypeWithAttributeTypes); ok {
		return ot.AttributeTypes()
	}
	if v, ok := t.ValueType(ctx).(interface {
		AttributeTypes(context.Context) map[string]attr.Type
	}); ok {
		return v.AttributeTypes(ctx)
	}
	return nil
}
