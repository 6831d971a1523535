package stack_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// TestAccStack_autoscalerOwnsDesired: a desired capacity changed by the
// autoscaler is not drift, and a later apply of another change keeps it.
func TestAccStack_autoscalerOwnsDesired(t *testing.T) {
	c, args := appOnly(t)
	changed := args
	changed.healthPath = "/ready"
	group := args.name + "-us-east-1a"
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config()},
		{
			PreConfig: func() {
				if _, err := c.asg.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{
					AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(2)}); err != nil {
					t.Fatal(err)
				}
			},
			Config:   args.config(),
			PlanOnly: true, // empty plan: the autoscaler's desired is not drift
		},
		{Config: changed.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkHealthPath(c, args.name, "/ready"),
			checkDesired(c, group, 2),
		)},
	})
}

func checkDesired(c clients, group string, want int32) resource.TestCheckFunc {
	return func(*terraform.State) error {
		out, err := c.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
		if err != nil || len(out.AutoScalingGroups) != 1 {
			return fmt.Errorf("group %s: %v", group, err)
		}
		if got := aws.ToInt32(out.AutoScalingGroups[0].DesiredCapacity); got != want {
			return fmt.Errorf("group %s desired %d, want %d (an apply must not reset the autoscaler's choice)", group, got, want)
		}
		return nil
	}
}
