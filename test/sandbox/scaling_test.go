package sandbox_test

// Scaling: target tracking out and in, and no failed request through a
// scale-out and a zone outage.

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox/postgres"
)

// TestTargetTrackingScalesOutAndIn: under ab load the request count per
// target breaches the policy's target, the group scales out (within max),
// and once the load stops it scales back in to min; the activities say why
// and the metric is in CloudWatch.
func TestTargetTrackingScalesOutAndIn(t *testing.T) {
	ctx := context.Background()
	// One emulated minute per real second: scale-in needs 15 datapoints.
	sb, s := sandboxStack(t, sandbox.Options{MinuteSeconds: 1}, stackSpec{name: "scale", zones: []string{"us-east-1a"}, perZone: 1, maxPerZone: 3, grace: 60, deregDelay: 5})
	s.waitHealthy(1)
	group := s.groups["us-east-1a"]
	lbName, tgName := s.lbARN[strings.Index(s.lbARN, "loadbalancer/")+len("loadbalancer/"):], s.tgARN[strings.Index(s.tgARN, "targetgroup/"):]
	if _, err := s.asg.PutScalingPolicy(ctx, &autoscaling.PutScalingPolicyInput{AutoScalingGroupName: aws.String(group), PolicyName: aws.String("requests"),
		PolicyType: aws.String("TargetTrackingScaling"), EstimatedInstanceWarmup: aws.Int32(10),
		TargetTrackingConfiguration: &astypes.TargetTrackingConfiguration{TargetValue: aws.Float64(100),
			PredefinedMetricSpecification: &astypes.PredefinedMetricSpecification{PredefinedMetricType: astypes.MetricTypeALBRequestCountPerTarget,
				ResourceLabel: aws.String(lbName + "/" + tgName)}}}); err != nil {
		t.Fatal(err)
	}
	desired := func() int32 {
		out, err := s.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToInt32(out.AutoScalingGroups[0].DesiredCapacity)
	}

	load := startLoad(t, s.url()+"/fruits", 2)
	env.Until(t, "a scale-out to max", 60*time.Second, func() (bool, string) {
		d := desired()
		return d == 3, fmt.Sprint("desired ", d)
	})
	s.waitHealthy(3)
	res := load.stop(t)
	t.Logf("load: %s", res.Summary())

	env.Until(t, "a scale-in to min", 90*time.Second, func() (bool, string) {
		d := desired()
		return d == 1, fmt.Sprint("desired ", d)
	})
	acts := s.activities(group)
	var out, in bool
	for _, a := range acts {
		cause := aws.ToString(a.Cause)
		out = out || strings.Contains(cause, "AlarmHigh") && strings.Contains(cause, "policy requests")
		in = in || strings.Contains(cause, "AlarmLow") && strings.Contains(cause, "policy requests")
	}
	if !out || !in {
		t.Fatalf("activities lack the target-tracking causes (out %v, in %v)", out, in)
	}

	// The metric the policy tracked is readable from CloudWatch.
	now := time.Now().UTC()
	form := url.Values{"Action": {"GetMetricData"}, "Version": {"2010-08-01"},
		"StartTime": {now.Add(-10 * time.Minute).Format(time.RFC3339)}, "EndTime": {now.Add(time.Minute).Format(time.RFC3339)},
		"MetricDataQueries.member.1.Id":                                          {"rcpt"},
		"MetricDataQueries.member.1.MetricStat.Metric.Namespace":                 {"AWS/ApplicationELB"},
		"MetricDataQueries.member.1.MetricStat.Metric.MetricName":                {"RequestCountPerTarget"},
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name":  {"TargetGroup"},
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value": {tgName},
		"MetricDataQueries.member.1.MetricStat.Period":                           {"60"},
		"MetricDataQueries.member.1.MetricStat.Stat":                             {"Maximum"},
	}
	body, err := sandbox.QueryCall(ctx, sb.Endpoint, "monitoring", "us-east-1", form)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "<Values>") || !strings.Contains(body, "<member>") {
		t.Fatalf("GetMetricData returned no RequestCountPerTarget values:\n%s", body)
	}
}

