package stack_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/leaks"
)

const addr = "hawebapp_stack.test"

// stackArgs are the knobs the tests turn; config renders them as HCL.
type stackArgs struct {
	name       string
	net        env.Net
	min, max   int
	target     int
	healthPath string
	userData   string
	withDB     bool
	extra      string
	// zero values keep the provider's defaults
	instanceType                  string
	healthTimeout, healthInterval int
	// more attributes inside the instances, health_check and scaling
	// blocks, and tags in place of the default ones
	instancesExtra, healthExtra, scalingExtra, tags string
	image                                           string
	// provider replaces the empty provider block
	provider string
}

func defaultArgs(name string, net env.Net) stackArgs {
	return stackArgs{name: name, net: net, min: 3, max: 6, target: 500, healthPath: "/health", userData: "#!/bin/bash\necho v1\n", withDB: true}
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func (a stackArgs) config() string {
	db := ""
	if a.withDB {
		db = `database = { deletion_protection = false, skip_final_snapshot = true }`
	}
	return fmt.Sprintf(`
%[19]s

resource "hawebapp_stack" "test" {
  name           = %[1]q
  vpc_id         = %[2]q
  app_subnet_ids = %[3]s
  lb_subnet_ids  = %[4]s
  instances = {
    image_id  = %[18]q
    user_data = %[5]q%[13]s
    %[14]s
  }
  capacity     = { min = %[6]d, desired = %[6]d, max = %[7]d }
  scaling      = { target = %[8]d%[16]s }
  health_check = { path = %[9]q%[12]s%[15]s }
  tags         = %[17]s
  %[10]s
  %[11]s
}
`, a.name, a.net.VPCID, quoteList(a.net.App), quoteList(a.net.LB), a.userData, a.min, a.max, a.target, a.healthPath, db, a.extra, a.healthTimings(), a.typeArg(),
		a.instancesExtra, prefixComma(a.healthExtra), prefixComma(a.scalingExtra), cmp.Or(a.tags, `{ team = "acceptance" }`), cmp.Or(a.image, "ami-12c6146b"), cmp.Or(a.provider, `provider "hawebapp" {}`))
}

func prefixComma(s string) string {
	if s == "" {
		return ""
	}
	return ", " + s
}

func (a stackArgs) healthTimings() string {
	if a.healthTimeout == 0 {
		return ""
	}
	return fmt.Sprintf(", timeout = %d, interval = %d", a.healthTimeout, a.healthInterval)
}

func (a stackArgs) typeArg() string {
	if a.instanceType == "" {
		return ""
	}
	return "\n    instance_type = " + strconv.Quote(a.instanceType)
}

func testAccPreCheck(t *testing.T) {
	if accEndpoint == "" && os.Getenv("HAWEBAPP_ACC_REAL_AWS") == "" {
		t.Fatal("acceptance tests need TF_ACC=1 (they start their own moto) or HAWEBAPP_ACC_REAL_AWS=1 with credentials")
	}
}

func stackName() string { return "acc-" + acctest.RandString(8) }

// TestAccStack_basic creates a full stack, checks every child through the
// AWS API, checks that a second plan is empty, and destroys it.
func TestAccStack_basic(t *testing.T) {
	c := newClients(t)
	net := env.StackNetwork(t, c.cfg)
	args := defaultArgs(stackName(), net)
	stackTest(t, c, args.name, []resource.TestStep{
		{
			Config: args.config(),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "id", args.name),
				resource.TestCheckResourceAttr(addr, "zones.#", "3"),
				resource.TestCheckResourceAttr(addr, "autoscaling_group_names.%", "3"),
				resource.TestCheckResourceAttr(addr, "autoscaling_group_names.us-east-1b", args.name+"-us-east-1b"),
				resource.TestCheckResourceAttr(addr, "capacity_after_zone_loss", "2"),
				resource.TestCheckResourceAttr(addr, "security_group_ids.%", "3"),
				resource.TestCheckResourceAttr(addr, "launch_template_version", "1"),
				resource.TestCheckResourceAttr(addr, "drift.#", "0"),
				resource.TestCheckResourceAttr(addr, "database.port", "5432"),
				resource.TestCheckResourceAttrSet(addr, "db_secret_arn"),
				resource.TestCheckResourceAttrSet(addr, "db_endpoint"),
				resource.TestMatchResourceAttr(addr, "url", regexp.MustCompile(`^http://.+`)),
				checkStackInAWS(c, args.name, 3, "1"),
			),
		},
		{Config: args.config(), PlanOnly: true}, // a second plan is empty
		{
			// Import finds every child by its tags and reads the configuration back.
			ResourceName: addr, ImportState: true, ImportStateId: args.name, ImportStateVerify: true,
			// Settings AWS does not hold: how the provider waits. What a
			// destroy does with the database is read back from its tag.
			ImportStateVerifyIgnore: []string{"timeouts", "wait_for_healthy_targets"},
		},
	})
}

