package stack_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
)

// logsArgs renders a stack with access_logs and a database whose managed
// secret has a rotation schedule (either empty leaves that attribute out).
func logsArgs(args stackArgs, logs, rotation string) stackArgs {
	args.withDB = false
	args.extra = "database = { deletion_protection = false, skip_final_snapshot = true"
	if rotation != "" {
		args.extra += ", secret_rotation = " + rotation
	}
	args.extra += " }"
	if logs != "" {
		args.extra += "\n  access_logs = " + logs
	}
	return args
}

// TestAccStack_accessLogsAndSecretRotation creates a stack with access logs
// and a secret rotation schedule, changes both, undoes both out of band
// (drift the plan shows and an apply repairs), imports the stack, and turns
// the logs off: each step checked through the AWS API.
func TestAccStack_accessLogsAndSecretRotation(t *testing.T) {
	c := newClients(t)
	sm := secretsmanager.NewFromConfig(c.cfg)
	net := env.StackNetwork(t, c.cfg)
	base := defaultArgs(stackName(), net)
	bucket := base.name + "-logs"
	first := logsArgs(base, fmt.Sprintf(`{ bucket = %q, prefix = "lb/a" }`, bucket), `{ automatically_after_days = 14 }`)
	second := logsArgs(base, fmt.Sprintf(`{ bucket = %q, prefix = "lb/b" }`, bucket), `{ schedule_expression = "rate(10 days)", duration = "3h" }`)
	off := logsArgs(base, "", `{ schedule_expression = "rate(10 days)", duration = "3h" }`)
	ctx := context.Background()
	logsBucket(t, c, bucket, "lb/a", "lb/b")
	denied := logsArgs(base, fmt.Sprintf(`{ bucket = %q, prefix = "elsewhere" }`, bucket), `{ automatically_after_days = 14 }`)
	stackTest(t, c, base.name, []resource.TestStep{
		{Config: first.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkAccessLogs(c.elb, "true", bucket, "lb/a"),
			checkRotation(sm, 14, "", ""),
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
		)},
		{
			// A prefix the bucket policy does not cover: AWS refuses it
			// (the strict layer's access-logs-bucket rule), and the
			// error says what the bucket needs.
			Config:      denied.config(),
			ExpectError: regexp.MustCompile(`Access Denied for bucket: ` + bucket + `[\s\S]*access_logs:\s+the\s+bucket[\s\S]*policy\s+must\s+let[\s\S]*elsewhere/AWSLogs/<account>/`),
		},
		{Config: second.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkAccessLogs(c.elb, "true", bucket, "lb/b"),
			checkRotation(sm, 10, "rate(10 days)", "3h"),
		)},
		{
			// Both undone outside Terraform: the refresh sees it.
			PreConfig: func() {
				lb := stateAttr(t, "load_balancer_arn")
				if _, err := c.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lb),
					Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("access_logs.s3.enabled"), Value: aws.String("false")}}}); err != nil {
					t.Fatal(err)
				}
				if _, err := sm.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String(stateAttr(t, "db_secret_arn")),
					RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)}, RotateImmediately: aws.Bool(false)}); err != nil {
					t.Fatal(err)
				}
			},
			Config: second.config(), PlanOnly: true, ExpectNonEmptyPlan: true,
		},
		{Config: second.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
			checkAccessLogs(c.elb, "true", bucket, "lb/b"),
			checkRotation(sm, 10, "rate(10 days)", "3h"),
		)},
		{Config: second.config(), PlanOnly: true},
		{
			// Import reads both back (the schedule, not RDS's default, included).
			ResourceName: addr, ImportState: true, ImportStateId: base.name, ImportStateVerify: true,
			ImportStateVerifyIgnore: []string{"timeouts", "wait_for_healthy_targets",
				// "rate(10 days)" reads back as its days (see secretRotationObject).
				"database.secret_rotation.automatically_after_days", "database.secret_rotation.schedule_expression"},
			ImportStateCheck: func(states []*terraform.InstanceState) error {
				a := states[0].Attributes
				for k, want := range map[string]string{"access_logs.bucket": bucket, "access_logs.prefix": "lb/b",
					"database.secret_rotation.automatically_after_days": "10", "database.secret_rotation.duration": "3h"} {
					if a[k] != want {
						return fmt.Errorf("imported %s = %q, want %q", k, a[k], want)
					}
				}
				return nil
			},
		},
		{Config: off.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkAccessLogs(c.elb, "false", "", ""),
			resource.TestCheckNoResourceAttr(addr, "access_logs"),
		)},
		{Config: off.config(), PlanOnly: true},
	})
}

