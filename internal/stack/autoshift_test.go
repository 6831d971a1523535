package stack_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// autoshiftArgs renders a stack without a database (the autoshift parts
// depend on the load balancer only) with zonal_autoshift set to block, or
// without it when block is empty.
func autoshiftArgs(args stackArgs, block string) stackArgs {
	args.withDB = false
	if block != "" {
		args.extra = "zonal_autoshift = " + block
	}
	return args
}

// wantAutoshift is the practice run configuration and status ARC must hold.
type wantAutoshift struct {
	status  zstypes.ZonalAutoshiftStatus
	windows []string
	dates   []string
}

// TestAccStack_zonalAutoshift creates a stack with zonal autoshift, changes
// its blocked windows, disables autoshift outside Terraform (drift the plan
// shows and an apply repairs), imports the stack, turns autoshift off in
// the configuration and removes it: each step checked through the ARC and
// CloudWatch APIs.
func TestAccStack_zonalAutoshift(t *testing.T) {
	c := newClients(t)
	arc := arczonalshift.NewFromConfig(c.cfg)
	cw := cloudwatch.NewFromConfig(c.cfg, func(o *cloudwatch.Options) { o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801) })
	net := env.StackNetwork(t, c.cfg)
	base := defaultArgs(stackName(), net)
	first := autoshiftArgs(base, `{ blocked_windows = ["Mon:09:00-Mon:17:00"], blocked_dates = ["2026-12-24"] }`)
	// The second configuration also changes the stack's tags, which the
	// alarm follows.
	retagged := base
	retagged.tags = `{ team = "payments" }`
	second := autoshiftArgs(retagged, `{ blocked_windows = ["Tue:01:00-Tue:02:00", "Sat:00:00-Sat:23:59"] }`)
	disabled := autoshiftArgs(retagged, `{ enabled = false, blocked_windows = ["Tue:01:00-Tue:02:00", "Sat:00:00-Sat:23:59"] }`)
	none := autoshiftArgs(retagged, "")
	alarmName := base.name + "-autoshift-outcome"
	ctx := context.Background()
	var shift othersShift
	var practice string // the practice run's zonal shift ID
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkNothingTagged(c, base.name),
		Steps: []resource.TestStep{
			{Config: first.config(), Check: resource.ComposeAggregateTestCheckFunc(
				checkAutoshift(arc, wantAutoshift{zstypes.ZonalAutoshiftStatusEnabled, []string{"Mon:09:00-Mon:17:00"}, []string{"2026-12-24"}}),
				checkOutcomeAlarm(cw, alarmName, base.name, "acceptance"),
				resource.TestCheckResourceAttr(addr, "autoshift_alarm_name", alarmName),
				resource.TestCheckResourceAttr(addr, "drift.#", "0"),
			)},
			{Config: first.config(), PlanOnly: true},
			{Config: second.config(), Check: resource.ComposeAggregateTestCheckFunc(
				checkAutoshift(arc, wantAutoshift{zstypes.ZonalAutoshiftStatusEnabled, []string{"Tue:01:00-Tue:02:00", "Sat:00:00-Sat:23:59"}, nil}),
				checkOutcomeAlarm(cw, alarmName, base.name, "payments"),
			)},
			{
				// Autoshift disabled outside Terraform: the refresh sees it.
				PreConfig: func() {
					if _, err := arc.UpdateZonalAutoshiftConfiguration(ctx, &arczonalshift.UpdateZonalAutoshiftConfigurationInput{
						ResourceIdentifier: aws.String(stateAttr(t, "load_balancer_arn")), ZonalAutoshiftStatus: zstypes.ZonalAutoshiftStatusDisabled}); err != nil {
						t.Fatal(err)
					}
				},
				Config: second.config(), PlanOnly: true, ExpectNonEmptyPlan: true,
			},
			{Config: second.config(), Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "drift.#", "0"),
				checkAutoshift(arc, wantAutoshift{zstypes.ZonalAutoshiftStatusEnabled, []string{"Tue:01:00-Tue:02:00", "Sat:00:00-Sat:23:59"}, nil}),
			)},
			{
				// Import reads the configuration and status back.
				ResourceName: addr, ImportState: true, ImportStateId: base.name, ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"timeouts", "wait_for_healthy_targets"},
			},
			{
				// Someone else's zonal shift: the plan stays empty...
				PreConfig: func() { shift = startOthersShift(t, arc) },
				Config:    second.config(), PlanOnly: true,
			},
			{
				// ...and the state says it is there and whose it is.
				RefreshState: true, Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "active_shift_started_by", "customer"),
					resource.TestCheckResourceAttrPtr(addr, "active_shift_away_from", &shift.zoneID),
					resource.TestCheckResourceAttrSet(addr, "active_shift_expires_at"),
					resource.TestCheckNoResourceAttr(addr, "practice_run_outcome"),
					resource.TestCheckResourceAttr(addr, "drift.#", "0"),
				),
			},
			{Config: disabled.config(), Check: resource.ComposeAggregateTestCheckFunc(
				checkAutoshift(arc, wantAutoshift{zstypes.ZonalAutoshiftStatusDisabled, []string{"Tue:01:00-Tue:02:00", "Sat:00:00-Sat:23:59"}, nil}),
				checkOutcomeAlarm(cw, alarmName, base.name, "payments"),
				// The apply left the other shift alone.
				func(*terraform.State) error { return checkShiftActive(arc, shift.id) },
				resource.TestCheckResourceAttr(addr, "active_shift_started_by", "customer"),
			)},
			{
				PreConfig: func() {
					if _, err := arc.CancelZonalShift(ctx, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: aws.String(shift.id)}); err != nil {
						t.Fatal(err)
					}
				},
				RefreshState: true, Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckNoResourceAttr(addr, "active_shift_started_by"),
					resource.TestCheckNoResourceAttr(addr, "active_shift_away_from"),
				),
			},
			{
				// A practice run on request: the state names it and its outcome.
				PreConfig:    func() { practice = startPracticeRun(t, arc, shift.zoneID) },
				RefreshState: true, Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "active_shift_started_by", "practice_run"),
					resource.TestCheckResourceAttr(addr, "practice_run_outcome", "PENDING"),
					resource.TestCheckResourceAttr(addr, "drift.#", "0"),
				),
			},
			{Config: disabled.config(), PlanOnly: true},
			{PreConfig: func() {
				if _, err := arc.CancelPracticeRun(ctx, &arczonalshift.CancelPracticeRunInput{ZonalShiftId: aws.String(practice)}); err != nil {
					t.Fatal(err)
				}
			}, Config: none.config(), Check: resource.ComposeAggregateTestCheckFunc(
				checkAutoshift(arc, wantAutoshift{}),
				checkNoAlarm(cw, alarmName),
				resource.TestCheckNoResourceAttr(addr, "autoshift_alarm_arn"),
			)},
			{Config: none.config(), PlanOnly: true},
		},
	})
}

