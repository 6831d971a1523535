package sandbox_test

import (
	"context"
	"testing"
	"time"

	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

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
	eventually(t, victim+" unhealthy", 30*time.Second, func() (bool, string) {
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
	eventually(t, "traffic back on "+victim, 30*time.Second, func() (bool, string) {
		_, served, _ := get(url + "/fruits")
		return served == victim, served
	})
}