// logsBucket makes an S3 bucket whose policy lets the region's log
// delivery service write the given prefixes' logs, as the web-app module's
// bucket does; deleted when t ends.
func logsBucket(t *testing.T, c clients, name string, prefixes ...string) {
	t.Helper()
	ctx := context.Background()
	s3c := s3.NewFromConfig(c.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = s3c.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(name)}) })
	var resources []string
	for _, p := range prefixes {
		resources = append(resources, fmt.Sprintf("%q", "arn:aws:s3:::"+name+"/"+p+"/AWSLogs/*"))
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":%q},"Action":"s3:PutObject","Resource":[%s]}]}`,
		strict.ELBLogDeliveryService, strings.Join(resources, ","))
	if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
}

// lastState is the state the last check saw, for PreConfig functions.
var lastState *terraform.State

func stateAttr(t *testing.T, name string) string {
	t.Helper()
	if lastState == nil {
		t.Fatal("no state seen yet")
	}
	v := lastState.RootModule().Resources[addr].Primary.Attributes[name]
	if v == "" {
		t.Fatalf("state has no %s", name)
	}
	return v
}

// checkAccessLogs reads the load balancer's attributes from AWS.
func checkAccessLogs(client *elb.Client, enabled, bucket, prefix string) resource.TestCheckFunc {
	return checkByAttr("load_balancer_arn", func(arn string) error {
		out, err := client.DescribeLoadBalancerAttributes(context.Background(), &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn)})
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, a := range out.Attributes {
			got[aws.ToString(a.Key)] = aws.ToString(a.Value)
		}
		if got["access_logs.s3.enabled"] != enabled {
			return fmt.Errorf("access_logs.s3.enabled %q, want %q", got["access_logs.s3.enabled"], enabled)
		}
		if enabled == "true" && (got["access_logs.s3.bucket"] != bucket || got["access_logs.s3.prefix"] != prefix) {
			return fmt.Errorf("access logs to %s/%s, want %s/%s", got["access_logs.s3.bucket"], got["access_logs.s3.prefix"], bucket, prefix)
		}
		return nil
	})
}

// checkRotation reads the database secret's rotation from Secrets Manager.
func checkRotation(client *secretsmanager.Client, days int64, expr, duration string) resource.TestCheckFunc {
	return checkByAttr("db_secret_arn", func(arn string) error {
		out, err := client.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
		if err != nil {
			return err
		}
		r := out.RotationRules
		if !aws.ToBool(out.RotationEnabled) || r == nil {
			return fmt.Errorf("secret %s: rotation off", arn)
		}
		if aws.ToInt64(r.AutomaticallyAfterDays) != days || aws.ToString(r.ScheduleExpression) != expr || aws.ToString(r.Duration) != duration {
			return fmt.Errorf("secret %s rotates after %d days, %q within %q; want %d, %q, %q", arn,
				aws.ToInt64(r.AutomaticallyAfterDays), aws.ToString(r.ScheduleExpression), aws.ToString(r.Duration), days, expr, duration)
		}
		return nil
	})
}

// checkByAttr records the state in lastState and checks the AWS object
// whose ID or ARN the stack's attr holds.
func checkByAttr(attr string, check func(id string) error) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		lastState = s
		return check(s.RootModule().Resources[addr].Primary.Attributes[attr])
	}
}
