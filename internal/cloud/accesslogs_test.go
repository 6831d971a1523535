package cloud

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// TestAccessLogsAndSecretRotation applies a stack with access logs and a
// secret rotation schedule, and checks: the refresh reads both (the
// schedule with exactly one more call, DescribeSecret, and none for a
// stack without it), changes made outside are drift, and an update
// repairs them.
func TestAccessLogsAndSecretRotation(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	counter, cfg, c := countedCloud(t)
	spec := fullSpec("logs", env.Network(t, cfg))
	spec.AccessLogs = &blueprint.AccessLogsSpec{Bucket: "logs-bucket", Prefix: "lb/logs"}
	spec.Database.SecretRotation = &blueprint.SecretRotationSpec{ScheduleExpression: "rate(10 days)", Duration: "3h"}
	bp := blueprint.Build(spec)
	t.Cleanup(func() { deleteAll(t, c, bp) })
	created := apply(t, c, bp)
	if t.Failed() {
		t.FailNow()
	}

	counter.reset()
	obs := observeClean(t, c, bp)
	calls := counter.calls()
	if n := countOf(calls, "Secrets Manager.DescribeSecret"); n != RefreshCallsSecretRotation {
		t.Errorf("refresh made %d DescribeSecret calls, want %d: %v", n, RefreshCallsSecretRotation, calls)
	}
	if len(calls) > RefreshCallBudget+RefreshCallsSecretRotation {
		t.Errorf("refresh made %d calls, want <= %d: %v", len(calls), RefreshCallBudget+RefreshCallsSecretRotation, calls)
	}
	if lb, _ := obs[blueprint.KeyLoadBalancer].Props.(blueprint.LoadBalancerProps); lb.AccessLogs == nil || *lb.AccessLogs != *spec.AccessLogs {
		t.Errorf("observed access logs %+v, want %+v", lb.AccessLogs, spec.AccessLogs)
	}

	without := bp
	without.Parts = slices.DeleteFunc(slices.Clone(bp.Parts), func(p blueprint.Part) bool { return p.Kind == blueprint.KindSecretRotation })
	counter.reset()
	if _, err := c.Observe(ctx, without); err != nil {
		t.Fatal(err)
	}
	if n := countOf(counter.calls(), "Secrets Manager.DescribeSecret"); n != 0 {
		t.Errorf("refresh without secret_rotation made %d DescribeSecret calls, want 0", n)
	}

	// Out of band: logs off, the schedule back to 30 days.
	lbARN, secret := created[blueprint.KeyLoadBalancer].ARN, created[blueprint.KeyDBInstance].Attrs["secret_arn"]
	if _, err := elb.NewFromConfig(cfg).ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lbARN),
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String(attrAccessLogsEnabled), Value: aws.String("false")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := secretsmanager.NewFromConfig(cfg).RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String(secret),
		RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)}, RotateImmediately: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	drifted, err := c.Observe(ctx, bp)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		blueprint.KeyLoadBalancer:   "access logs off, want s3://logs-bucket/lb/logs",
		blueprint.KeySecretRotation: "secret rotation every 30 days, want rate(10 days) within 3h",
	} {
		if got := strings.Join(drifted[key].Drift, "; "); !strings.Contains(got, want) {
			t.Errorf("%s drift %q, want %q", key, got, want)
		}
	}
	apply(t, c, bp)
	observeClean(t, c, bp)
}

func countOf(calls []string, op string) int {
	n := 0
	for _, c := range calls {
		if c == op {
			n++
		}
	}
	return n
}

func TestRotationDrift(t *testing.T) {
	days := func(n int64) *secretsmanager.DescribeSecretOutput {
		return &secretsmanager.DescribeSecretOutput{RotationEnabled: aws.Bool(true), RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(n)}}
	}
	sched := &secretsmanager.DescribeSecretOutput{RotationEnabled: aws.Bool(true), RotationRules: &smtypes.RotationRulesType{
		AutomaticallyAfterDays: aws.Int64(10), ScheduleExpression: aws.String("rate(10 days)"), Duration: aws.String("3h")}}
	cases := map[string]struct {
		have  *secretsmanager.DescribeSecretOutput
		want  blueprint.SecretRotationSpec
		drift bool
	}{
		"SameDays":                  {days(14), blueprint.SecretRotationSpec{AutomaticallyAfterDays: 14}, false},
		"OtherDays":                 {days(7), blueprint.SecretRotationSpec{AutomaticallyAfterDays: 14}, true},
		"Off":                       {&secretsmanager.DescribeSecretOutput{}, blueprint.SecretRotationSpec{AutomaticallyAfterDays: 7}, true},
		"ScheduleWithComputedDays":  {sched, blueprint.SecretRotationSpec{ScheduleExpression: "rate(10 days)", Duration: "3h"}, false},
		"DaysAskedScheduleReported": {sched, blueprint.SecretRotationSpec{AutomaticallyAfterDays: 10}, false},
		"OtherWindow":               {sched, blueprint.SecretRotationSpec{ScheduleExpression: "rate(10 days)", Duration: "4h"}, true},
		"OtherSchedule":             {sched, blueprint.SecretRotationSpec{ScheduleExpression: "cron(0 4 ? * SUN *)"}, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := rotationDrift(tc.have, tc.want); (len(got) > 0) != tc.drift {
				t.Errorf("drift %q, want drift %t", got, tc.drift)
			}
		})
	}
}
