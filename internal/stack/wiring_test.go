package stack_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// wiringAttrs are the attributes users wire into alarms, policies and
// other roots (schema_wiring.go).
var wiringAttrs = []string{"load_balancer_arn_suffix", "target_group_arn_suffix", "autoscaling_group_arns", "scaling_policy_arns",
	"launch_template_arn", "db_instance_arn", "instance_role_name"}

// TestAccStack_wiringAttributes: after a create the wiring attributes are
// known and match what the API reports; an update that replaces none of
// the children plans them known (so a root wired to them sees no change)
// and keeps them.
func TestAccStack_wiringAttributes(t *testing.T) {
	c := newClients(t)
	account := callerAccount(t, c.cfg)
	args := defaultArgs(stackName(), env.StackNetwork(t, c.cfg))
	retagged := args
	retagged.tags = `{ team = "acceptance", cost = "web" }`
	first := map[string]string{}
	var knownInPlan []plancheck.PlanCheck
	for _, a := range wiringAttrs {
		knownInPlan = append(knownInPlan, plancheck.ExpectKnownValue(addr, tfjsonpath.New(a), knownvalue.NotNull()))
	}
	stackTest(t, c, args.name, []resource.TestStep{
		{
			Config: args.config(),
			Check: resource.ComposeAggregateTestCheckFunc(
				checkWiringMatchesAPI(c, account),
				func(s *terraform.State) error {
					for k, v := range s.RootModule().Resources[addr].Primary.Attributes {
						first[k] = v
					}
					return nil
				},
			),
		},
		{
			Config:           retagged.config(),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: append([]plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}, knownInPlan...)},
			Check: resource.ComposeAggregateTestCheckFunc(
				checkWiringMatchesAPI(c, account),
				func(s *terraform.State) error {
					for k, v := range s.RootModule().Resources[addr].Primary.Attributes {
						if isWiring(k) && first[k] != v {
							return fmt.Errorf("%s changed from %q to %q on an update that replaces nothing", k, first[k], v)
						}
					}
					return nil
				},
			),
		},
	})
}

func isWiring(flat string) bool {
	for _, a := range wiringAttrs {
		if flat == a || strings.HasPrefix(flat, a+".") {
			return true
		}
	}
	return false
}

// checkWiringMatchesAPI compares each wiring attribute with what the API
// says of the child it names.
func checkWiringMatchesAPI(c clients, account string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		a := s.RootModule().Resources[addr].Primary.Attributes
		lbs, err := c.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{a["load_balancer_arn"]}})
		if err != nil || len(lbs.LoadBalancers) != 1 {
			return fmt.Errorf("load balancer %s: %v", a["load_balancer_arn"], err)
		}
		if got, want := a["load_balancer_arn_suffix"], after(aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn), ":loadbalancer/"); got != want || want == "" {
			return fmt.Errorf("load_balancer_arn_suffix %q, want %q", got, want)
		}
		tgs, err := c.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{a["target_group_arn"]}})
		if err != nil || len(tgs.TargetGroups) != 1 {
			return fmt.Errorf("target group %s: %v", a["target_group_arn"], err)
		}
		if got, want := a["target_group_arn_suffix"], "targetgroup/"+after(aws.ToString(tgs.TargetGroups[0].TargetGroupArn), ":targetgroup/"); got != want {
			return fmt.Errorf("target_group_arn_suffix %q, want %q", got, want)
		}
		zones := a["zones.#"]
		if a["autoscaling_group_arns.%"] != zones || a["scaling_policy_arns.%"] != zones {
			return fmt.Errorf("%s group ARNs and %s policy ARNs for %s zones", a["autoscaling_group_arns.%"], a["scaling_policy_arns.%"], zones)
		}
		for k, name := range a {
			zone, ok := strings.CutPrefix(k, "autoscaling_group_names.")
			if !ok || zone == "%" {
				continue
			}
			groups, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
			if err != nil || len(groups.AutoScalingGroups) != 1 {
				return fmt.Errorf("group %s: %v", name, err)
			}
			if got, want := a["autoscaling_group_arns."+zone], aws.ToString(groups.AutoScalingGroups[0].AutoScalingGroupARN); got != want {
				return fmt.Errorf("autoscaling_group_arns[%s] %q, want %q", zone, got, want)
			}
			pols, err := c.asg.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String(name)})
			if err != nil || len(pols.ScalingPolicies) != 1 {
				return fmt.Errorf("policies of %s: %v", name, err)
			}
			if got, want := a["scaling_policy_arns."+zone], aws.ToString(pols.ScalingPolicies[0].PolicyARN); got != want {
				return fmt.Errorf("scaling_policy_arns[%s] %q, want %q", zone, got, want)
			}
		}
		lts, err := ec2.NewFromConfig(c.cfg).DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{a["launch_template_id"]}})
		if err != nil || len(lts.LaunchTemplates) != 1 {
			return fmt.Errorf("launch template %s: %v", a["launch_template_id"], err)
		}
		if got, want := a["launch_template_arn"], "arn:aws:ec2:us-east-1:"+account+":launch-template/"+aws.ToString(lts.LaunchTemplates[0].LaunchTemplateId); got != want {
			return fmt.Errorf("launch_template_arn %q, want %q", got, want)
		}
		dbs, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(a["db_instance_identifier"])})
		if err != nil || len(dbs.DBInstances) != 1 {
			return fmt.Errorf("database %s: %v", a["db_instance_identifier"], err)
		}
		if got, want := a["db_instance_arn"], aws.ToString(dbs.DBInstances[0].DBInstanceArn); got != want || want == "" {
			return fmt.Errorf("db_instance_arn %q, want %q", got, want)
		}
		role, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(a["instance_role_name"])})
		if err != nil {
			return fmt.Errorf("instance_role_name %q: %v", a["instance_role_name"], err)
		}
		if got := aws.ToString(role.Role.Arn); got != a["instance_role_arn"] {
			return fmt.Errorf("role %s has ARN %s, instance_role_arn is %s", a["instance_role_name"], got, a["instance_role_arn"])
		}
		return nil
	}
}

// after is what follows sep in s, or "".
func after(s, sep string) string {
	_, rest, ok := strings.Cut(s, sep)
	if !ok {
		return ""
	}
	return rest
}