// newDatabase creates an RDS instance with a managed secret, waits until the
// sandbox runs it, and returns user data that points the app at it.
func newDatabase(t *testing.T, sb *sandbox.Sandbox, id string) string {
	t.Helper()
	prereq.Require(t, postgres.Available())
	ctx := context.Background()
	cfg := env.AWSConfig(sb.Endpoint)
	db, err := rds.NewFromConfig(cfg).CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), DBName: aws.String("app"),
		MasterUsername: aws.String("app"), ManageMasterUserPassword: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	in := db.DBInstance
	env.Until(t, "the database to run", 60*time.Second, func() (bool, string) {
		st, err := sb.Client().State(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, d := range st.Databases {
			if d.ID == id && d.PID != 0 {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", st.Databases)
	})
	return fmt.Sprintf("#!/bin/bash\nHAWEBAPP_DB_ENDPOINT=%s\nHAWEBAPP_DB_PORT=%d\nHAWEBAPP_DB_NAME=app\nHAWEBAPP_DB_SECRET_ARN=%s\n",
		aws.ToString(in.Endpoint.Address), aws.ToInt32(in.Endpoint.Port), aws.ToString(in.MasterUserSecret.SecretArn))
}

// TestNoErrorsThroughScaleOutAndZoneOutage is the demo's scenario in small:
// steady load on a database-backed app in three zones while the groups scale
// out, one zone goes down (its instances replaced, in vain) and comes back.
// A real ALB in front of healthy targets answers every request with 2xx:
// targets get traffic only once their checks pass, a draining target
// finishes what it has, and with a zone down the others serve. (The demo
// once saw 3% 503s here: ten database connections per instance exhausted
// the database's max_connections once nine instances ran.)
func TestNoErrorsThroughScaleOutAndZoneOutage(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	userData := newDatabase(t, sb, "soakdb")
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	s := newStack(t, sb, stackSpec{name: "soak", zones: zones, perZone: 1, maxPerZone: 3, healthCheckType: "ELB", grace: 30, deregDelay: 30, userData: userData})
	s.waitHealthy(3)
	const workers = 16
	load := startLoad(t, s.url()+"/fruits", workers)

	load.setPhase("1 scale-out")
	for _, z := range zones {
		s.setDesired(s.groups[z], 3)
	}
	s.waitHealthy(9)
	load.setPhase("2 steady")
	settle(t, s, 2*time.Second)

	load.setPhase("3 zone down")
	down := s.instances("us-east-1b")
	// Until the zone's targets are out of the load balancer (detectionTime),
	// requests go there and hang until the idle timeout: after that, no
	// failure may be seen. The phase lasts at least that long.
	_, idle := sb.LoadBalancerTimeouts()
	failuresEnd := time.Now().Add(detectionTime(sb) + idle)
	s.fail(sandbox.Failure{Kind: "zone", Zone: "us-east-1b", Down: true})
	env.Until(t, "the zone's targets to be replaced", 60*time.Second, func() (bool, string) {
		now := s.instances("us-east-1b")
		for _, id := range now {
			for _, old := range down {
				if id == old {
					return false, fmt.Sprint(now)
				}
			}
		}
		return len(now) == 3, fmt.Sprint(now)
	})

	time.Sleep(time.Until(failuresEnd)) // a computed instant, not a tuned pause: see failuresEnd
	s.fail(sandbox.Failure{Kind: "zone", Zone: "us-east-1b", Down: false})
	load.setPhase("4 zone back")
	s.waitHealthy(9)
	load.setPhase("5 after")
	settle(t, s, 10*time.Second)
	bad, summary := load.failures(t, "1 scale-out", "2 steady", "4 zone back", "5 after")
	t.Logf("load: %s", summary)
	if len(bad) > 0 {
		t.Fatalf("%d failed requests outside the outage:\n%s", len(bad), describeFailed(bad, 20))
	}
	// Requests the load balancer sends to the zone before its health checks
	// fail hang until the idle timeout and get a 504, as on AWS, never an
	// error from the app itself. Until the zone's targets are out (at most
	// detectionTime), each client can start a request that hangs there, wait
	// out the idle timeout, and start another: at most detect/idle+1 each.
	budget := workers * (int(detectionTime(sb)/idle) + 1)
	bad, _ = load.failures(t, "3 zone down")
	for _, b := range bad {
		if b.Instance != "" || (b.Status != 502 && b.Status != 504) {
			t.Fatalf("during the outage, only the load balancer's 502/504 may fail a request:\n%s", describeFailed(bad, 20))
		}
	}
	if len(bad) > budget {
		t.Fatalf("%d requests failed during the outage, more than the %d that %d clients can lose while the zone's targets still get traffic (%s) with a %s idle timeout:\n%s",
			len(bad), budget, workers, detectionTime(sb), idle, describeFailed(bad, 20))
	}
}

// settle keeps the load on for d while checking that no target leaves the
// healthy state (draining ones are on their way out).
func settle(t *testing.T, s *stack, d time.Duration) {
	t.Helper()
	until := time.Now().Add(d)
	for delay := 50 * time.Millisecond; time.Now().Before(until); delay = min(delay*2, time.Second) {
		for id, h := range s.health() {
			if h.State != elbtypes.TargetHealthStateEnumHealthy && h.State != elbtypes.TargetHealthStateEnumDraining {
				t.Fatalf("target %s went %s (%s) while settling", id, h.State, h.Reason)
			}
		}
		time.Sleep(min(delay, time.Until(until)))
	}
}
