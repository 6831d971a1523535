package stack_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

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
	if accRecorder != nil {
		accRecorder.Reset()
	}
	var got error
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkNothingTagged(c, a.name),
		ErrorCheck:               func(err error) error { got = err; return nil },
		Steps:                    []resource.TestStep{{Config: config}},
	})
	checkRefusal(t, got, tc)
	// terraform-plugin-testing says which command failed: the plan must
	// have passed (the value was unknown then) and the apply refused it.
	if got != nil && !strings.Contains(got.Error(), "Error running apply") {
		t.Errorf("refused before apply, want the plan to pass and the apply to refuse: %v", got)
	}
	noMutatingCalls(t, "an apply refused for a value known only at apply")
}
