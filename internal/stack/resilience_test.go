package stack_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

const (
	attrFailOpenPercent = "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"
	attrFailOpenCount   = "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count"
)

// TestAccStack_resilienceSettings: by default the target group fails open
// below 25% healthy targets and every zonal group launches before it
// terminates; explicit values reach AWS (health timings derived from
// time_to_detect); a setting changed out of band shows in the plan and the
// next apply restores it.
func TestAccStack_resilienceSettings(t *testing.T) {
	c, args := appOnly(t)
	explicit := args
	explicit.healthExtra = "time_to_detect = 30, fail_open_below_percent = 10"
	explicit.extra = "instance_maintenance = { min_healthy_percent = 90, max_healthy_percent = 110 }"
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config(), Check: checkResilience(c, args.name, wantResilience{
			attrs: map[string]string{"health_check.time_to_detect": "70", "health_check.fail_open_below_percent": "25",
				"instance_maintenance.min_healthy_percent": "100", "instance_maintenance.max_healthy_percent": "200"},
			timings: [3]int32{15, 10, 4}, failOpen: "25", maintenance: [2]int32{100, 200},
		})},
		{Config: explicit.config(), Check: checkResilience(c, args.name, wantResilience{
			attrs: map[string]string{"health_check.time_to_detect": "30", "health_check.interval": "8",
				"health_check.timeout": "6", "health_check.unhealthy_threshold": "3"},
			timings: [3]int32{8, 6, 3}, failOpen: "10", maintenance: [2]int32{90, 110},
		})},
		{Config: explicit.config(), PlanOnly: true},
		{
			// Out of band: the fail-open threshold turned off, one zone's
			// maintenance policy removed.
			PreConfig: func() { breakResilience(t, c, args.name) },
			Config:    explicit.config(), PlanOnly: true, ExpectNonEmptyPlan: true,
		},
		{
			RefreshState: true,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestMatchResourceAttr(addr, "drift.#", regexp.MustCompile(`^2$`)),
				checkDriftSays(`^target_group \(.+\): fail open below off% healthy targets, want 10$`,
					`^autoscaling_group/us-east-1b \(.+\): instance maintenance policy none, want 90-110% healthy$`),
			),
			ExpectNonEmptyPlan: true,
		},
		{Config: explicit.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
			checkFailOpen(c, args.name, "10"),
			checkMaintenance(c, args.name, 90, 110),
		)},
		{Config: explicit.config(), PlanOnly: true},
	})
}

// wantResilience is what a stack's resilience settings read back as: the
// state's attributes (name to value) and, through the API, the target
// group's interval, timeout and unhealthy threshold, the percentage below
// which it fails open, and the zonal groups' maintenance range.
type wantResilience struct {
	attrs       map[string]string
	timings     [3]int32
	failOpen    string
	maintenance [2]int32
}

func checkResilience(c clients, stack string, want wantResilience) resource.TestCheckFunc {
	checks := []resource.TestCheckFunc{
		checkHealthTimings(c, stack, want.timings[0], want.timings[1], want.timings[2]),
		checkFailOpen(c, stack, want.failOpen),
		checkMaintenance(c, stack, want.maintenance[0], want.maintenance[1]),
	}
	for name, value := range want.attrs {
		checks = append(checks, resource.TestCheckResourceAttr(addr, name, value))
	}
	return resource.ComposeAggregateTestCheckFunc(checks...)
}

// checkDriftSays requires a drift entry matching each pattern.
func checkDriftSays(patterns ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		attrs := s.RootModule().Resources[addr].Primary.Attributes
		for _, p := range patterns {
			re, found := regexp.MustCompile(p), false
			for k, v := range attrs {
				found = found || (strings.HasPrefix(k, "drift.") && k != "drift.#" && re.MatchString(v))
			}
			if !found {
				return fmt.Errorf("no drift entry matches %s (state: drift.# = %s)", p, attrs["drift.#"])
			}
		}
		return nil
	}
}

func breakResilience(t *testing.T, c clients, stack string) {
	t.Helper()
	ctx := context.Background()
	tg, err := stackTargetGroup(ctx, c, stack)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.elb.ModifyTargetGroupAttributes(ctx, &elasticloadbalancingv2.ModifyTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String(attrFailOpenPercent), Value: aws.String("off")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(stack + "-us-east-1b"),
		InstanceMaintenancePolicy: &astypes.InstanceMaintenancePolicy{MinHealthyPercentage: aws.Int32(-1), MaxHealthyPercentage: aws.Int32(-1)}}); err != nil {
		t.Fatal(err)
	}
}

func checkHealthTimings(c clients, stack string, interval, timeout, unhealthy int32) resource.TestCheckFunc {
	return checkTargetGroup(c, stack, func(tg elbtypes.TargetGroup) error {
		got := [3]int32{aws.ToInt32(tg.HealthCheckIntervalSeconds), aws.ToInt32(tg.HealthCheckTimeoutSeconds), aws.ToInt32(tg.UnhealthyThresholdCount)}
		if want := [3]int32{interval, timeout, unhealthy}; got != want {
			return fmt.Errorf("target group interval/timeout/unhealthy threshold %v, want %v", got, want)
		}
		return nil
	})
}

func checkFailOpen(c clients, stack, percent string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		tg, err := stackTargetGroup(ctx, c, stack)
		if err != nil {
			return err
		}
		out, err := c.elb.DescribeTargetGroupAttributes(ctx, &elasticloadbalancingv2.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, a := range out.Attributes {
			got[aws.ToString(a.Key)] = aws.ToString(a.Value)
		}
		if got[attrFailOpenPercent] != percent || got[attrFailOpenCount] != "1" {
			return fmt.Errorf("unhealthy-state routing percentage %q count %q, want %q and \"1\"", got[attrFailOpenPercent], got[attrFailOpenCount], percent)
		}
		return nil
	}
}

func checkMaintenance(c clients, stack string, lo, hi int32) resource.TestCheckFunc {
	return func(*terraform.State) error {
		groups, err := stackGroups(context.Background(), c, stack)
		if err != nil {
			return err
		}
		if len(groups) != 3 {
			return fmt.Errorf("%d zonal groups, want 3", len(groups))
		}
		for _, g := range groups {
			p := g.InstanceMaintenancePolicy
			if p == nil || aws.ToInt32(p.MinHealthyPercentage) != lo || aws.ToInt32(p.MaxHealthyPercentage) != hi {
				return fmt.Errorf("group %s maintenance policy %+v, want %d-%d%%", aws.ToString(g.AutoScalingGroupName), p, lo, hi)
			}
		}
		return nil
	}
}
