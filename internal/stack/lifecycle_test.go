package stack_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/leaks"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// TestAccStack_refreshCallBudget counts the API calls of a refresh of a full
// three-zone stack with a database against cloud.RefreshCallBudget (the
// same stack written by hand with hashicorp/aws makes 34).
func TestAccStack_refreshCallBudget(t *testing.T) {
	needRecorder(t, "counts calls")
	c := newClients(t)
	args := defaultArgs(stackName(), env.StackNetwork(t, c.cfg))
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config()},
		{
			PreConfig:    resetRecorder,
			RefreshState: true,
			Check:        countRefresh(t, new(int), 0),
		},
	})
}

// TestAccStack_failedCreateRollsBack makes the second zonal group's creation
// fail: the apply fails, says what it deleted again, and nothing of the stack
// is left in AWS. Without a database: one that became available is kept
// (TestAccStack_failedCreateKeepsAvailableDatabase), and whether it is by the
// time the group fails is a race this test must not depend on.
func TestAccStack_failedCreateRollsBack(t *testing.T) {
	needRecorder(t, "injects faults")
	c, args := appOnly(t)
	failSecondGroupCreate(t)
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config(), ExpectError: regexp.MustCompile(`(?s)deleted\s+\d+\s+of\s+them\s+again.*Nothing\s+this\s+apply\s+created\s+is\s+left.*injected\s+by\s+the\s+test`)},
		{
			// Nothing is in state and nothing tagged remains.
			PreConfig: func() { accRecorder.Before = nil },
			Config:    `provider "hawebapp" {}`,
			Check:     checkNothingTagged(c, args.name),
		},
	})
}

// TestAccStack_failedCreateKeepsAvailableDatabase: a failed create never
// deletes a database that had become available, deletion protection on or
// off (making it again costs 15 to 30 minutes). The failed create leaves it
// and exactly what AWS will not delete while it exists (its subnet group,
// its security group, and the groups that one's rules reference), says so,
// and the next apply adopts them by their tags: the same database (same
// creation time), not a new one.
func TestAccStack_failedCreateKeepsAvailableDatabase(t *testing.T) {
	needRecorder(t, "injects faults")
	c, args := appOnly(t)
	args.extra = `database = { deletion_protection = false, skip_final_snapshot = true }`
	n := args.name
	// The role's policy names the database, so its create runs once the
	// database is available (the fleet does not wait for it).
	failNthCall(t, "PutRolePolicy", 1)
	var created time.Time
	stackTest(t, c, n, []resource.TestStep{
		{
			Config: args.config(),
			ExpectError: regexp.MustCompile(`(?s)db_instance\s+\(` + n + `.*kept\s+because\s+it\s+had\s+become\s+available` +
				`.*next\s+terraform\s+apply\s+adopts\s+them.*injected\s+by\s+the\s+test`),
		},
		{
			PreConfig: func() {
				accRecorder.Before = nil
				left, err := leaks.Find(context.Background(), c.cfg, n)
				if err != nil {
					t.Fatal(err)
				}
				// The kept database keeps its RDS-managed secret and its automated
				// snapshot (both named by RDS, so matched by kind).
				ofDB := func(s string) bool {
					return strings.HasPrefix(s, "secret ") || strings.HasPrefix(s, "db snapshot rds:"+n+"-")
				}
				if kept := slices.DeleteFunc(slices.Clone(left), func(s string) bool { return !strings.HasPrefix(s, "secret ") }); len(kept) != 1 {
					t.Errorf("left after the failed create: %v, want the kept database's one managed secret", left)
				}
				left = slices.DeleteFunc(left, ofDB)
				want := []string{"db instance " + n, "db subnet group " + n,
					"security group " + n + "-alb", "security group " + n + "-app", "security group " + n + "-db"}
				if strings.Join(left, ", ") != strings.Join(want, ", ") {
					t.Errorf("left after the failed create: %v, want %v", left, want)
				}
				created = dbCreated(t, c, n)
			},
			// The next apply adopts what was left and completes, around
			// the same database.
			Config: args.config(),
			Check: resource.ComposeTestCheckFunc(checkStackInAWS(c, n, 3, "1"), func(*terraform.State) error {
				if now := dbCreated(t, c, n); !now.Equal(created) {
					return fmt.Errorf("database %s created at %s, the kept one at %s: the apply made a new one", n, now, created)
				}
				return nil
			}),
		},
	})
}

