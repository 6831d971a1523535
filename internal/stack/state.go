package stack

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// setComputed fills the model's computed attributes from the children found.
// A child that is missing leaves its attribute null (or its map entry out).
func setComputed(ctx context.Context, m *stackModelV0, spec blueprint.Spec, bp blueprint.Blueprint, obs map[string]engine.Observation) diag.Diagnostics {
	var diags diag.Diagnostics
	get := func(key string) (engine.Observation, bool) { o, ok := obs[key]; return o, ok }
	str := func(key string, f func(engine.Observation) string) types.String {
		if o, ok := get(key); ok && f(o) != "" {
			return types.StringValue(f(o))
		}
		return types.StringNull()
	}
	arn := func(o engine.Observation) string { return o.ARN }
	attrOf := func(name string) func(engine.Observation) string {
		return func(o engine.Observation) string { return o.Attrs[name] }
	}

	m.ID = types.StringValue(spec.Name)
	m.DNSName = str(blueprint.KeyLoadBalancer, attrOf("dns_name"))
	m.ZoneID = str(blueprint.KeyLoadBalancer, attrOf("zone_id"))
	m.LoadBalancerARN = str(blueprint.KeyLoadBalancer, arn)
	m.URL = types.StringNull()
	if !m.DNSName.IsNull() {
		scheme := "http://"
		if spec.Listener.CertificateARN != "" {
			scheme = "https://"
		}
		m.URL = types.StringValue(scheme + m.DNSName.ValueString())
	}
	m.HTTPListenerARN = str(blueprint.KeyHTTPListener, arn)
	m.HTTPSListenerARN = str(blueprint.KeyHTTPSListener, arn)
	m.TargetGroupARN = str(blueprint.KeyTargetGroup, arn)

	sgs := map[string]attr.Value{}
	for role, key := range map[string]string{"alb": blueprint.KeyALBSecurityGroup, "app": blueprint.KeyAppSecurityGroup, "db": blueprint.KeyDBSecurityGroup} {
		if o, ok := get(key); ok {
			sgs[role] = types.StringValue(o.ID)
		}
	}
	m.SecurityGroupIDs = types.MapValueMust(types.StringType, sgs)

	m.LaunchTemplateID = str(blueprint.KeyLaunchTemplate, func(o engine.Observation) string { return o.ID })
	m.LaunchTemplateVersion = types.Int64Null()
	if o, ok := get(blueprint.KeyLaunchTemplate); ok {
		if v, err := strconv.ParseInt(o.Attrs["version"], 10, 64); err == nil {
			m.LaunchTemplateVersion = types.Int64Value(v)
		}
	}

	groups := map[string]attr.Value{}
	zones := make([]attr.Value, 0, len(spec.AppSubnets))
	for _, sn := range spec.AppSubnets {
		zones = append(zones, types.StringValue(sn.Zone))
		if o, ok := get(blueprint.KeyFor(blueprint.KindAutoScalingGroup, sn.Zone)); ok {
			groups[sn.Zone] = types.StringValue(o.Name)
		}
	}
	m.AutoScalingGroupNames = types.MapValueMust(types.StringType, groups)
	m.Zones = types.ListValueMust(types.StringType, zones)

	m.InstanceRoleARN = str(blueprint.KeyInstanceRole, arn)
	m.InstanceProfile = str(blueprint.KeyInstanceRole, attrOf("profile_name"))
	if spec.Instances.InstanceProfileName != "" {
		m.InstanceProfile = types.StringValue(spec.Instances.InstanceProfileName)
	}

	m.DBInstanceIdentifier = str(blueprint.KeyDBInstance, func(o engine.Observation) string { return o.ID })
	m.DBEndpoint = str(blueprint.KeyDBInstance, attrOf("endpoint"))
	m.DBSecretARN = str(blueprint.KeyDBInstance, attrOf("secret_arn"))
	m.DBPort = types.Int64Null()
	if o, ok := get(blueprint.KeyDBInstance); ok {
		if p, err := strconv.ParseInt(o.Attrs["port"], 10, 64); err == nil {
			m.DBPort = types.Int64Value(p)
		}
	}

	m.AutoshiftAlarmARN = str(blueprint.KeyOutcomeAlarm, arn)
	m.AutoshiftAlarmName = str(blueprint.KeyOutcomeAlarm, func(o engine.Observation) string { return o.Name })
	m.ActiveShiftStartedBy = str(blueprint.KeyAutoshift, attrOf("active_shift_started_by"))
	m.ActiveShiftAwayFrom = str(blueprint.KeyAutoshift, attrOf("active_shift_away_from"))
	m.ActiveShiftExpiresAt = str(blueprint.KeyAutoshift, attrOf("active_shift_expires_at"))
	m.PracticeRunOutcome = str(blueprint.KeyAutoshift, attrOf("practice_run_outcome"))
	setCapacityComputed(m, blueprint.PlanCapacity(spec))
	setWiringComputed(m, spec, obs)
	m.EvacuationExpiresAt = types.StringNull()
	differences := engine.Differences(bp, obs)
	for _, z := range spec.EvacuateZones {
		if o, ok := get(blueprint.KeyFor(blueprint.KindZonalShift, z)); ok && o.Attrs["expiry"] != "" {
			m.EvacuationExpiresAt = types.StringValue(o.Attrs["expiry"])
		} else {
			differences = append(differences, shiftGoneDrift(z))
		}
	}
	drift, d := types.ListValueFrom(ctx, types.StringType, nonNil(differences))
	diags.Append(d...)
	m.Drift = drift
	return diags
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// setCapacityComputed records what serves where.
func setCapacityComputed(m *stackModelV0, p blueprint.CapacityPlan) {
	m.CapacityAfterZoneLoss = types.Int64Value(int64(p.AfterZoneLoss))
	m.OnDemandAfterZoneLoss = types.Int64Value(int64(p.OnDemandAfterZoneLoss))
	m.CapacityServing = types.Int64Value(int64(p.Serving))
	m.EvacuationShortfall = types.Int64Value(int64(p.Shortfall))
}

// knownChildren is what the state recorded that Observe cannot find by the
// desired names alone: the target group, whose name changes when it is
// replaced, and zonal_autoshift's alarm once the block is removed
// (blueprint.Blueprint.Known).
func knownChildren(m stackModelV0) map[string]string {
	known := map[string]string{}
	if knownString(m.TargetGroupARN) {
		known[blueprint.KeyTargetGroup] = m.TargetGroupARN.ValueString()
	}
	// zonal_autoshift's alarm: with the block removed, Observe finds the
	// alarm and the practice run configuration by it, to delete them.
	if knownString(m.AutoshiftAlarmARN) {
		known[blueprint.KeyOutcomeAlarm] = m.AutoshiftAlarmARN.ValueString()
	}
	if len(known) == 0 {
		return nil
	}
	return known
}
