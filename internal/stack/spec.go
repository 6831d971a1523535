package stack

import (
	"cmp"
	"context"
	"maps"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// environment holds the facts about the network that the blueprint needs
// and only AWS knows.
type environment struct {
	zones    []string // zone of each app subnet, same order
	vpcCIDRs []string // the VPC's IPv4 blocks, primary first
}

// toSpec converts a fully known model into the blueprint's spec.
func toSpec(ctx context.Context, m stackModelV0, env environment, defaultTags map[string]string) (blueprint.Spec, diag.Diagnostics) {
	n, diags := m.unpack(ctx)
	if diags.HasError() {
		return blueprint.Spec{}, diags
	}
	appSubnets, _ := stringsOf(ctx, m.AppSubnetIDs)
	lbSubnets, _ := stringsOf(ctx, m.LBSubnetIDs)
	cidrs, _ := stringsOf(ctx, m.AllowedCIDRs)
	s := blueprint.Spec{
		Name: m.Name.ValueString(), VPCID: m.VPCID.ValueString(), VPCCIDR: first(env.vpcCIDRs), VPCSecondaryCIDRs: rest(env.vpcCIDRs),
		LBSubnetIDs: lbSubnets, Internal: m.Internal.ValueBool(), AllowedCIDRs: cidrs,
		DeregistrationDelay:   int32(m.DeregistrationDelay.ValueInt64()),
		WaitForHealthyTargets: m.WaitForHealthyTargets.ValueBool(),
		GroupMetrics:          m.GroupMetrics.ValueBool(),
		EnableZonalShift:      m.EnableZonalShift.ValueBool(),
		AccessLogs:            accessLogsSpec(ctx, m.AccessLogs),
		Autoshift:             autoshiftSpec(ctx, m.ZonalAutoshift),
		Tags:                  mergedTags(ctx, m, defaultTags),
	}
	s.EvacuateZones, _ = stringsOf(ctx, m.EvacuateZones)
	s.ShiftTiming = m.EvacuationShiftTiming.ValueString()
	for i, id := range appSubnets {
		zone := ""
		if i < len(env.zones) {
			zone = env.zones[i]
		}
		s.AppSubnets = append(s.AppSubnets, blueprint.Subnet{ID: id, Zone: zone})
	}
	if l := n.listener; l != nil {
		s.Listener = blueprint.ListenerSpec{HTTPPort: i32(l.HTTPPort.ValueInt64()), HTTPSPort: i32(l.HTTPSPort.ValueInt64()),
			CertificateARN: l.CertificateARN.ValueString(), SSLPolicy: l.SSLPolicy.ValueString()}
	}
	if h := n.healthCheck; h != nil {
		s.HealthCheck = blueprint.HealthCheckSpec{Path: h.Path.ValueString(), Matcher: h.Matcher.ValueString(),
			Interval: i32(h.Interval.ValueInt64()), Timeout: i32(h.Timeout.ValueInt64()),
			HealthyThreshold: i32(h.HealthyThreshold.ValueInt64()), UnhealthyThreshold: i32(h.UnhealthyThreshold.ValueInt64()),
			GracePeriod: i32(h.GracePeriod.ValueInt64()), FailOpenBelowPercent: i32(h.FailOpenPercent.ValueInt64())}
	}
	if mp := n.maintenance; mp != nil {
		s.Maintenance = blueprint.MaintenanceSpec{MinHealthyPercent: i32(mp.MinHealthyPercent.ValueInt64()), MaxHealthyPercent: i32(mp.MaxHealthyPercent.ValueInt64())}
	}
	if in := n.instances; in != nil {
		policies, _ := stringsOf(ctx, in.ManagedPolicyARNs)
		s.Instances = blueprint.InstancesSpec{ImageID: in.ImageID.ValueString(), InstanceType: cmp.Or(in.InstanceType.ValueString(), defaultInstanceType),
			Port: i32(in.Port.ValueInt64()), UserData: in.UserData.ValueString(), KeyName: in.KeyName.ValueString(),
			InstanceProfileName: in.InstanceProfileName.ValueString(), ManagedPolicyARNs: policies,
			RootVolumeSize: i32(in.RootVolumeSize.ValueInt64()), MetadataHopLimit: i32(in.MetadataHopLimit.ValueInt64()),
			Mix: mixSpec(ctx, in)}
	}
	if c := n.capacity; c != nil {
		s.Capacity = blueprint.CapacitySpec{Min: i32(c.Min.ValueInt64()), Desired: i32(c.Desired.ValueInt64()), Max: i32(c.Max.ValueInt64())}
	}
	if sc := n.scaling; sc != nil {
		s.Scaling = blueprint.ScalingSpec{Metric: sc.Metric.ValueString(), Target: sc.Target.ValueFloat64(),
			Warmup: i32(sc.Warmup.ValueInt64()), DisableScaleIn: sc.DisableScaleIn.ValueBool()}
	}
	if d := n.database; d != nil {
		port := d.Port.ValueInt64()
		if d.Port.IsNull() || d.Port.IsUnknown() {
			port = enginePorts[d.Engine.ValueString()]
		}
		s.Database = &blueprint.DatabaseSpec{Engine: d.Engine.ValueString(), EngineVersion: d.EngineVersion.ValueString(),
			InstanceClass: d.InstanceClass.ValueString(), AllocatedStorage: i32(d.AllocatedStorage.ValueInt64()),
			MaxAllocatedStorage: i32(d.MaxAllocatedStorage.ValueInt64()), MultiAZ: d.MultiAZ.ValueBool(),
			BackupRetentionDays: i32(d.BackupRetentionDays.ValueInt64()), DeletionProtection: d.DeletionProtection.ValueBool(),
			SkipFinalSnapshot: d.SkipFinalSnapshot.ValueBool(), FinalSnapshotID: d.FinalSnapshotIdentifier.ValueString(),
			Port: i32(port), DBName: d.DBName.ValueString(), Username: d.Username.ValueString(),
			SecretRotation: secretRotationSpec(ctx, d.SecretRotation)}
	}
	return s, nil
}

// mergedTags lays the user's tags over the provider's default tags.
func mergedTags(ctx context.Context, m stackModelV0, defaultTags map[string]string) map[string]string {
	out := maps.Clone(defaultTags)
	if out == nil {
		out = map[string]string{}
	}
	var user map[string]string
	_ = m.Tags.ElementsAs(ctx, &user, false)
	maps.Copy(out, user)
	return out
}

func i32(v int64) int32 { return int32(v) }
