package stack

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// ValidateConfig checks the rules that span several attributes and need no
// AWS call. Unknown values are skipped; ModifyPlan checks again once known.
func (r *stackResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m stackModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	n, diags := m.unpack(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	zones := -1 // unknown
	if !m.AppSubnetIDs.IsUnknown() && !m.AppSubnetIDs.IsNull() {
		zones = len(m.AppSubnetIDs.Elements())
	}
	validateCapacity(n.capacity, zones, resp)
	validateHealthCheck(n.healthCheck, resp)
	validateListener(n.listener, resp)
	validateInstances(n.instances, resp)
	validateInstanceTypes(ctx, n.instances, n.capacity, resp)
	validateScaling(n.scaling, resp)
	validateDatabase(n.database, resp)
	validateMaintenance(n.maintenance, resp)
	validateFailOpen(n.healthCheck, n.capacity, zones, resp)
	validateTags(ctx, m.Tags, resp)
	validateAutoshift(m, resp)
}

// intOr returns v's value, def when v is null, and ok=false when unknown.
func intOr(v types.Int64, def int64) (int64, bool) {
	switch {
	case v.IsUnknown():
		return 0, false
	case v.IsNull():
		return def, true
	}
	return v.ValueInt64(), true
}

func validateCapacity(c *capacityModel, zones int, resp *resource.ValidateConfigResponse) {
	lo, hi, desired := int64(defaultCapacityMin), int64(defaultCapacityMax), int64(defaultCapacityDesired)
	var okMin, okMax, okDes = true, true, true
	if c != nil {
		lo, okMin = intOr(c.Min, defaultCapacityMin)
		hi, okMax = intOr(c.Max, defaultCapacityMax)
		desired, okDes = intOr(c.Desired, defaultCapacityDesired)
	}
	p := path.Root("capacity")
	if okMin && okMax && lo > hi {
		resp.Diagnostics.AddAttributeError(p.AtName("min"), "Invalid capacity",
			fmt.Sprintf("capacity.min (%d) is greater than capacity.max (%d). Lower min or raise max.", lo, hi))
	}
	if okMin && okDes && desired < lo {
		resp.Diagnostics.AddAttributeError(p.AtName("desired"), "Invalid capacity",
			fmt.Sprintf("capacity.desired (%d) is below capacity.min (%d). Raise desired to at least %d.", desired, lo, lo))
	}
	if okMax && okDes && desired > hi {
		resp.Diagnostics.AddAttributeError(p.AtName("desired"), "Invalid capacity",
			fmt.Sprintf("capacity.desired (%d) is above capacity.max (%d). Lower desired or raise max.", desired, hi))
	}
	if zones > 0 && okMin && lo < int64(zones) {
		resp.Diagnostics.AddAttributeError(p.AtName("min"), "Capacity below one instance per zone",
			fmt.Sprintf("capacity.min (%d) is less than the number of zones (%d, one per app subnet): every zonal group needs at least one instance, "+
				"or losing a zone could leave no instance at all. Set capacity.min to at least %d.", lo, zones, zones))
	}
}

func validateHealthCheck(h *healthCheckModel, resp *resource.ValidateConfigResponse) {
	if h == nil {
		return
	}
	interval, okI := intOr(h.Interval, defaultInterval)
	timeout, okT := intOr(h.Timeout, defaultTimeout)
	// With time_to_detect, a timing left out is derived, not defaulted.
	derived := !h.TimeToDetect.IsNull() && (h.Interval.IsNull() || h.Timeout.IsNull())
	if !derived && okI && okT && timeout >= interval {
		resp.Diagnostics.AddAttributeError(path.Root("health_check").AtName("timeout"), "Health check timeout too long",
			fmt.Sprintf("health_check.timeout (%d s) must be less than health_check.interval (%d s): a check must end before the next starts. "+
				"Lower the timeout or raise the interval.", timeout, interval))
		return
	}
	validateTimeToDetect(h, &resp.Diagnostics)
}

func validateListener(l *listenerModel, resp *resource.ValidateConfigResponse) {
	if l == nil || !l.CertificateARN.IsNull() {
		if l != nil && !l.CertificateARN.IsUnknown() {
			http, ok1 := intOr(l.HTTPPort, defaultHTTPPort)
			https, ok2 := intOr(l.HTTPSPort, defaultHTTPSPort)
			if ok1 && ok2 && http == https {
				resp.Diagnostics.AddAttributeError(path.Root("listener").AtName("https_port"), "Listener ports collide",
					fmt.Sprintf("listener.https_port and listener.http_port are both %d. Give the HTTPS listener its own port, usually 443.", http))
			}
		}
		return
	}
	for name, v := range map[string]bool{"https_port": !l.HTTPSPort.IsNull(), "ssl_policy": !l.SSLPolicy.IsNull()} {
		if v {
			resp.Diagnostics.AddAttributeError(path.Root("listener").AtName(name), "HTTPS setting without a certificate",
				"listener."+name+" only applies to the HTTPS listener, which needs listener.certificate_arn. Set certificate_arn (an ACM certificate in the stack's region) or remove "+name+".")
		}
	}
}

func validateInstances(in *instancesModel, resp *resource.ValidateConfigResponse) {
	if in == nil {
		return
	}
	if !in.InstanceProfileName.IsNull() && !in.ManagedPolicyARNs.IsNull() && len(in.ManagedPolicyARNs.Elements()) > 0 {
		resp.Diagnostics.AddAttributeError(path.Root("instances").AtName("managed_policy_arns"), "Policies for a role the stack does not create",
			"instances.managed_policy_arns attaches policies to the stack's own instance role, which is not created when instances.instance_profile_name is set. "+
				"Attach the policies to your profile's role instead, or remove instance_profile_name.")
	}
}

func validateDatabase(d *databaseModel, resp *resource.ValidateConfigResponse) {
	if d == nil {
		return
	}
	validateSecretRotation(context.Background(), d.SecretRotation, resp)
	p := path.Root("database")
	alloc, ok1 := intOr(d.AllocatedStorage, defaultAllocatedStorage)
	maxAlloc, ok2 := intOr(d.MaxAllocatedStorage, defaultMaxAllocatedStorage)
	if ok1 && ok2 && maxAlloc < alloc {
		resp.Diagnostics.AddAttributeError(p.AtName("max_allocated_storage"), "Storage ceiling below allocated storage",
			fmt.Sprintf("database.max_allocated_storage (%d GiB) is below database.allocated_storage (%d GiB). Set it to at least %d, or equal to turn storage autoscaling off.", maxAlloc, alloc, alloc))
	}
	// RDS storage autoscaling: the maximum storage threshold must be at
	// least 10% above the allocated storage, else CreateDBInstance fails
	// with "Invalid max storage size" (RDS User Guide, "Managing capacity
	// automatically with Amazon RDS storage autoscaling"). Equal turns
	// autoscaling off (hashicorp/aws rds/instance.go, resourceInstanceUpdate).
	if least := minStorageCeiling(alloc); ok1 && ok2 && maxAlloc > alloc && maxAlloc < least {
		resp.Diagnostics.AddAttributeError(p.AtName("max_allocated_storage"), "Storage ceiling too close to allocated storage",
			fmt.Sprintf("database.max_allocated_storage (%d GiB) must be at least 10%% above database.allocated_storage (%d GiB) for RDS storage autoscaling. "+
				"Set it to at least %d, or to %d to turn storage autoscaling off.", maxAlloc, alloc, least, alloc))
	}
	if !d.SkipFinalSnapshot.IsNull() && d.SkipFinalSnapshot.ValueBool() && !d.FinalSnapshotIdentifier.IsNull() {
		resp.Diagnostics.AddAttributeError(p.AtName("final_snapshot_identifier"), "Final snapshot name without a final snapshot",
			"database.final_snapshot_identifier is set but database.skip_final_snapshot is true. Remove one of them.")
	}
	validateDBWords(d, resp)
	class := d.InstanceClass.ValueString()
	// multi_az defaults to true: a null value here (the default is applied
	// after validation) means Multi-AZ.
	multiAZ := d.MultiAZ.IsNull() || (!d.MultiAZ.IsUnknown() && d.MultiAZ.ValueBool())
	if knownString(d.InstanceClass) && multiAZ && (class == "db.t2.micro") {
		resp.Diagnostics.AddAttributeError(p.AtName("instance_class"), "Instance class does not support Multi-AZ",
			"database.instance_class "+class+" cannot run a Multi-AZ database. Use db.t3.micro or larger, or set database.multi_az = false.")
	}
}

// minStorageCeiling is the smallest storage autoscaling ceiling RDS accepts
// above alloc GiB: 10% more, rounded up to a whole GiB.
func minStorageCeiling(alloc int64) int64 { return (alloc*110 + 99) / 100 }

// validateScaling checks the target against its metric: CPU utilization is
// a percentage, so a target above 100 could never be reached.
func validateScaling(sc *scalingModel, resp *resource.ValidateConfigResponse) {
	if sc == nil || sc.Target.IsUnknown() || sc.Target.IsNull() || !knownString(sc.Metric) {
		return
	}
	if t := sc.Target.ValueFloat64(); sc.Metric.ValueString() == "cpu" && t > 100 {
		resp.Diagnostics.AddAttributeError(path.Root("scaling").AtName("target"), "CPU target above 100%",
			fmt.Sprintf("scaling.target (%g) is above 100, but with scaling.metric = \"cpu\" it is the average CPU utilization in percent: the groups would never scale in. "+
				"Set a target between 1 and 100, typically 50 to 70.", t))
	}
}

func validateTags(ctx context.Context, tags types.Map, resp *resource.ValidateConfigResponse) {
	var m map[string]types.String
	if tags.IsNull() || tags.IsUnknown() {
		return
	}
	_ = tags.ElementsAs(ctx, &m, false)
	known := map[string]string{}
	for _, k := range sortedKeys(m) {
		if len(k) >= 9 && k[:9] == "hawebapp:" {
			resp.Diagnostics.AddAttributeError(path.Root("tags").AtMapKey(k), "Reserved tag key",
				"tags: keys starting with hawebapp: are how the provider finds its children. Rename the tag "+k+".")
		}
		if !m[k].IsUnknown() {
			known[k] = m[k].ValueString()
		}
	}
	for _, problem := range tagProblems(known) {
		resp.Diagnostics.AddAttributeError(path.Root("tags"), "Tags AWS would refuse", "In tags, "+problem+".")
	}
}