// checkAutoshift reads the load balancer's autoshift status and practice
// run configuration from ARC; a zero want means no configuration at all,
// autoshift DISABLED.
func checkAutoshift(client *arczonalshift.Client, want wantAutoshift) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		lastState = s
		a := s.RootModule().Resources[addr].Primary.Attributes
		out, err := client.GetManagedResource(context.Background(), &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(a["load_balancer_arn"])})
		if err != nil {
			return err
		}
		cfg := out.PracticeRunConfiguration
		if want.status == "" {
			if cfg != nil || out.ZonalAutoshiftStatus == zstypes.ZonalAutoshiftStatusEnabled {
				return fmt.Errorf("autoshift %s with practice run configuration %v, want none", out.ZonalAutoshiftStatus, cfg != nil)
			}
			return nil
		}
		if out.ZonalAutoshiftStatus != want.status {
			return fmt.Errorf("autoshift %s, want %s", out.ZonalAutoshiftStatus, want.status)
		}
		if cfg == nil {
			return fmt.Errorf("no practice run configuration")
		}
		if len(cfg.OutcomeAlarms) != 1 || aws.ToString(cfg.OutcomeAlarms[0].AlarmIdentifier) != a["autoshift_alarm_arn"] || a["autoshift_alarm_arn"] == "" {
			return fmt.Errorf("outcome alarms %v, want the stack's %q", cfg.OutcomeAlarms, a["autoshift_alarm_arn"])
		}
		if !slices.Equal(cfg.BlockedWindows, want.windows) || !slices.Equal(cfg.BlockedDates, want.dates) {
			return fmt.Errorf("blocked windows %q and dates %q, want %q and %q", cfg.BlockedWindows, cfg.BlockedDates, want.windows, want.dates)
		}
		return nil
	}
}

