package stack_test

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

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
