package sandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestHealthTransitions: targets start initial and become healthy; when an
// app process dies its target turns unhealthy with AWS's reason and the load
// balancer stops sending to it; when it comes back it is healthy again.
func TestHealthTransitions(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	s := newStack(t, sb, stackSpec{name: "health", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1})
	h := s.health()
	if len(h) != 2 {
		t.Fatalf("want the 2 ASG instances registered, got %s", describeHealth(h))
	}
	for id, th := range h {
		if th.State != elbtypes.TargetHealthStateEnumInitial {
			t.Errorf("%s: a new target must start initial, got %s", id, th.State)
		}
	}
	ids := s.waitHealthy(2)
	url := s.url()
	if st, _, err := get(url + "/fruits"); err != nil || st != 200 {
		t.Fatalf("through the load balancer: %d %v", st, err)
	}

	victim := ids[0]
	if err := sb.Client().Fail(context.Background(), sandbox.Failure{Kind: "instance", ID: victim}); err != nil {
		t.Fatal(err)
	}
	env.Until(t, victim+" unhealthy", 30*time.Second, func() (bool, string) {
		h := s.health()
		th := h[victim]
		return th.State == elbtypes.TargetHealthStateEnumUnhealthy && th.Reason == "Target.FailedHealthChecks", describeHealth(h)
	})
	// Once unhealthy, the load balancer only sends to the survivor.
	for i := 0; i < 10; i++ {
		st, served, err := get(url + "/fruits")
		if err != nil || st != 200 || served == victim {
			t.Fatalf("request %d: status %d from %s (%v)", i, st, served, err)
		}
	}

	if err := sb.Client().Fail(context.Background(), sandbox.Failure{Kind: "instance", ID: victim, Recover: true}); err != nil {
		t.Fatal(err)
	}
	s.waitHealthy(2)
	env.Until(t, "traffic back on "+victim, 30*time.Second, func() (bool, string) {
		_, served, _ := get(url + "/fruits")
		return served == victim, served
	})
}

// TestOneHealthChecker: the target group's settings drive the only checks
// there are, and the load balancer sends exactly where they say. Changing the
// settings under load fails no request (HAProxy's servers are not rebuilt),
// and when every target fails its checks the load balancer fails open and
// keeps sending to all of them, as an ALB does, instead of answering 503.
func TestOneHealthChecker(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	s := newStack(t, sb, stackSpec{name: "onecheck", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1})
	s.waitHealthy(2)
	load := startLoad(t, s.url()+"/fruits", 4)
	load.setPhase("steady")
	settle(t, s, time.Second)

	load.setPhase("modify")
	if _, err := s.elb.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(s.tgARN),
		HealthCheckIntervalSeconds: aws.Int32(hcInterval + 1), HealthCheckTimeoutSeconds: aws.Int32(hcTimeout + 1)}); err != nil {
		t.Fatal(err)
	}
	settle(t, s, 3*time.Second)

	// Every target now fails its checks (the app answers 200, not 201).
	load.setPhase("all unhealthy")
	if _, err := s.elb.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(s.tgARN),
		Matcher: &elbtypes.Matcher{HttpCode: aws.String("201")}}); err != nil {
		t.Fatal(err)
	}
	env.Until(t, "every target unhealthy", 60*time.Second, func() (bool, string) {
		h := s.health()
		for _, th := range h {
			if th.State != elbtypes.TargetHealthStateEnumUnhealthy || th.Reason != "Target.ResponseCodeMismatch" {
				return false, describeHealth(h)
			}
		}
		return len(h) == 2, describeHealth(h)
	})
	load.setPhase("fail open")
	start := time.Now()
	for time.Since(start) < 2*time.Second {
		if st, _, err := get(s.url() + "/fruits"); err != nil || st != 200 {
			t.Fatalf("with every target unhealthy the load balancer must fail open: status %d (%v)", st, err)
		}
	}
	bad, summary := load.failures(t, "steady", "modify", "all unhealthy", "fail open")
	t.Logf("load: %s", summary)
	if len(bad) > 0 {
		t.Fatalf("%d failed requests:\n%s", len(bad), describeFailed(bad, 20))
	}
}
