package stack_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// TestAccStack_namedAccessChecks: a key pair or an instance profile that
// does not exist fails the plan on its attribute with read-only calls only
// (EC2 would accept the launch template and fail every launch); existing
// ones plan.
func TestAccStack_namedAccessChecks(t *testing.T) {
	c := newClients(t)
	net := env.StackNetwork(t, c.cfg)
	ctx := context.Background()
	name := stackName()
	key, profile := name+"-key", name+"-profile"
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

	cases := map[string]invalidCase{
		"KeyPairNotFound": {func(a *stackArgs) { a.instancesExtra = `key_name = "no-such-key"` }, "instances.key_name",
			`Not found: EC2 key pair[\s\S]*no-such-key does not exist[\s\S]*Create or import the key pair in us-east-1`},
		"InstanceProfileNotFound": {func(a *stackArgs) { a.instancesExtra = `instance_profile_name = "no-such-profile"` }, "instances.instance_profile_name",
			`Not found: IAM instance profile[\s\S]*no-such-profile does not exist[\s\S]*Create the instance profile first`},
	}
	for caseName, tc := range cases {
		t.Run(caseName, func(t *testing.T) {
			a := defaultArgs(name, net)
			a.withDB = false
			tc.mutate(&a)
			planMustFail(t, c, a, tc)
		})
	}
	t.Run("Existing", func(t *testing.T) {
		a := defaultArgs(name, net)
		a.withDB = false
		a.instancesExtra = `key_name = "` + key + `"
    instance_profile_name = "` + profile + `"`
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: protoV6ProviderFactories,
			Steps:                    []resource.TestStep{{Config: a.config(), PlanOnly: true, ExpectNonEmptyPlan: true}},
		})
	})
}
