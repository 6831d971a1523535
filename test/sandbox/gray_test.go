package sandbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

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
	sb := startSandbox(t, sandbox.Options{})
	c := sb.Client()
	s := newStack(t, sb, stackSpec{name: "gray", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1})
	s.waitHealthy(2)
	gray, calm := s.instances("us-east-1b")[0], s.instances("us-east-1a")[0]
	pid := func() int {
		st, err := c.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range st.Instances {
			if in.ID == gray {
				return in.PID
			}
		}
		return 0
	}
	before := pid()
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
	if after := pid(); before == 0 || after != before {
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
