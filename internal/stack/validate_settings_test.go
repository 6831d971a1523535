package stack_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// TestAccStack_resiliencePlanTimeValidation: health timings that cannot meet
// time_to_detect, and a maintenance range AWS refuses, fail the plan naming
// the attribute and the fix, before anything is created.
func TestAccStack_resiliencePlanTimeValidation(t *testing.T) {
	c, base := appOnly(t)
	cases := map[string]invalidCase{
		"IntervalTooLongForGoal": {func(a *stackArgs) { a.healthExtra = "time_to_detect = 30, interval = 30" }, "health_check.time_to_detect",
			`health_check.time_to_detect 30 s cannot be met with interval = 30[\s\S]*at least 2 × 30 \+ 2 = 62 s[\s\S]*Raise time_to_detect to at least 62, or remove interval to let it be derived`},
		"TimeoutTooLongForGoal": {func(a *stackArgs) { a.healthExtra = "time_to_detect = 30, timeout = 10" }, "health_check.time_to_detect",
			`time_to_detect 30 s cannot be met with timeout = 10[\s\S]*at least 32`},
		"ThresholdTooHighForGoal": {func(a *stackArgs) { a.healthExtra = "time_to_detect = 30, unhealthy_threshold = 10" }, "health_check.time_to_detect",
			`cannot be met with unhealthy_threshold = 10[\s\S]*at least 52`},
		"GoalBelowAWSRange": {func(a *stackArgs) { a.healthExtra = "time_to_detect = 5" }, "health_check.time_to_detect", `health_check.time_to_detect[\s\S]*between 12 and 3120`},
		"FailOpenAbove100":  {func(a *stackArgs) { a.healthExtra = "fail_open_below_percent = 101" }, "health_check.fail_open_below_percent", `health_check.fail_open_below_percent[\s\S]*between 0 and 100`},
		"MaintenanceRangeTooWide": {func(a *stackArgs) {
			a.extra = "instance_maintenance = { min_healthy_percent = 50, max_healthy_percent = 200 }"
		}, "instance_maintenance.max_healthy_percent",
			`instance_maintenance.max_healthy_percent \(200\) is more than 100 above[\s\S]*at most 150`},
		"MaintenanceMaxBelow100": {func(a *stackArgs) { a.extra = "instance_maintenance = { max_healthy_percent = 90 }" }, "instance_maintenance.max_healthy_percent",
			`instance_maintenance.max_healthy_percent[\s\S]*between 100 and 200`},
	}
	for caseName, tc := range cases {
		// Terraform wraps messages: any space may be a line break.
		tc.want = strings.ReplaceAll(tc.want, " ", `\s+`)
		cases[caseName] = tc
	}
	refusePlans(t, c, base, cases)
}

// TestAccStack_namedAccessChecks: a key pair or an instance profile that
// does not exist fails the plan on its attribute with read-only calls only
// (EC2 would accept the launch template and fail every launch); existing
// ones plan.
func TestAccStack_namedAccessChecks(t *testing.T) {
	c, base := appOnly(t)
	ctx := context.Background()
	key, profile := base.name+"-key", base.name+"-profile"
	if _, err := c.ec2.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.ec2.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String(key)}) })
	if _, err := c.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(profile)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.iam.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(profile)})
	})

	refusePlans(t, c, base, map[string]invalidCase{
		"KeyPairNotFound": {func(a *stackArgs) { a.instancesExtra = `key_name = "no-such-key"` }, "instances.key_name",
			`Not found: EC2 key pair[\s\S]*no-such-key does not exist[\s\S]*Create or import the key pair in us-east-1`},
		"InstanceProfileNotFound": {func(a *stackArgs) { a.instancesExtra = `instance_profile_name = "no-such-profile"` }, "instances.instance_profile_name",
			`Not found: IAM instance profile[\s\S]*no-such-profile does not exist[\s\S]*Create the instance profile first`},
	})
	t.Run("Existing", func(t *testing.T) {
		a := base
		a.instancesExtra = `key_name = "` + key + `"
    instance_profile_name = "` + profile + `"`
		planPasses(t, a)
	})
}

