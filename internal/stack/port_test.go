package stack_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// TestAccStack_instancePortChangeReplacesTheTargetGroup changes the port
// the instances serve on, which replaces the target group (its port cannot
// change): the apply finishes (it once waited forever for the load
// balancer to show in the new group), the listener forwards to the new
// group, every zonal group is attached to it alone, the old group is gone,
// and the next plan is empty.
func TestAccStack_instancePortChangeReplacesTheTargetGroup(t *testing.T) {
	c, args := appOnly(t)
	moved := args
	moved.instancesExtra = `port = 8081`
	var before string
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config(), Check: func(s *terraform.State) error {
			before = s.RootModule().Resources[addr].Primary.Attributes["target_group_arn"]
			return checkServedBy(c, args.name, before, 8080)(s)
		}},
		{Config: moved.config(), Check: func(s *terraform.State) error {
			after := s.RootModule().Resources[addr].Primary.Attributes["target_group_arn"]
			if after == before {
				return fmt.Errorf("target group %s kept after the port changed", after)
			}
			if _, err := c.elb.DescribeTargetGroups(context.Background(), &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{before}}); err == nil {
				return fmt.Errorf("the old target group %s is still there", before)
			}
			return checkServedBy(c, args.name, after, 8081)(s)
		}},
		{Config: moved.config(), PlanOnly: true},
	})
}

// checkServedBy checks through the API that the target group has the port,
// that every listener of its load balancer forwards to it, and that every
// zonal group of the stack is attached to it and to nothing else.
func checkServedBy(c clients, stack, tg string, port int32) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		out, err := c.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{tg}})
		if err != nil {
			return err
		}
		g := out.TargetGroups[0]
		if aws.ToInt32(g.Port) != port || len(g.LoadBalancerArns) != 1 {
			return fmt.Errorf("target group %s: port %d, load balancers %v; want port %d behind the stack's", tg, aws.ToInt32(g.Port), g.LoadBalancerArns, port)
		}
		ls, err := c.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(g.LoadBalancerArns[0])})
		if err != nil {
			return err
		}
		for _, l := range ls.Listeners {
			var to []string
			for _, a := range l.DefaultActions {
				to = append(to, aws.ToString(a.TargetGroupArn))
			}
			if !slices.Contains(to, tg) {
				return fmt.Errorf("listener on port %d forwards to %v, not to %s", aws.ToInt32(l.Port), to, tg)
			}
		}
		groups, err := stackGroups(ctx, c, stack)
		if err != nil {
			return err
		}
		for _, ag := range groups {
			if !slices.Equal(ag.TargetGroupARNs, []string{tg}) {
				return fmt.Errorf("group %s is attached to %v, want %s alone", aws.ToString(ag.AutoScalingGroupName), ag.TargetGroupARNs, tg)
			}
		}
		return nil
	}
}
