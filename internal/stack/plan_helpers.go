package stack

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// checkImmutable rejects changes AWS cannot make without losing data.
func checkImmutable(ctx context.Context, plan, state stackModelV0) diag.Diagnostics {
	var diags diag.Diagnostics
	var p, s *databaseModel
	diags.Append(unpackObject(ctx, plan.Database, &p)...)
	diags.Append(unpackObject(ctx, state.Database, &s)...)
	if p != nil && s != nil && knownString(p.Engine) && p.Engine.ValueString() != s.Engine.ValueString() {
		diags.AddAttributeError(path.Root("database").AtName("engine"), "Database engine cannot change",
			"Changing database.engine from "+s.Engine.ValueString()+" to "+p.Engine.ValueString()+" would need a new, empty database. "+
				"Migrate the data yourself: keep this engine, or remove the database block (a final snapshot is taken) and add the new one in a later apply.")
	}
	return diags
}

// fillDatabasePort plans the engine's default port when none is configured.
func fillDatabasePort(ctx context.Context, plan *stackModelV0, d *databaseModel) diag.Diagnostics {
	if d == nil || !d.Port.IsUnknown() || !knownString(d.Engine) {
		return nil
	}
	return setObjectAttr(ctx, &plan.Database, "port", types.Int64Value(enginePorts[d.Engine.ValueString()]))
}

func setObjectAttr(ctx context.Context, o *types.Object, name string, v attr.Value) diag.Diagnostics {
	attrs := o.Attributes()
	attrs[name] = v
	nv, diags := types.ObjectValue(o.AttributeTypes(ctx), attrs)
	if !diags.HasError() {
		*o = nv
	}
	return diags
}

// setDatabaseComputed records the database's computed arguments after an apply.
func setDatabaseComputed(m *stackModelV0, spec blueprint.Spec, obs map[string]engine.Observation) {
	if m.Database.IsNull() || m.Database.IsUnknown() || spec.Database == nil {
		return
	}
	ctx := context.Background()
	_ = setObjectAttr(ctx, &m.Database, "port", types.Int64Value(int64(spec.Database.Port)))
	ev, _ := m.Database.Attributes()["engine_version"].(types.String)
	if ev.IsUnknown() {
		v := types.StringNull()
		if db, ok := obs[blueprint.KeyDBInstance].Props.(blueprint.DBInstanceProps); ok && db.EngineVersion != "" {
			v = types.StringValue(db.EngineVersion)
		}
		_ = setObjectAttr(ctx, &m.Database, "engine_version", v)
	}
}

// keepUnchangedComputed plans the state's value for every computed attribute
// the change does not touch, and leaves the rest unknown.
func keepUnchangedComputed(ctx context.Context, plan *stackModelV0, state stackModelV0) {
	plan.ID = state.ID
	plan.Drift = types.ListValueMust(types.StringType, []attr.Value{})
	// The shift's expiry stays as it is unless the apply starts, renews or
	// cancels a shift (an evacuation changed, or a shift drifted).
	switch evacuate, known := stringsOf(ctx, plan.EvacuateZones); {
	case known && len(evacuate) == 0:
		plan.EvacuationExpiresAt = types.StringNull()
	case !plan.EvacuateZones.Equal(state.EvacuateZones) || len(state.Drift.Elements()) > 0:
		plan.EvacuationExpiresAt = types.StringUnknown()
	default:
		plan.EvacuationExpiresAt = state.EvacuationExpiresAt
	}
	if len(state.Drift.Elements()) > 0 {
		return // the apply repairs children: their identifiers may change
	}
	plan.URL, plan.DNSName, plan.ZoneID, plan.LoadBalancerARN = state.URL, state.DNSName, state.ZoneID, state.LoadBalancerARN
	plan.HTTPListenerARN, plan.HTTPSListenerARN, plan.TargetGroupARN = state.HTTPListenerARN, state.HTTPSListenerARN, state.TargetGroupARN
	plan.SecurityGroupIDs, plan.LaunchTemplateID, plan.LaunchTemplateVersion = state.SecurityGroupIDs, state.LaunchTemplateID, state.LaunchTemplateVersion
	plan.InstanceRoleARN, plan.InstanceProfile = state.InstanceRoleARN, state.InstanceProfile
	if plan.DBInstanceIdentifier.IsUnknown() || plan.DBInstanceIdentifier.Equal(state.DBInstanceIdentifier) {
		plan.DBInstanceIdentifier, plan.DBEndpoint, plan.DBPort, plan.DBSecretARN = state.DBInstanceIdentifier, state.DBEndpoint, state.DBPort, state.DBSecretARN
	}
	if plan.Zones.IsUnknown() {
		plan.Zones, plan.AutoScalingGroupNames = state.Zones, state.AutoScalingGroupNames
	}
	if !plan.ZonalAutoshift.IsNull() && !state.ZonalAutoshift.IsNull() && plan.AutoshiftAlarmName.Equal(state.AutoshiftAlarmName) {
		plan.AutoshiftAlarmARN = state.AutoshiftAlarmARN // the alarm's ARN follows its name
	}
	if plan.CapacityAfterZoneLoss.IsUnknown() && plan.Capacity.Equal(state.Capacity) && plan.AppSubnetIDs.Equal(state.AppSubnetIDs) &&
		plan.EvacuateZones.Equal(state.EvacuateZones) {
		plan.CapacityAfterZoneLoss, plan.CapacityServing, plan.EvacuationShortfall = state.CapacityAfterZoneLoss, state.CapacityServing, state.EvacuationShortfall
		if plan.OnDemandAfterZoneLoss.IsUnknown() && plan.Instances.Equal(state.Instances) {
			plan.OnDemandAfterZoneLoss = state.OnDemandAfterZoneLoss
		}
	}

	var pi, si *instancesModel
	_ = unpackObject(ctx, plan.Instances, &pi)
	_ = unpackObject(ctx, state.Instances, &si)
	dbAdded := state.Database.IsNull() != plan.Database.IsNull()
	if !plan.Instances.Equal(state.Instances) || !plan.Database.Equal(state.Database) || !plan.Tags.Equal(state.Tags) {
		plan.LaunchTemplateVersion = types.Int64Unknown()
	}
	if pi == nil || si == nil || !pi.Port.Equal(si.Port) {
		plan.TargetGroupARN = types.StringUnknown()
	}
	if pi == nil || si == nil || !pi.InstanceProfileName.Equal(si.InstanceProfileName) {
		plan.InstanceRoleARN, plan.InstanceProfile = types.StringUnknown(), types.StringUnknown()
	}
	if !certificateOf(ctx, plan.Listener).Equal(certificateOf(ctx, state.Listener)) {
		plan.HTTPSListenerARN, plan.URL = types.StringUnknown(), types.StringUnknown()
	}
	if dbAdded {
		plan.SecurityGroupIDs = types.MapUnknown(types.StringType)
		if !plan.Database.IsNull() {
			plan.DBEndpoint, plan.DBPort, plan.DBSecretARN = types.StringUnknown(), types.Int64Unknown(), types.StringUnknown()
		}
	}
}

func certificateOf(ctx context.Context, o types.Object) types.String {
	var l *listenerModel
	_ = unpackObject(ctx, o, &l)
	if l == nil {
		return types.StringNull()
	}
	return l.CertificateARN
}
