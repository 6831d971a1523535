package stack_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// TestAccStack_planTimeValidation proves each bad input fails the plan with
// the attribute and the fix, before anything is created: CheckDestroy finds
// nothing tagged with the stack, and the recorder saw only read-only calls.
func TestAccStack_planTimeValidation(t *testing.T) {
	c := newClients(t)
	net := env.StackNetwork(t, c.cfg)
	other := env.StackNetwork(t, c.cfg)
	ctx := context.Background()
	sameZone, err := c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(net.VPCID), AvailabilityZone: aws.String("us-east-1a"), CidrBlock: aws.String(net.Block(100))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sameZone.Subnet.SubnetId}) })

	name := stackName()
	cases := map[string]invalidCase{
		"NameFormat":              {func(a *stackArgs) { a.name = "Fruit_API" }, "name", `Invalid stack name[\s\S]*lower-case letter[\s\S]*Choose a name`},
		"NameTooLong":             {func(a *stackArgs) { a.name = "a-very-long-stack-name-indeed" }, "name", `3 to 25 characters[\s\S]*target group`},
		"MinAboveMax":             {func(a *stackArgs) { a.min, a.max = 9, 6 }, "capacity.min", `capacity.min \(9\) is greater than\s+capacity.max \(6\)\. Lower min or raise max`},
		"BelowOnePerZone":         {func(a *stackArgs) { a.min = 2 }, "capacity.min", `Capacity below one instance per zone[\s\S]*Set capacity.min to at least 3`},
		"HTTPSWithoutCertificate": {func(a *stackArgs) { a.extra = `listener = { https_port = 8443 }` }, "listener.https_port", `HTTPS setting without a certificate[\s\S]*Set certificate_arn`},
		"OneZone": {func(a *stackArgs) {
			a.net.App = []string{a.net.App[0], *sameZone.Subnet.SubnetId, a.net.App[2]}
		}, "app_subnet_ids", `Two app subnets in one zone[\s\S]*Give one subnet per availability zone`},
		"SubnetInAnotherVPC": {func(a *stackArgs) { a.net.App = []string{a.net.App[0], a.net.App[1], other.App[2]} },
			"app_subnet_ids[2]", `Subnet in another VPC[\s\S]*Use subnets of vpc-`},
		"LBSubnetInAnotherVPC": {func(a *stackArgs) { a.net.LB = []string{a.net.LB[0], other.LB[1], a.net.LB[2]} },
			"lb_subnet_ids[1]", `Subnet in another VPC[\s\S]*Use subnets of vpc-`},
		"InstanceTypeNotOffered": {func(a *stackArgs) { a.instanceType = "trn1.32xlarge" }, "instances.instance_type",
			`trn1.32xlarge is not offered in\s+us-east-1a[\s\S]*Choose an instance type offered in every zone`},
		"StorageCeiling": {func(a *stackArgs) {
			a.withDB = false
			a.extra = `database = { allocated_storage = 100, max_allocated_storage = 50 }`
		}, "database.max_allocated_storage", `Storage ceiling below allocated storage[\s\S]*Set it to at least 100`},
		"DatabaseClass": {func(a *stackArgs) {
			a.withDB = false
			a.extra = `database = { instance_class = "t3.micro" }`
		}, "database.instance_class", `must look like db.t3.micro`},
		"TimeoutNotBelowInterval": {func(a *stackArgs) { a.healthTimeout, a.healthInterval = 30, 30 }, "health_check.timeout",
			`health_check.timeout \(30 s\) must be less than\s+health_check.interval \(30 s\)[\s\S]*Lower the timeout or raise the\s+interval`},
	}
	all := mergeCases(cases, nameAndValueCases(net, *sameZone.Subnet.SubnetId), moreInvalidCases(net), instanceTypeCases(), accessLogsInvalidCases(), autoshiftInvalidCases())
	if len(all) < 30 {
		t.Fatalf("%d invalid configurations, want at least 30", len(all))
	}
	refused, mutating := refusePlans(t, c, defaultArgs(name, net), all)
	// The figures contributing/reliability.md quotes; the count is checked
	// against it, so adding a case fails here until the guide says so.
	t.Logf("%d of %d invalid configurations refused at plan; mutating AWS calls made by refused plans: %d", refused, len(all), mutating)
	if quoted := guideFigure(t, "reliability.md", `\| refused at plan \| (\d+) \+`); quoted != len(all) {
		t.Errorf("the reliability guide quotes %d invalid configurations refused at plan, the test has %d: update the guide's table", quoted, len(all))
	}
	changelog, err := os.ReadFile(filepath.Join("..", "..", "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(\\d+) of them in `TestAccStack_planTimeValidation`'s table").FindSubmatch(changelog)
	if m == nil || string(m[1]) != strconv.Itoa(len(all)) {
		t.Errorf("CHANGELOG.md does not say the table has %d invalid configurations (%q): update it", len(all), m)
	}
}

