package stack_test

import (
	"fmt"
	"strings"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// moreInvalidCases are the rest of the refusals: conflicting options,
// unknown names, health-check values out of range, database settings,
// identifiers and addresses of the wrong form.
func moreInvalidCases(net env.Net) map[string]invalidCase {
	noDB := func(extra string) func(a *stackArgs) {
		return func(a *stackArgs) { a.withDB, a.extra = false, extra }
	}
	return map[string]invalidCase{
		// Conflicting options.
		"ProfileWithManagedPolicies": {func(a *stackArgs) {
			a.instancesExtra = `instance_profile_name = "my-profile"
    managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]`
		}, "instances.managed_policy_arns", `Policies for a role the stack does not create[\s\S]*remove instance_profile_name`},
		"FinalSnapshotWithSkip": {noDB(`database = { skip_final_snapshot = true, final_snapshot_identifier = "last" }`),
			"database.final_snapshot_identifier", `Final snapshot name without a final snapshot[\s\S]*Remove one of them`},

		// Unknown names.
		"MetricUnknown": {func(a *stackArgs) { a.scalingExtra = `metric = "requests"` }, "scaling.metric",
			`scaling.metric value must be one of: \["request_count_per_target" "cpu"\]`},
		"EngineUnknown": {noDB(`database = { engine = "oracle-ee" }`), "database.engine", `database.engine value must be one of: \["postgres" "mysql" "mariadb"\]`},

		// Health check: out of range or malformed.
		"TimeoutTooShort":          {func(a *stackArgs) { a.healthTimeout, a.healthInterval = 1, 10 }, "health_check.timeout", `health_check.timeout value must be between 2 and 120`},
		"UnhealthyThresholdTooLow": {func(a *stackArgs) { a.healthExtra = `unhealthy_threshold = 1` }, "health_check.unhealthy_threshold", `health_check.unhealthy_threshold value must be between 2 and 10`},
		"HealthPathRelative":       {func(a *stackArgs) { a.healthPath = "health" }, "health_check.path", `health_check.path must start with /`},

		// Capacity and scaling.
		"ScalingTargetZero": {func(a *stackArgs) { a.target = 0 }, "scaling.target", `scaling.target value must be at least 1`},

		// Instances.
		"RootVolumeTooSmall": {func(a *stackArgs) { a.instancesExtra = `root_volume_size = 4` }, "instances.root_volume_size", `instances.root_volume_size value must be between 8 and 16384`},
		"HopLimitTooHigh":    {func(a *stackArgs) { a.instancesExtra = `metadata_hop_limit = 65` }, "instances.metadata_hop_limit", `instances.metadata_hop_limit value must be between 1 and 64`},
		"ImageIDFormat":      {func(a *stackArgs) { a.image = "amazon-linux-2023" }, "instances.image_id", `instances.image_id must be an AMI ID such as ami-`},

		// Database.
		"UsernameInvalid": {noDB(`database = { username = "1admin" }`), "database.username", `database.username must start with a letter`},
		"DBNameInvalid":   {noDB(`database = { db_name = "my-app" }`), "database.db_name", `database.db_name must start with a letter and contain letters, digits and underscores`},
		"BackupRetentionTooLong": {noDB(`database = { backup_retention_days = 36 }`), "database.backup_retention_days",
			`database.backup_retention_days value must be between 0 and 35`},
		"StorageCeilingTooBig": {noDB(`database = { max_allocated_storage = 70000 }`), "database.max_allocated_storage",
			`database.max_allocated_storage value must be between 20 and 65536`},

		// Identifiers and addresses.
		"VPCIDFormat": {func(a *stackArgs) { a.net.VPCID = "my-vpc" }, "vpc_id", `vpc_id must be a VPC ID such as vpc-`},
		"SubnetIDFormat": {func(a *stackArgs) { a.net.App = []string{"private-a", net.App[1], net.App[2]} },
			"app_subnet_ids[0]", `app_subnet_ids\[0\] must be a subnet ID such as subnet-`},
		"OneAppSubnet": {func(a *stackArgs) { a.net.App = net.App[:1] }, "app_subnet_ids",
			`app_subnet_ids list must contain at least 2 elements and at most 6 elements`},
		"RepeatedAppSubnet": {func(a *stackArgs) { a.net.App = []string{net.App[0], net.App[1], net.App[0]} },
			"app_subnet_ids[2]", `Duplicate value[\s\S]*app_subnet_ids\[2\] repeats app_subnet_ids\[0\][\s\S]*Remove the repeated value`},
		"CIDRHostBits": {func(a *stackArgs) { a.extra = `allowed_cidrs = ["203.0.113.7/24"]` }, "allowed_cidrs[0]",
			`Invalid CIDR block[\s\S]*host bits set[\s\S]*write 203.0.113.0/24`},
		"CIDRMalformed": {func(a *stackArgs) { a.extra = `allowed_cidrs = ["office"]` }, "allowed_cidrs[0]", `Invalid CIDR block[\s\S]*write it like 203.0.113.0/24`},
		"CertificateARNFormat": {func(a *stackArgs) { a.extra = `listener = { certificate_arn = "my-certificate" }` }, "listener.certificate_arn",
			`listener.certificate_arn must be an ACM or IAM certificate ARN`},

		// Tags.
		"ReservedTagKey": {func(a *stackArgs) { a.tags = `{ "hawebapp:owner" = "me" }` }, "tags", `Reserved tag key[\s\S]*Rename the tag hawebapp:owner`},
		"TagValueTooLong": {func(a *stackArgs) { a.tags = fmt.Sprintf(`{ team = %q }`, strings.Repeat("v", 257)) }, "tags",
			`Tags AWS would refuse[\s\S]*257 characters, AWS allows at most 256: shorten it`},
	}
}