// TestAccStack_update changes capacity, scaling target, health check and
// user data in place: the template gets a new version and every zonal group
// is pinned to it.
func TestAccStack_update(t *testing.T) {
	c, args := appOnly(t)
	updated := args
	updated.min, updated.max, updated.target, updated.healthPath = 6, 12, 800, "/ready"
	updated.userData = "#!/bin/bash\necho v2\n"
	var firstARN string
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkStackInAWS(c, args.name, 3, "1"),
			func(s *terraform.State) error {
				firstARN = s.RootModule().Resources[addr].Primary.Attributes["load_balancer_arn"]
				return nil
			},
		)},
		{Config: updated.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "launch_template_version", "2"),
			resource.TestCheckResourceAttr(addr, "capacity_after_zone_loss", "4"),
			checkStackInAWS(c, args.name, 6, "2"),
			checkGroupBounds(c, args.name, 2, 4),
			checkHealthPath(c, args.name, "/ready"),
			checkScalingTarget(c, args.name, 800),
			func(s *terraform.State) error {
				if got := s.RootModule().Resources[addr].Primary.Attributes["load_balancer_arn"]; got != firstARN {
					return fmt.Errorf("load balancer replaced (%s -> %s): the update should be in place", firstARN, got)
				}
				return nil
			},
		)},
		{Config: updated.config(), PlanOnly: true},
	})
}

// TestAccStack_drift deletes one zonal group out of band: the plan shows it,
// and the apply restores it.
func TestAccStack_drift(t *testing.T) {
	c, args := appOnly(t)
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config()},
		{
			PreConfig: func() {
				_, err := c.asg.DeleteAutoScalingGroup(context.Background(), &autoscaling.DeleteAutoScalingGroupInput{
					AutoScalingGroupName: aws.String(args.name + "-us-east-1b"), ForceDelete: aws.Bool(true)})
				if err != nil {
					t.Fatal(err)
				}
			},
			Config:             args.config(),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		},
		{Config: args.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
			resource.TestCheckResourceAttr(addr, "autoscaling_group_names.us-east-1b", args.name+"-us-east-1b"),
			checkStackInAWS(c, args.name, 3, "1"),
		)},
		{Config: args.config(), PlanOnly: true},
	})
}

// checkNothingTagged proves the destroy left nothing of the stack behind,
// looking through the AWS API rather than the state (test/leaks: every
// child kind; a failed AWS call fails the check).
func checkNothingTagged(c clients, stack string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		left, err := leaks.Find(context.Background(), c.cfg, stack)
		if err != nil {
			return err
		}
		if len(left) > 0 {
			return errors.New("left behind after destroy: " + strings.Join(left, ", "))
		}
		return nil
	}
}

// stackTest runs the acceptance test case of every stack test: this
// provider, the acceptance pre-check, and after the destroy nothing of the
// stack left in AWS.
func stackTest(t *testing.T, c clients, stack string, steps []resource.TestStep) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkNothingTagged(c, stack),
		Steps:                    steps,
	})
}

// appOnly starts most stack tests: the clients, and the default arguments
// of a new stack name in a new network, without the database.
func appOnly(t *testing.T) (clients, stackArgs) {
	t.Helper()
	c := newClients(t)
	args := defaultArgs(stackName(), env.StackNetwork(t, c.cfg))
	args.withDB = false
	return c, args
}

// needRecorder skips a test that does what (injects faults, watches calls)
// through the emulator's recorder, which real AWS runs do not have.
func needRecorder(t *testing.T, what string) {
	t.Helper()
	if accRecorder == nil {
		t.Skip(what + " through the emulator's recorder: not run against real AWS (HAWEBAPP_ACC_REAL_AWS)")
	}
}
