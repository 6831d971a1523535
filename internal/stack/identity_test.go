package stack_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// TestAccStack_identity: a created stack carries the identity { name,
// region, account_id }; an import block by that identity, and by the name
// alone as users write it, adopts the stack with an empty plan; an
// identity for another region, or another account, is refused naming both. Resource identity needs Terraform 1.12 or
// later: under older clients and OpenTofu this test skips, and
// test/tools/test-clients.sh fails unless it ran under the current
// Terraform it builds.
func TestAccStack_identity(t *testing.T) {
	c := newClients(t)
	account := callerAccount(t, c.cfg)
	net := env.StackNetwork(t, c.cfg)
	args := defaultArgs(stackName(), net)
	args.withDB = false // the identity does not depend on the database; a quicker stack
	importBlock := func(identity string) string {
		return args.config() + fmt.Sprintf("\nimport {\n  to       = %s\n  identity = %s\n}\n", addr, identity)
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkNothingTagged(c, args.name),
		Steps: []resource.TestStep{
			{
				Config: args.config(),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(addr, map[string]knownvalue.Check{
						"name":       knownvalue.StringExact(args.name),
						"region":     knownvalue.StringExact("us-east-1"),
						"account_id": knownvalue.StringExact(account),
					}),
				},
			},
			{
				// The identity the state holds, in an import block: the plan
				// must import with no change and keep the identity.
				ResourceName: addr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				// As the docs tell users to write it: the name alone.
				ResourceName: addr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity,
				ImportStateConfigExact: true,
				Config:                 importBlock(fmt.Sprintf("{ name = %q }", args.name)),
			},
			{
				ResourceName: addr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity,
				ImportStateConfigExact: true,
				Config:                 importBlock(fmt.Sprintf("{ name = %q, region = \"eu-west-1\" }", args.name)),
				ExpectError:            regexp.MustCompile(`identity names another region`),
			},
			{
				ResourceName: addr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity,
				ImportStateConfigExact: true,
				Config:                 importBlock(fmt.Sprintf("{ name = %q, account_id = \"111111111111\" }", args.name)),
				ExpectError:            regexp.MustCompile(`(?s)identity names another account.*111111111111.*account\s+` + account),
			},
		},
	})
}

// TestIdentitySchema checks at the protocol level, with no CLI, that the
// provider announces the identity Terraform 1.12+ asks for, at version 1:
// the name required for import, the region and account optional.
func TestIdentitySchema(t *testing.T) {
	srv := env.ProviderServer(t, protoV6ProviderFactories["hawebapp"])
	resp, err := srv.GetResourceIdentitySchemas(t.Context(), &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	env.NoDiagnostics(t, "identity schema", resp.Diagnostics)
	s, ok := resp.IdentitySchemas["hawebapp_stack"]
	if !ok {
		t.Fatalf("no identity schema for hawebapp_stack: %v", resp.IdentitySchemas)
	}
	got := map[string]string{}
	for _, a := range s.IdentityAttributes {
		switch {
		case a.RequiredForImport:
			got[a.Name] = "required"
		case a.OptionalForImport:
			got[a.Name] = "optional"
		default:
			got[a.Name] = "neither"
		}
	}
	want := map[string]string{"name": "required", "region": "optional", "account_id": "optional"}
	if s.Version != 1 {
		t.Errorf("identity schema version %d, want 1 (0.1.0 had 0, without account_id)", s.Version)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("identity attributes = %v, want %v", got, want)
	}
}
