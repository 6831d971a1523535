package stack_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

const evacuated = "us-east-1b"

// TestAccStack_evacuateZone evacuates a zone and returns it: the surviving
// groups carry the capacity before the shift starts, the shift has the
// maximum expiry, an empty plan follows; a cancelled, an expired and an
// about-to-expire shift are drift the next apply repairs; removing the zone
// cancels the shift and brings the groups back to normal.
func TestAccStack_evacuateZone(t *testing.T) {
	c := newClients(t)
	arc := arczonalshift.NewFromConfig(c.cfg)
	args := defaultArgs(stackName(), env.StackNetwork(t, c.cfg))
	args.withDB = false
	args.min, args.max = 3, 6
	evac := args
	evac.extra = fmt.Sprintf("evacuate_zones = [%q]", evacuated)
	var shiftID string
	remember := func(*terraform.State) error {
		s, err := activeShift(context.Background(), c, arc, args.name)
		if s != nil {
			shiftID = aws.ToString(s.ZonalShiftId)
		}
		return err
	}
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr("hawebapp_stack.test", "enable_zonal_shift", "true"),
			checkLBZonalShift(c, args.name, true),
			checkNoShift(c, arc, args.name),
			resource.TestCheckResourceAttr("hawebapp_stack.test", "capacity_serving", "3"),
			resource.TestCheckResourceAttr("hawebapp_stack.test", "capacity_after_zone_loss", "2"),
		)},
		// Evacuate: 3 instances over the two zones left (2 + 1), then the shift.
		{Config: evac.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkShift(c, arc, args.name, evacuated, 72*time.Hour),
			checkZoneGroup(c, args.name, "us-east-1a", 2, 2, 2),
			checkZoneGroup(c, args.name, "us-east-1c", 1, 1, 1),
			checkZoneGroup(c, args.name, evacuated, 1, 1, 1),
			checkSuspended(c, args.name+"-"+evacuated, []string{"AlarmNotification", "Launch", "ReplaceUnhealthy"}),
			resource.TestCheckResourceAttrSet("hawebapp_stack.test", "evacuation_expires_at"),
			resource.TestCheckResourceAttr("hawebapp_stack.test", "capacity_serving", "3"),
			resource.TestCheckResourceAttr("hawebapp_stack.test", "capacity_after_zone_loss", "1"),
			resource.TestCheckResourceAttr("hawebapp_stack.test", "evacuation_shortfall", "0"),
			resource.TestCheckResourceAttr("hawebapp_stack.test", "drift.#", "0"),
			remember,
		)},
		{Config: evac.config(), PlanOnly: true},
		// Cancelled out of band: drift, repaired by the next apply.
		{
			PreConfig: func() {
				if _, err := arc.CancelZonalShift(context.Background(), &arczonalshift.CancelZonalShiftInput{ZonalShiftId: aws.String(shiftID)}); err != nil {
					t.Fatal(err)
				}
			},
			Config: evac.config(), PlanOnly: true, ExpectNonEmptyPlan: true,
		},
		{Config: evac.config(), Check: resource.ComposeAggregateTestCheckFunc(checkShift(c, arc, args.name, evacuated, 72*time.Hour), remember)},
		// Close to its expiry (within the renewal margin): renewed.
		{
			PreConfig: func() {
				if _, err := arc.UpdateZonalShift(context.Background(), &arczonalshift.UpdateZonalShiftInput{ZonalShiftId: aws.String(shiftID), ExpiresIn: aws.String("10h")}); err != nil {
					t.Fatal(err)
				}
			},
			Config: evac.config(), PlanOnly: true, ExpectNonEmptyPlan: true,
		},
		{Config: evac.config(), Check: checkShift(c, arc, args.name, evacuated, 72*time.Hour)},
		// Expired (the emulator's clock is moved past its expiry): drift, repaired.
		{
			PreConfig: func() { expireShift(t, c, arc, args.name) },
			Config:    evac.config(), PlanOnly: true, ExpectNonEmptyPlan: true,
		},
		// The refreshed state says the zone gets traffic while suspended.
		{RefreshState: true, ExpectNonEmptyPlan: true, Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckNoResourceAttr("hawebapp_stack.test", "evacuation_expires_at"),
			checkDriftMentions("zonal shift away from "+evacuated+" is not active"),
		)},
		{Config: evac.config(), Check: checkShift(c, arc, args.name, evacuated, 72*time.Hour)},
		// Return: the shift goes, the groups return to one instance each.
		{Config: args.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkNoShift(c, arc, args.name),
			checkZoneGroup(c, args.name, "us-east-1a", 1, 1, 1),
			checkZoneGroup(c, args.name, "us-east-1c", 1, 1, 1),
			checkSuspended(c, args.name+"-"+evacuated, nil),
			resource.TestCheckResourceAttr("hawebapp_stack.test", "capacity_serving", "3"),
			resource.TestCheckResourceAttr("hawebapp_stack.test", "capacity_after_zone_loss", "2"),
		)},
		{Config: args.config(), PlanOnly: true},
	})
}

