package stack_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// dataAddr is the data source in the second root.
const dataAddr = "data.hawebapp_stack.web"

// secondRoot is another root module that reads the stack by name and wires
// what alarms and DNS records take into its outputs.
func secondRoot(name, region string) string {
	regionArg := ""
	if region != "" {
		regionArg = fmt.Sprintf("\n  region = %q", region)
	}
	return fmt.Sprintf(`provider "hawebapp" {}

data "hawebapp_stack" "web" {
  name = %q%s
}

output "alarm_dimensions" {
  value = {
    LoadBalancer = data.hawebapp_stack.web.load_balancer_arn_suffix
    TargetGroup  = data.hawebapp_stack.web.target_group_arn_suffix
  }
}

output "db_instance_arn" {
  value = data.hawebapp_stack.web.db_instance_arn
}
`, name, regionArg)
}

// TestAccDataSource_secondRoot: a stack made by one root is read by name in
// a second root (its own working directory and state): the data source
// reports what the resource's state holds, the outputs wired to it are
// known, and a name no stack has, or another region, is an error naming it.
func TestAccDataSource_secondRoot(t *testing.T) {
	c := newClients(t)
	args := defaultArgs(stackName(), env.StackNetwork(t, c.cfg))
	compared := []string{"id", "vpc_id", "dns_name", "zone_id", "url", "load_balancer_arn", "http_listener_arn", "target_group_arn",
		"launch_template_id", "instance_role_arn", "instance_profile", "db_instance_identifier", "db_endpoint", "db_port", "db_secret_arn",
		"zones.#", "zones.0", "security_group_ids.%", "security_group_ids.alb", "security_group_ids.db", "autoscaling_group_names.%",
		"tags.%", "tags.team", "load_balancer_arn_suffix", "target_group_arn_suffix", "autoscaling_group_arns.%", "scaling_policy_arns.%",
		"launch_template_arn", "db_instance_arn", "instance_role_name"}
	readFromSecondRoot := func(s *terraform.State) error {
		made := s.RootModule().Resources[addr].Primary.Attributes
		checks := []resource.TestCheckFunc{
			resource.TestCheckResourceAttr(dataAddr, "region", "us-east-1"),
			resource.TestCheckResourceAttr(dataAddr, "account_id", callerAccount(t, c.cfg)),
			resource.TestCheckOutput("db_instance_arn", made["db_instance_arn"]),
			func(s *terraform.State) error {
				out := s.RootModule().Outputs["alarm_dimensions"]
				want := map[string]any{"LoadBalancer": made["load_balancer_arn_suffix"], "TargetGroup": made["target_group_arn_suffix"]}
				if out == nil || fmt.Sprint(out.Value) != fmt.Sprint(want) {
					return fmt.Errorf("alarm_dimensions = %v, want %v", out, want)
				}
				return nil
			},
		}
		for _, k := range compared {
			if made[k] == "" {
				return fmt.Errorf("the stack's %s is empty: nothing to compare", k)
			}
			checks = append(checks, resource.TestCheckResourceAttr(dataAddr, k, made[k]))
		}
		for zone, name := range made {
			if z, ok := strings.CutPrefix(zone, "autoscaling_group_arns."); ok && z != "%" {
				checks = append(checks, resource.TestCheckResourceAttr(dataAddr, zone, name))
			}
		}
		resource.Test(t, resource.TestCase{
			PreCheck:                 func() { testAccPreCheck(t) },
			ProtoV6ProviderFactories: protoV6ProviderFactories,
			Steps: []resource.TestStep{
				{Config: secondRoot(args.name, ""), Check: resource.ComposeAggregateTestCheckFunc(checks...)},
				{Config: secondRoot("no-such-stack", ""), ExpectError: regexp.MustCompile(`(?s)Stack not found.*no-such-stack`)},
				{Config: secondRoot(args.name, "eu-west-1"), ExpectError: regexp.MustCompile(`(?s)region is eu-west-1.*us-east-1`)},
			},
		})
		return nil
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkNothingTagged(c, args.name),
		Steps:                    []resource.TestStep{{Config: args.config(), Check: readFromSecondRoot}},
	})
}
