package stack_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestAccStack_planTimeValidation proves each bad input fails the plan with
// the attribute and the fix, before anything is created: CheckDestroy finds
// nothing tagged with the stack, and the recorder saw only read-only calls.
func TestAccStack_planTimeValidation(t *testing.T) {
	c := newClients(t)
	net := newNetwork(t, c)
	other := newNetwork(t, c)
	ctx := context.Background()
	sameZone, err := c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(net.vpcID), AvailabilityZone: aws.String("us-east-1a"), CidrBlock: aws.String("10.0.100.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sameZone.Subnet.SubnetId}) })

	name := stackName()
	cases := map[string]invalidCase{
		"NameFormat":              {func(a *stackArgs) { a.name = "Fruit_API" }, `Invalid stack name`},
		"NameTooLong":             {func(a *stackArgs) { a.name = "a-very-long-stack-name-indeed" }, `3 to 25 characters[\s\S]*target group`},
		"MinAboveMax":             {func(a *stackArgs) { a.min, a.max = 9, 6 }, `capacity.min \(9\) is greater than\s+capacity.max \(6\)`},
		"BelowOnePerZone":         {func(a *stackArgs) { a.min = 2 }, `Capacity below one instance per zone`},
		"HTTPSWithoutCertificate": {func(a *stackArgs) { a.extra = `listener = { https_port = 8443 }` }, `HTTPS setting without a certificate`},
		"OneZone": {func(a *stackArgs) {
			a.net.private = []string{a.net.private[0], *sameZone.Subnet.SubnetId, a.net.private[2]}
		}, `Two app subnets in one zone`},
		"SubnetInAnotherVPC":     {func(a *stackArgs) { a.net.private = []string{a.net.private[0], a.net.private[1], other.private[2]} }, `Subnet in another VPC`},
		"InstanceTypeNotOffered": {func(a *stackArgs) { a.instanceType = "trn1.32xlarge" }, `trn1.32xlarge is not offered in\s+us-east-1a`},
		"StorageCeiling": {func(a *stackArgs) {
			a.withDB = false
			a.extra = `database = { allocated_storage = 100, max_allocated_storage = 50 }`
		}, `Storage ceiling below allocated storage`},
		"DatabaseClass": {func(a *stackArgs) {
			a.withDB = false
			a.extra = `database = { instance_class = "t3.micro" }`
		}, `must look like db.t3.micro`},
		"TimeoutNotBelowInterval": {func(a *stackArgs) { a.healthTimeout, a.healthInterval = 30, 30 },
			`health_check.timeout \(30 s\) must be less than\s+health_check.interval \(30 s\)`},
	}
	for caseName, tc := range mergeCases(cases, nameAndValueCases(net, *sameZone.Subnet.SubnetId)) {
		t.Run(caseName, func(t *testing.T) {
			a := defaultArgs(name, net)
			tc.mutate(&a)
			planMustFail(t, c, a, tc.want)
		})
	}
}

// invalidCase is a configuration the plan must refuse: mutate turns the
// default arguments into it, want matches the error.
type invalidCase struct {
	mutate func(a *stackArgs)
	want   string
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

// planMustFail plans the configuration and expects the error, then checks
// that nothing was created: no tagged child in AWS, and (against the
// emulator) no AWS call other than Describe*, List* and Get*.
func planMustFail(t *testing.T, c clients, a stackArgs, want string) {
	t.Helper()
	if accRecorder != nil {
		accRecorder.Reset()
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkNothingTagged(c, a.name),
		Steps:                    []resource.TestStep{{Config: a.config(), PlanOnly: true, ExpectError: regexp.MustCompile(want)}},
	})
	if accRecorder == nil {
		return
	}
	var mutating []string
	for _, call := range accRecorder.Calls() {
		if !readOnlyAction.MatchString(call.Action) {
			mutating = append(mutating, call.String())
		}
	}
	if len(mutating) > 0 {
		t.Errorf("a refused plan made mutating AWS calls: %s", strings.Join(mutating, ", "))
	}
}

var readOnlyAction = regexp.MustCompile(`^(Describe|List|Get)`)