// TestAccStack_appSubnetsKeepDatabaseSubnet removes from app_subnet_ids the
// subnet the database runs in (moto places it in us-east-1a): the plan
// refuses it, naming the attribute and the fix, since RDS would refuse to
// take the subnet out of the DB subnet group halfway through the apply (the
// strict layer's db-subnet-in-use rule answers so). Removing another zone's
// subnet plans.
func TestAccStack_appSubnetsKeepDatabaseSubnet(t *testing.T) {
	c := newClients(t)
	net := env.StackNetwork(t, c.cfg)
	args := defaultArgs(stackName(), net)
	withoutA, withoutC := args, args
	withoutA.net.App = net.App[1:]
	withoutC.net.App = net.App[:2]
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config()},
		{Config: withoutA.config(), ExpectError: regexp.MustCompile(`app_subnet_ids:\s+the\s+change\s+removes\s+` + net.App[0] +
			`\s+\(us-east-1a\),\s+where\s+the\s+database\s+\S+\s+runs\s+its\s+primary[\s\S]*Keep\s+` + net.App[0] + `\s+in\s+app_subnet_ids`)},
		{Config: withoutC.config(), PlanOnly: true, ExpectNonEmptyPlan: true},
	})
}

// TestAccStack_applyTimeValidation: values that come from another resource
// are unknown when Terraform plans, so the plan-time checks cannot see them
// (the plan warns which arguments wait for apply). Terraform plans the
// resource again during apply, with every value known, before it creates
// it: the same checks then refuse the bad value, and the recorder proves
// the stack made no mutating AWS call.
func TestAccStack_applyTimeValidation(t *testing.T) {
	c := newClients(t)
	net := env.StackNetwork(t, c.cfg)
	other := env.StackNetwork(t, c.cfg)
	name := stackName()
	const unknownCert = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
	cases := map[string]struct {
		arg, late string // the argument whose value terraform_data.late.output passes through, and that value
		extra     string // stackArgs.extra
		tc        invalidCase
	}{
		"SubnetInAnotherVPC": {"app_subnet_ids", quoteList([]string{net.App[0], net.App[1], other.App[2]}), "",
			invalidCase{attr: "app_subnet_ids[2]", want: `Subnet in another VPC[\s\S]*Use subnets of vpc-`}},
		"AppZoneWithoutLBSubnet": {"lb_subnet_ids", quoteList(net.LB[:2]), "",
			invalidCase{attr: "app_subnet_ids", want: `Zone without a load balancer subnet[\s\S]*Add a load balancer subnet in us-east-1c`}},
		"CertificateNotFound": {"certificate_arn", `"` + unknownCert + `"`, `listener = { certificate_arn = "` + unknownCert + `" }`,
			invalidCase{attr: "listener.certificate_arn", want: `Certificate not found[\s\S]*Check the ARN`}},
		"ImageNotFound": {"image_id", `"ami-0123456789abcdef0"`, "",
			invalidCase{attr: "instances.image_id", want: `Image not found[\s\S]*Use an AMI`}},
		"MinAboveMax": {"min", "9", "",
			invalidCase{attr: "capacity.min", want: `capacity.min \(9\) is greater than capacity.max \(6\)\. Lower min or raise max`}},
	}
	for caseName, tc := range cases {
		t.Run(caseName, func(t *testing.T) {
			a := defaultArgs(name, net)
			a.withDB, a.extra = false, tc.extra
			applyMustFail(t, c, a, lateConfig(t, a.config(), tc.arg, tc.late), tc.tc)
		})
	}
}

// lateConfig makes arg's value come from terraform_data.late.output, which
// Terraform knows only once it has created terraform_data.late, at apply.
func lateConfig(t *testing.T, config, arg, late string) string {
	t.Helper()
	re := regexp.MustCompile(`(\b` + arg + `\s+=\s+)("[^"]*"|\[[^\]]*\]|\d+)`)
	if !re.MatchString(config) {
		t.Fatalf("no %s in the configuration:\n%s", arg, config)
	}
	config = re.ReplaceAllString(config, "${1}terraform_data.late.output")
	return config + "\nresource \"terraform_data\" \"late\" {\n  input = " + late + "\n}\n"
}

// applyMustFail applies the configuration and expects the plan to pass and
// the apply to refuse it with tc's error, with no mutating AWS call and
// nothing of the stack left.
func applyMustFail(t *testing.T, c clients, a stackArgs, config string, tc invalidCase) {
	t.Helper()
	got := refuse(t, c, a.name, resource.TestStep{Config: config}, tc)
	// terraform-plugin-testing says which command failed: the plan must
	// have passed (the value was unknown then) and the apply refused it.
	if got != nil && !strings.Contains(got.Error(), "Error running apply") {
		t.Errorf("refused before apply, want the plan to pass and the apply to refuse: %v", got)
	}
	noMutatingCalls(t, "an apply refused for a value known only at apply")
}