// TestAccStack_evacuationShortfall: when max does not let the surviving
// zones take the load, the shortfall is reported, and the evacuation goes on
// with what they can take.
func TestAccStack_evacuationShortfall(t *testing.T) {
	c, args := appOnly(t)
	args.min, args.max = 6, 6 // 2 per zone, no room to grow
	args.extra = fmt.Sprintf("evacuate_zones = [%q]", evacuated)
	stackTest(t, c, args.name, []resource.TestStep{{Config: args.config(), Check: resource.ComposeAggregateTestCheckFunc(
		resource.TestCheckResourceAttr("hawebapp_stack.test", "capacity_serving", "4"),
		resource.TestCheckResourceAttr("hawebapp_stack.test", "evacuation_shortfall", "2"),
		resource.TestCheckResourceAttr("hawebapp_stack.test", "capacity_after_zone_loss", "2"),
	)}})
}

// TestAccStack_evacuationPlanChecks: every plan-time check of evacuate_zones.
func TestAccStack_evacuationPlanChecks(t *testing.T) {
	c, base := appOnly(t)
	refusePlans(t, c, base, map[string]invalidCase{
		"NotAZoneOfTheStack": {func(a *stackArgs) { a.extra = `evacuate_zones = ["us-east-1d"]` }, "evacuate_zones", `Not a zone of the stack[\s\S]*us-east-1d`},
		"NoZoneRemains": {func(a *stackArgs) {
			a.extra = `evacuate_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]`
		}, "evacuate_zones", `No zone would remain[\s\S]*Keep at least one zone`},
		"MoreThanOneZone":   {func(a *stackArgs) { a.extra = `evacuate_zones = ["us-east-1a", "us-east-1b"]` }, "evacuate_zones", `More than one zone[\s\S]*single zone`},
		"ZonalShiftOff":     {func(a *stackArgs) { a.extra = "enable_zonal_shift = false\n  evacuate_zones = [\"us-east-1b\"]" }, "enable_zonal_shift", `Zonal shift is off[\s\S]*set\s+enable_zonal_shift = true`},
		"SameZoneTwiceOver": {func(a *stackArgs) { a.extra = `evacuate_zones = ["us-east-1b", "us-east-1b"]` }, "evacuate_zones", `Duplicate value`},
	})
}

// checkDriftMentions checks that one of the stack's drift lines holds want.
func checkDriftMentions(want string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		rs, ok := st.RootModule().Resources["hawebapp_stack.test"]
		if !ok {
			return fmt.Errorf("hawebapp_stack.test not in state")
		}
		var lines []string
		for k, v := range rs.Primary.Attributes {
			if strings.HasPrefix(k, "drift.") && k != "drift.#" {
				if strings.Contains(v, want) {
					return nil
				}
				lines = append(lines, v)
			}
		}
		return fmt.Errorf("drift %q does not mention %q", lines, want)
	}
}

// activeShift is the one active zonal shift on the stack's load balancer.
func activeShift(ctx context.Context, c clients, arc *arczonalshift.Client, stack string) (*zstypes.ZonalShiftSummary, error) {
	lbs, err := c.elb.DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{Names: []string{stack}})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		return nil, fmt.Errorf("load balancer %s: %v", stack, err)
	}
	out, err := arc.ListZonalShifts(ctx, &arczonalshift.ListZonalShiftsInput{ResourceIdentifier: lbs.LoadBalancers[0].LoadBalancerArn})
	if err != nil {
		return nil, err
	}
	switch len(out.Items) {
	case 0:
		return nil, nil
	case 1:
		return &out.Items[0], nil
	}
	return nil, fmt.Errorf("%d active zonal shifts on %s, want at most 1", len(out.Items), stack)
}

