package sandbox_test

// Target health: transitions, one checker per target, gray failures,
// failing open, and no failed request while groups scale out and a zone
// goes down.

import (
	"context"
	"fmt"
	"slices"
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
	_, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "health", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1})
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
	s.fail(sandbox.Failure{Kind: "instance", ID: victim})
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

	s.fail(sandbox.Failure{Kind: "instance", ID: victim, Recover: true})
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
	_, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "onecheck", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1})
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

// TestGrayFailureFlapsHealth: a zone whose instances drop a share of their
// connections, or answer a share of them too late, is neither up nor down:
// its target's health, read through DescribeTargetHealth, goes unhealthy
// and healthy again while the instance's process runs on (same PID); the
// event log has the flaps after the gray failure began, and none for the
// other zone's target.
func TestGrayFailureFlapsHealth(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    sandbox.Failure
	}{
		{"connections dropped", sandbox.Failure{DropPercent: 50}},
		// Slower than the health check's timeout (its 2 s real floor).
		{"answers late", sandbox.Failure{MS: 3000, SlowPercent: 50}},
	} {
		t.Run(tc.name, func(t *testing.T) { testGrayFailureFlapsHealth(t, tc.f) })
	}
}

func testGrayFailureFlapsHealth(t *testing.T, f sandbox.Failure) {
	ctx := context.Background()
	sb, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "gray", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1})
	c := sb.Client()
	s.waitHealthy(2)
	gray, calm := s.instances("us-east-1b")[0], s.instances("us-east-1a")[0]
	before := s.pid(gray)
	f.Kind, f.Zone = "gray", "us-east-1b"
	if err := c.Fail(ctx, f); err != nil {
		t.Fatal(err)
	}
	seen := map[elbtypes.TargetHealthStateEnum]bool{}
	var back bool // healthy again after having been unhealthy
	env.Until(t, "the gray zone's target to go unhealthy and healthy again", 120*time.Second, func() (bool, string) {
		h := s.health()[gray]
		seen[h.State] = true
		back = back || (seen[elbtypes.TargetHealthStateEnumUnhealthy] && h.State == elbtypes.TargetHealthStateEnumHealthy)
		return back, fmt.Sprintf("now %s/%s, seen %v", h.State, h.Reason, seen)
	})
	if after := s.pid(gray); before == 0 || after != before {
		t.Errorf("the gray instance's app ran as pid %d before and %d after: it must keep running", before, after)
	}
	f.Recover = true
	if err := c.Fail(ctx, f); err != nil {
		t.Fatal(err)
	}
	evs, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	began, ended := -1, -1
	var flaps []string
	for i, e := range evs {
		switch {
		case e.Kind == sandbox.EventGrayFailure && e.Zone == "us-east-1b":
			began = i
			if len(e.IDs) != 1 || e.IDs[0] != gray {
				t.Errorf("the gray failure hit %v, want [%s]", e.IDs, gray)
			}
		case e.Kind == sandbox.EventGrayEnded:
			ended = i
		case e.Kind == sandbox.EventTarget && began >= 0 && ended < 0:
			if e.Target == calm {
				t.Errorf("the other zone's target changed during the gray failure: %+v", e)
			}
			if e.Target == gray {
				flaps = append(flaps, e.State)
			}
		}
	}
	if began < 0 || ended < began {
		t.Fatalf("the event log has the gray failure at %d and its end at %d", began, ended)
	}
	if len(flaps) < 2 || flaps[0] != "unhealthy" || flaps[1] != "healthy" {
		t.Errorf("the gray target's health during the failure went %v, want unhealthy then healthy first", flaps)
	}
}

const failOpenPercent = "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"

// TestFailOpenBelowThreshold: three of four targets fail their checks (too
// slow to answer within the check's timeout, yet alive). With the
// threshold off (AWS's default) the load balancer sends only to the healthy
// one; with 50% it fails open and the slow ones serve too; off again, it
// stops.
func TestFailOpenBelowThreshold(t *testing.T) {
	// Six-second minutes: the load balancer's idle timeout (6 s) outlasts
	// the slow answers (3 s), which outlast a check's timeout (2 s).
	_, s := sandboxStack(t, sandbox.Options{MinuteSeconds: 6}, stackSpec{name: "failopen", zones: []string{"us-east-1a"}, perZone: 4})
	ids := s.waitHealthy(4)
	url := s.url()
	healthy, slow := ids[0], ids[1:]
	for _, id := range slow {
		s.fail(sandbox.Failure{Kind: "slow", ID: id, MS: 3000})
	}
	env.Until(t, "three slow targets unhealthy", 90*time.Second, func() (bool, string) {
		h := s.health()
		n := 0
		for _, id := range slow {
			if h[id].State == elbtypes.TargetHealthStateEnumUnhealthy {
				n++
			}
		}
		return n == 3 && h[healthy].State == elbtypes.TargetHealthStateEnumHealthy, describeHealth(h)
	})
	onlyHealthy := func(what string) {
		t.Helper()
		env.Until(t, what, 60*time.Second, func() (bool, string) {
			for i := 0; i < 8; i++ {
				st, served, err := get(url + "/fruits")
				if err != nil || st != 200 || served != healthy {
					return false, "served by " + served
				}
			}
			return true, ""
		})
	}
	onlyHealthy("only the healthy target served (threshold off: one healthy target is enough)")

	setFailOpen(t, s, "50")
	env.Until(t, "a slow target served (25% healthy is below 50%: fail open)", 90*time.Second, func() (bool, string) {
		st, served, err := get(url + "/fruits")
		if err != nil || st != 200 {
			return false, "request failed"
		}
		return slices.Contains(slow, served), "served by " + served
	})

	setFailOpen(t, s, "off")
	onlyHealthy("only the healthy target served again (threshold off)")
}

func setFailOpen(t *testing.T, s *stack, percent string) {
	t.Helper()
	if _, err := s.elb.ModifyTargetGroupAttributes(context.Background(), &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(s.tgARN),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String(failOpenPercent), Value: aws.String(percent)}}}); err != nil {
		t.Fatal(err)
	}
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