// failNthCall makes the recorder answer the nth call of action with a
// ValidationError, as AWS would refuse it, and lets every other call through.
func failNthCall(t *testing.T, action string, nth int) {
	t.Helper()
	seen := 0
	accRecorder.Before = func(call recorder.Call, w http.ResponseWriter, _ *http.Request) bool {
		if call.Action != action {
			return false
		}
		if seen++; seen != nth {
			return false
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>injected by the test</Message></Error></ErrorResponse>`))
		return true
	}
	t.Cleanup(func() { accRecorder.Before = nil })
}

// failSecondGroupCreate fails the second zonal group's create.
func failSecondGroupCreate(t *testing.T) {
	t.Helper()
	failNthCall(t, "CreateAutoScalingGroup", 2)
}

// TestAccStack_adoptsAfterKilledApply leaves the first parts of a stack in
// AWS, as an apply killed halfway would, then applies: the provider adopts
// them by their tags instead of failing or making duplicates.
func TestAccStack_adoptsAfterKilledApply(t *testing.T) {
	c, args := appOnly(t)
	stackTest(t, c, args.name, []resource.TestStep{
		{
			PreConfig: func() { createFirstParts(t, args, blueprint.KeyHTTPListener) },
			Config:    args.config(),
			Check: resource.ComposeAggregateTestCheckFunc(
				checkStackInAWS(c, args.name, 3, "1"), // exactly one load balancer, target group ...
				resource.TestCheckResourceAttr(addr, "drift.#", "0"),
			),
		},
		{Config: args.config(), PlanOnly: true},
	})
}

// createFirstParts creates the stack's parts up to and including `until`,
// through the same cloud code the provider uses, and stops there.
func createFirstParts(t *testing.T, a stackArgs, until string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec := blueprint.Spec{
		Name: a.name, VPCID: a.net.VPCID, VPCCIDR: a.net.CIDR, LBSubnetIDs: a.net.LB, AllowedCIDRs: []string{"0.0.0.0/0"},
		Listener:    blueprint.ListenerSpec{HTTPPort: 80, HTTPSPort: 443},
		HealthCheck: blueprint.HealthCheckSpec{Path: a.healthPath, Matcher: "200-399", Interval: 15, Timeout: 10, HealthyThreshold: 3, UnhealthyThreshold: 4},
		Instances:   blueprint.InstancesSpec{ImageID: "ami-12c6146b", InstanceType: "t3.small", Port: 8080},
		Tags:        map[string]string{"team": "acceptance"},
	}
	for i, id := range a.net.App {
		spec.AppSubnets = append(spec.AppSubnets, blueprint.Subnet{ID: id, Zone: a.net.Zones[i]})
	}
	cl := cloud.New(cfg, nil)
	refs := map[string]engineObservation{}
	for _, p := range blueprint.Build(spec).Parts {
		obs, err := cl.Create(ctx, p, refsFor(refs, p))
		if err != nil {
			t.Fatalf("creating %s: %v", p.Key, err)
		}
		refs[p.Key] = obs
		if p.Key == until {
			break
		}
	}
	lbs, err := elasticloadbalancingv2.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{Names: []string{a.name}})
	if err != nil || len(lbs.LoadBalancers) != 1 || !strings.HasPrefix(*lbs.LoadBalancers[0].LoadBalancerName, a.name) {
		t.Fatalf("the killed apply should have left the load balancer: %v", err)
	}
}

// dbCreated is when RDS made the database: the same instance keeps it.
func dbCreated(t *testing.T, c clients, id string) time.Time {
	t.Helper()
	out, err := c.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil || len(out.DBInstances) != 1 {
		t.Fatalf("describing database %s: %v", id, err)
	}
	return aws.ToTime(out.DBInstances[0].InstanceCreateTime)
}
