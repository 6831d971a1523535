package stack_test

import (
	"fmt"
	"strings"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// nameAndValueCases are configurations AWS would refuse or never serve,
// each with the error the plan must give (the attribute and the fix).
// sameZone is a second subnet of net in us-east-1a.
func nameAndValueCases(net env.Net, sameZone string) map[string]invalidCase {
	noDB := func(extra string) func(a *stackArgs) {
		return func(a *stackArgs) { a.withDB, a.extra = false, extra }
	}
	const cert = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
	manyTags := make([]string, 49)
	for i := range manyTags {
		manyTags[i] = fmt.Sprintf("t%d = \"v\"", i)
	}
	return map[string]invalidCase{
		// Names derived from the stack name.
		"NameTooShortForLaunchTemplate": {func(a *stackArgs) { a.name = "ab" }, "name", `Invalid stack name[\s\S]*launch template name[\s\S]*Choose a name`},
		"NameInternalPrefix":            {func(a *stackArgs) { a.name = "internal-web" }, "name", `Invalid stack name[\s\S]*internal-[\s\S]*Choose a name`},
		"NameSecurityGroupPrefix":       {func(a *stackArgs) { a.name = "sg-web" }, "name", `Invalid stack name[\s\S]*security group[\s\S]*Choose a name`},
		"NameDefault":                   {func(a *stackArgs) { a.name = "default" }, "name", `Invalid stack name[\s\S]*must not be \"default\"[\s\S]*Choose a name`},
		"NameTrailingHyphen":            {func(a *stackArgs) { a.name = "web-" }, "name", `Invalid stack name[\s\S]*not ending in a hyphen[\s\S]*Choose a name`},

		// Health check and target group.
		"MatcherOutOfRange":       {func(a *stackArgs) { a.healthExtra = `matcher = "200-500"` }, "health_check.matcher", `Invalid health check matcher[\s\S]*Use codes from 200 to 499`},
		"MatcherDownwards":        {func(a *stackArgs) { a.healthExtra = `matcher = "399-200"` }, "health_check.matcher", `Invalid health check matcher[\s\S]*downwards[\s\S]*lowest first`},
		"IntervalTooShort":        {func(a *stackArgs) { a.healthTimeout, a.healthInterval = 2, 4 }, "health_check.interval", `health_check.interval value must be between 5 and 300`},
		"HealthyThresholdTooHigh": {func(a *stackArgs) { a.healthExtra = `healthy_threshold = 11` }, "health_check.healthy_threshold", `health_check.healthy_threshold value must be between 2 and 10`},
		"DeregistrationTooLong":   {func(a *stackArgs) { a.extra = `deregistration_delay = 3601` }, "deregistration_delay", `deregistration_delay value must be between 0 and 3600`},

		// Scaling.
		"WarmupTooLong":      {func(a *stackArgs) { a.scalingExtra = `warmup = 3601` }, "scaling.warmup", `scaling.warmup value must be between 0 and 3600`},
		"CPUTargetAbove100":  {func(a *stackArgs) { a.scalingExtra = `metric = "cpu"`; a.target = 150 }, "scaling.target", `CPU target above 100%[\s\S]*Set a\s+target between 1 and 100`},
		"GracePeriodTooLong": {func(a *stackArgs) { a.healthExtra = `grace_period = 7201` }, "health_check.grace_period", `health_check.grace_period value must be between 0 and 7200`},

		// Listeners.
		"PortZero": {func(a *stackArgs) { a.extra = `listener = { http_port = 0 }` }, "listener.http_port", `listener.http_port value must be between 1 and 65535`},
		"ListenerPortsCollide": {func(a *stackArgs) {
			a.extra = fmt.Sprintf(`listener = { certificate_arn = %q, https_port = 80 }`, cert)
		}, "listener.https_port", `Listener ports collide[\s\S]*its own port`},
		"SSLPolicyUnknown": {func(a *stackArgs) {
			a.extra = fmt.Sprintf(`listener = { certificate_arn = %q, ssl_policy = "TLS-1-2" }`, cert)
		}, "listener.ssl_policy", `listener.ssl_policy must be a predefined[\s\S]*such as ELBSecurityPolicy-`},

		// Instances.
		"InstanceProfileName": {func(a *stackArgs) { a.instancesExtra = `instance_profile_name = "my profile"` }, "instances.instance_profile_name", `instances.instance_profile_name must be an instance profile name`},
		"ManagedPolicyARN": {func(a *stackArgs) { a.instancesExtra = `managed_policy_arns = ["AmazonSSMManagedInstanceCore"]` },
			"instances.managed_policy_arns[0]", `must be an IAM managed policy ARN[\s\S]*such as arn:aws:iam::aws:policy/`},
		"KeyNameTooLong":       {func(a *stackArgs) { a.instancesExtra = fmt.Sprintf("key_name = %q", strings.Repeat("k", 256)) }, "instances.key_name", `instances.key_name string length must be between 1 and 255`},
		"UserDataTooLong":      {func(a *stackArgs) { a.userData = strings.Repeat("x", 12001) }, "instances.user_data", `instances.user_data string length must be at most 12000`},
		"ArchitectureMismatch": {func(a *stackArgs) { a.image = "ami-0e9271c829888680e" }, "instances.instance_type", `Instance type cannot run the image[\s\S]*arm64[\s\S]*Choose an instance type`},
		"ImageNotFound":        {func(a *stackArgs) { a.image = "ami-0123456789abcdef0" }, "instances.image_id", `Image not found[\s\S]*Use an AMI`},
		// moto's images have a 15 GiB root snapshot; EC2 refuses a smaller root volume at every launch.
		"RootVolumeBelowSnapshot": {func(a *stackArgs) { a.instancesExtra = `root_volume_size = 10` }, "instances.root_volume_size",
			`Root volume smaller than the image's snapshot[\s\S]*snap-[\s\S]*15 GiB[\s\S]*Set\s+instances.root_volume_size = 15 or more`},

		// Network: what AWS needs to serve at all.
		"AppZoneWithoutLBSubnet": {func(a *stackArgs) { a.net.LB = []string{net.LB[0], net.LB[1]} },
			"app_subnet_ids", `Zone without a load balancer subnet[\s\S]*us-east-1c[\s\S]*Add a load balancer subnet in us-east-1c`},
		"LoadBalancerInOneZone": {func(a *stackArgs) { a.net.LB = []string{net.LB[0], sameZone} },
			"lb_subnet_ids", `Fewer than two availability zones[\s\S]*Add a subnet in another zone to lb_subnet_ids`},

		// Database.
		"StorageCeilingTooClose":      {noDB(`database = { allocated_storage = 100, max_allocated_storage = 105 }`), "database.max_allocated_storage", `Storage ceiling too close[\s\S]*at least 110`},
		"FinalSnapshotTrailingHyphen": {noDB(`database = { final_snapshot_identifier = "snap-" }`), "database.final_snapshot_identifier", `database.final_snapshot_identifier must start with a letter`},
		"FinalSnapshotTooLong": {noDB(fmt.Sprintf(`database = { final_snapshot_identifier = %q }`, "s"+strings.Repeat("n", 255))),
			"database.final_snapshot_identifier", `database.final_snapshot_identifier string length must be between 1[\s\S]*255`},
		"MultiAZOnT2Micro":  {noDB(`database = { instance_class = "db.t2.micro" }`), "database.instance_class", `Instance class does not support Multi-AZ[\s\S]*Use db.t3.micro or larger, or set\s+database.multi_az = false`},
		"StorageTooSmall":   {noDB(`database = { allocated_storage = 10 }`), "database.allocated_storage", `database.allocated_storage value must be between 20 and 65536`},
		"DatabasePortBelow": {noDB(`database = { port = 1000 }`), "database.port", `database.port value must be between 1150 and 65535`},

		"UsernameReservedPostgres": {noDB(`database = { username = "user" }`), "database.username", `Name RDS would refuse[\s\S]*database.username "user"[\s\S]*PostgreSQL`},
		"UsernameRDSAccount":       {noDB(`database = { engine = "mysql", username = "rdsadmin" }`), "database.username", `Name RDS would refuse[\s\S]*RDS keeps it`},
		"DBNameReservedMySQL":      {noDB(`database = { engine = "mysql", db_name = "select" }`), "database.db_name", `Name RDS would refuse[\s\S]*database.db_name "select"[\s\S]*MySQL`},

		// Tags.
		"TagAWSPrefix": {func(a *stackArgs) { a.tags = `{ "aws:team" = "web" }` }, "tags", `Tags AWS would refuse[\s\S]*aws:[\s\S]*rename it`},
		"TooManyTags":  {func(a *stackArgs) { a.tags = "{\n" + strings.Join(manyTags, "\n") + "\n}" }, "tags", `Tags AWS would refuse[\s\S]*52 tags[\s\S]*remove at least 2`},
		"TooManyTagsWithDefaults": {func(a *stackArgs) {
			a.tags = "{\n" + strings.Join(manyTags[:30], "\n") + "\n}"
			a.provider = `provider "hawebapp" {
  default_tags { tags = {` + strings.Repeat(" ", 1) + defaultTags(20) + `} }
}`
		}, "tags", `Tags AWS would refuse[\s\S]*default_tags[\s\S]*53 tags[\s\S]*remove at least 3`},
	}
}

func defaultTags(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("d%d = \"v\"", i)
	}
	return strings.Join(out, ", ")
}