// guideFigure is the number a guide quotes where pattern's group matches,
// read from the contributor guide (contributing/<guide>).
func guideFigure(t *testing.T, guide, pattern string) int {
	t.Helper()
	path := filepath.Join("..", "..", "contributing", guide)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(pattern).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s no longer quotes the figure (%q): keep it, or update this check with the sentence", path, pattern)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// invalidCase is a configuration the plan must refuse: mutate turns the
// default arguments into it.
type invalidCase struct {
	mutate func(a *stackArgs)
	// attr is the attribute the error's own text must name (Terraform
	// points nested attributes' errors at the whole resource block, so the
	// text is all the user has).
	attr string
	// want matches the problem and the fix.
	want string
}

func mergeCases(all ...map[string]invalidCase) map[string]invalidCase {
	out := map[string]invalidCase{}
	for _, m := range all {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// refusePlans runs each case as a subtest: the base arguments, turned by
// the case's mutate, must be refused at plan (planMustFail). It returns how
// many were refused and how many mutating AWS calls the refused plans made.
func refusePlans(t *testing.T, c clients, base stackArgs, cases map[string]invalidCase) (refused, mutating int) {
	t.Helper()
	for caseName, tc := range cases {
		t.Run(caseName, func(t *testing.T) {
			a := base
			tc.mutate(&a)
			mutating += planMustFail(t, c, a, tc)
			if !t.Failed() {
				refused++
			}
		})
	}
	return refused, mutating
}

// planPasses plans a's configuration and expects it accepted (with
// changes to make).
func planPasses(t *testing.T, a stackArgs) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps:                    []resource.TestStep{{Config: a.config(), PlanOnly: true, ExpectNonEmptyPlan: true}},
	})
}

// planMustFail plans the configuration and expects it refused with an error
// that names tc.attr in its text and matches tc.want (the problem and the
// fix), then checks that nothing was created: no tagged child in AWS, and
// (against the emulator) no AWS call other than Describe*, List* and Get*.
func planMustFail(t *testing.T, c clients, a stackArgs, tc invalidCase) (mutating int) {
	t.Helper()
	refuse(t, c, a.name, resource.TestStep{Config: a.config(), PlanOnly: true}, tc)
	return noMutatingCalls(t, "a refused plan")
}

// refuse runs step alone, from a reset recorder, and expects it refused
// with tc's error (checkRefusal) and nothing of the stack left in AWS
// after; it returns the error.
func refuse(t *testing.T, c clients, stack string, step resource.TestStep, tc invalidCase) error {
	t.Helper()
	if accRecorder != nil {
		accRecorder.Reset()
	}
	var got error
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkNothingTagged(c, stack),
		// ErrorCheck sees the step's whole error, which the checks read.
		ErrorCheck: func(err error) error { got = err; return nil },
		Steps:      []resource.TestStep{step},
	})
	checkRefusal(t, got, tc)
	return got
}

// checkRefusal asserts that err is a refusal naming tc.attr in the
// diagnostics' own text (not only in the source snippet Terraform quotes)
// and matching tc.want.
func checkRefusal(t *testing.T, err error, tc invalidCase) {
	t.Helper()
	if err == nil {
		t.Fatalf("the configuration was accepted, want an error naming %s and matching %s", tc.attr, tc.want)
	}
	// Terraform wraps details at 80 columns: compare on single spaces.
	text := strings.Join(strings.Fields(diagnosticText(err.Error())), " ")
	if !regexp.MustCompile(tc.want).MatchString(text) {
		t.Errorf("error does not match %s:\n%s", tc.want, text)
	}
	if !regexp.MustCompile(`(^|[^a-z_.])` + regexp.QuoteMeta(tc.attr) + `([^a-z_]|$)`).MatchString(text) {
		t.Errorf("error does not name the attribute %s in its text:\n%s", tc.attr, text)
	}
}

// snippetLine is a line of the source context Terraform prints under an
// error's summary: "with <address>,", "on <file> line <n>..." and quoted
// configuration lines "<n>: ...".
var snippetLine = regexp.MustCompile(`^\s*(with \S+,|on \S+ line \d+|\d+: )`)

// diagnosticText drops the source context from Terraform's error output,
// keeping the summaries and details the provider wrote.
func diagnosticText(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		if !snippetLine.MatchString(line) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// noMutatingCalls fails the test when the recorder saw any AWS call other
// than Describe*, List* and Get* since its last Reset, and returns how many.
// Against real AWS (no recorder) the tagged-children check is the evidence.
func noMutatingCalls(t *testing.T, what string) int {
	t.Helper()
	if accRecorder == nil {
		return 0
	}
	var mutating []string
	for _, call := range accRecorder.Calls() {
		if !readOnlyAction.MatchString(call.Action) {
			mutating = append(mutating, call.String())
		}
	}
	if len(mutating) > 0 {
		t.Errorf("%s made mutating AWS calls: %s", what, strings.Join(mutating, ", "))
	}
	return len(mutating)
}

var readOnlyAction = regexp.MustCompile(`^(Describe|List|Get)`)