// checkOutcomeAlarm reads the stack's alarm from CloudWatch: the load
// balancer's 5xx, tagged as the stack's with the configuration's team tag.
func checkOutcomeAlarm(client *cloudwatch.Client, name, stack, team string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		a := s.RootModule().Resources[addr].Primary.Attributes
		out, err := client.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
		if err != nil {
			return err
		}
		if len(out.MetricAlarms) != 1 {
			return fmt.Errorf("%d alarms named %s, want 1", len(out.MetricAlarms), name)
		}
		al := out.MetricAlarms[0]
		lbSuffix := a["load_balancer_arn"][strings.Index(a["load_balancer_arn"], ":loadbalancer/")+len(":loadbalancer/"):]
		if aws.ToString(al.AlarmArn) != a["autoshift_alarm_arn"] || aws.ToString(al.MetricName) != "HTTPCode_ELB_5XX_Count" ||
			len(al.Dimensions) != 1 || aws.ToString(al.Dimensions[0].Value) != lbSuffix {
			return fmt.Errorf("alarm %s on %s %v, want HTTPCode_ELB_5XX_Count of LoadBalancer %s", aws.ToString(al.AlarmArn), aws.ToString(al.MetricName), al.Dimensions, lbSuffix)
		}
		tags, err := client.ListTagsForResource(context.Background(), &cloudwatch.ListTagsForResourceInput{ResourceARN: al.AlarmArn})
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, tag := range tags.Tags {
			got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if got["hawebapp:stack"] != stack || got["team"] != team {
			return fmt.Errorf("alarm %s tagged %v, want hawebapp:stack=%s and team=%s", name, got, stack, team)
		}
		return nil
	}
}

func checkNoAlarm(client *cloudwatch.Client, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		out, err := client.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
		if err != nil {
			return err
		}
		if len(out.MetricAlarms) > 0 {
			return fmt.Errorf("alarm %s still exists", name)
		}
		return nil
	}
}

// othersShift is a zonal shift the stack did not start.
type othersShift struct{ id, zoneID string }

// startOthersShift starts a customer's zonal shift on the stack's load
// balancer, away from the first of its zones, with a comment not the
// stack's.
func startOthersShift(t *testing.T, arc *arczonalshift.Client) othersShift {
	t.Helper()
	lb := stateAttr(t, "load_balancer_arn")
	m, err := arc.GetManagedResource(context.Background(), &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(lb)})
	if err != nil {
		t.Fatal(err)
	}
	ids := slices.Sorted(maps.Keys(m.AppliedWeights))
	if len(ids) == 0 {
		t.Fatalf("ARC lists no zone for %s", lb)
	}
	out, err := arc.StartZonalShift(context.Background(), &arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(lb),
		AwayFrom: aws.String(ids[0]), ExpiresIn: aws.String("2h"), Comment: aws.String("ops: network maintenance")})
	if err != nil {
		t.Fatal(err)
	}
	return othersShift{id: aws.ToString(out.ZonalShiftId), zoneID: ids[0]}
}

// checkShiftActive says whether ARC still lists the shift as active.
func checkShiftActive(arc *arczonalshift.Client, id string) error {
	out, err := arc.ListZonalShifts(context.Background(), &arczonalshift.ListZonalShiftsInput{})
	if err != nil {
		return err
	}
	for _, s := range out.Items {
		if aws.ToString(s.ZonalShiftId) == id {
			if s.Status != zstypes.ZonalShiftStatusActive {
				return fmt.Errorf("zonal shift %s is %s, want ACTIVE: the apply cancelled a shift it does not own", id, s.Status)
			}
			return nil
		}
	}
	return fmt.Errorf("zonal shift %s is gone: the apply cancelled a shift it does not own", id)
}

// startPracticeRun starts a practice run on request away from zoneID and
// returns its zonal shift ID.
func startPracticeRun(t *testing.T, arc *arczonalshift.Client, zoneID string) string {
	t.Helper()
	out, err := arc.StartPracticeRun(context.Background(), &arczonalshift.StartPracticeRunInput{
		ResourceIdentifier: aws.String(stateAttr(t, "load_balancer_arn")), AwayFrom: aws.String(zoneID), Comment: aws.String("practice on request")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ZonalShiftId)
}