func checkShift(c clients, arc *arczonalshift.Client, stack, zone string, expiresIn time.Duration) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		s, err := activeShift(ctx, c, arc, stack)
		if err != nil {
			return err
		}
		if s == nil {
			return fmt.Errorf("no active zonal shift on %s", stack)
		}
		zones, err := c.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{zone}})
		if err != nil || len(zones.AvailabilityZones) != 1 {
			return fmt.Errorf("zone %s: %v", zone, err)
		}
		if want := aws.ToString(zones.AvailabilityZones[0].ZoneId); aws.ToString(s.AwayFrom) != want {
			return fmt.Errorf("zonal shift away from %s, want %s (%s)", aws.ToString(s.AwayFrom), want, zone)
		}
		// Started or renewed during this step: the full 72 hours from about now.
		if left := time.Until(aws.ToTime(s.ExpiryTime)); left > expiresIn || left < expiresIn-5*time.Minute {
			return fmt.Errorf("zonal shift expires in %s, want %s", left.Round(time.Second), expiresIn)
		}
		return nil
	}
}

func checkNoShift(c clients, arc *arczonalshift.Client, stack string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		s, err := activeShift(context.Background(), c, arc, stack)
		if err == nil && s != nil {
			err = fmt.Errorf("zonal shift %s away from %s still active on %s", aws.ToString(s.ZonalShiftId), aws.ToString(s.AwayFrom), stack)
		}
		return err
	}
}

// checkZoneGroup checks a zone's group: its min, and its desired capacity
// between desired and upTo (the autoscaler may have raised it).
func checkZoneGroup(c clients, stack, zone string, wantMin, desired, upTo int32) resource.TestCheckFunc {
	return func(*terraform.State) error {
		name := stack + "-" + zone
		out, err := c.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
		if err != nil || len(out.AutoScalingGroups) != 1 {
			return fmt.Errorf("group %s: %v", name, err)
		}
		g := out.AutoScalingGroups[0]
		if got := aws.ToInt32(g.MinSize); got != wantMin {
			return fmt.Errorf("group %s min %d, want %d", name, got, wantMin)
		}
		if got := aws.ToInt32(g.DesiredCapacity); got < desired || got > upTo {
			return fmt.Errorf("group %s desired %d, want %d to %d", name, got, desired, upTo)
		}
		if n := int32(len(g.Instances)); n < desired {
			return fmt.Errorf("group %s has %d instances, want at least %d", name, n, desired)
		}
		return nil
	}
}

func checkSuspended(c clients, group string, want []string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		out, err := c.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
		if err != nil || len(out.AutoScalingGroups) != 1 {
			return fmt.Errorf("group %s: %v", group, err)
		}
		var got []string
		for _, p := range out.AutoScalingGroups[0].SuspendedProcesses {
			got = append(got, aws.ToString(p.ProcessName))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("group %s suspends %v, want %v", group, got, want)
		}
		return nil
	}
}

func checkLBZonalShift(c clients, stack string, want bool) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		lbs, err := c.elb.DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{Names: []string{stack}})
		if err != nil || len(lbs.LoadBalancers) != 1 {
			return fmt.Errorf("load balancer %s: %v", stack, err)
		}
		out, err := c.elb.DescribeLoadBalancerAttributes(ctx, &elasticloadbalancingv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lbs.LoadBalancers[0].LoadBalancerArn})
		if err != nil {
			return err
		}
		for _, a := range out.Attributes {
			if aws.ToString(a.Key) == "zonal_shift.config.enabled" && aws.ToString(a.Value) == fmt.Sprint(want) {
				return nil
			}
		}
		return fmt.Errorf("load balancer %s: zonal_shift.config.enabled is not %t", stack, want)
	}
}

// expireShift ends the stack's shift as if 72 hours had passed: through
// the emulator; against real AWS the test cannot wait that long.
func expireShift(t *testing.T, c clients, arc *arczonalshift.Client, stack string) {
	t.Helper()
	if accZonalShift == nil {
		t.Skip("expiring a zonal shift needs the emulator's clock (against real AWS it takes up to 72 hours)")
	}
	s, err := activeShift(context.Background(), c, arc, stack)
	if err != nil || s == nil {
		t.Fatalf("no active shift to expire: %v", err)
	}
	if !accZonalShift.Emulator.Expire(aws.ToString(s.ZonalShiftId)) {
		t.Fatalf("the emulator did not expire shift %s", aws.ToString(s.ZonalShiftId))
	}
}
