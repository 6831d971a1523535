package ha

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// shiftSeen is when an apply started, when it called StartZonalShift,
// and when the shift was first seen in effect: the sandbox's DNS no longer
// answered the zone's node and the load balancer sent no new request to
// any of the zone's instances. Every request sent later goes elsewhere.
type shiftSeen struct{ start, call, at time.Time }

// evacuate applies evacuate_zones = [zone] through a call recorder while
// watching the load balancer, and returns when the shift was seen and when
// the apply ended. For a zone that is down (down), the suspension of its
// group and the shift must be the apply's first changes, before any wait.
func (s *stack) evacuate(t *testing.T, sb *sandbox.Client, dns, node, zone string, down bool) (shiftSeen, time.Time) {
	t.Helper()
	ctx := t.Context()
	watch, cancel := context.WithCancel(ctx)
	defer cancel()
	seen := make(chan error, 1)
	var at time.Time
	go func() {
		seen <- env.UntilE(watch, "the zonal shift away from "+zone, s.size.Recover, func() (bool, string) {
			ips, err := sb.Resolve(watch, dns)
			if err != nil {
				return false, err.Error()
			}
			if slices.Contains(ips, hostOf(node)) {
				return false, fmt.Sprintf("%s answers %v", dns, ips)
			}
			st, err := sb.State(watch)
			if err != nil {
				return false, err.Error()
			}
			for _, in := range st.Instances {
				if in.AZ == zone && in.Serving {
					return false, fmt.Sprintf("node out of DNS; %s still served", in.ID)
				}
			}
			at = time.Now()
			return true, ""
		})
	}()
	s.opts.Vars["evacuate_zones"] = []string{zone}
	calls, opts := s.recordCalls(t)
	start := time.Now()
	terraform.ApplyContext(t, ctx, opts)
	applied := time.Now()
	if err := <-seen; err != nil {
		t.Fatal(err)
	}
	// The apply called the shift; when it is seen in effect is a poll's
	// observation (a later "at" only makes the clean period start later).
	call, i, ok := calls.shiftCall()
	if !ok {
		t.Fatalf("the evacuation apply made no StartZonalShift call")
	}
	logf(t, "StartZonalShift was call %d of %d of the apply (both providers' refresh included), %s after its start",
		i+1, len(calls.list()), call.at.Sub(start).Round(100*time.Millisecond))
	if down {
		if err := calls.firstChanges(s.st.AutoScalingGroupNames[zone]); err != nil {
			t.Errorf("zone %s is down: %v", zone, err)
		}
	}
	return shiftSeen{start: start, call: call.at, at: at}, applied
}

// returnZone applies evacuate_zones = [] and checks the zone is back: its
// node in DNS, every group with every process resumed, nothing to plan.
// It returns when the apply ended.
func (s *stack) returnZone(t *testing.T, sb *sandbox.Client, dns, node, zone string) time.Time {
	t.Helper()
	ctx := t.Context()
	s.opts.Vars["evacuate_zones"] = []string{}
	start := time.Now()
	terraform.ApplyContext(t, ctx, s.opts)
	done := time.Now()
	logf(t, "return apply took %s", done.Sub(start).Round(100*time.Millisecond))
	for z, g := range s.groups(ctx, t) {
		if len(g.SuspendedProcesses) > 0 {
			t.Errorf("%s (%s) after the return: still suspended %v", aws.ToString(g.AutoScalingGroupName), z, processNames(g.SuspendedProcesses))
		}
	}
	ips, err := sb.Resolve(ctx, dns)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ips, hostOf(node)) {
		t.Errorf("after the return %s answers %v, not %s's node %s", dns, ips, zone, node)
	}
	s.waitSteady(t, s.size.Recover)
	if code := terraform.PlanExitCodeContext(t, ctx, s.opts); code != 0 {
		t.Errorf("plan after the return exited %d, want 0 (no changes)", code)
	}
	return done
}

// event waits for the sandbox to record an event of kind in zone at or
// after since, and returns when it took effect.
func (s *stack) event(t *testing.T, kind, zone string, since time.Time, within time.Duration) time.Time {
	t.Helper()
	ctx := t.Context()
	var at time.Time
	env.Until(t, fmt.Sprintf("a %q event in %s", kind, zone), within, func() (bool, string) {
		evs, err := s.tg.Sandbox.Client().Events(ctx)
		if err != nil {
			return false, err.Error()
		}
		e, ok := sandbox.LastEvent(evs, kind, func(e sandbox.Event) bool { return e.Zone == zone && !e.At.Before(since) })
		at = e.At
		return ok, fmt.Sprintf("%d events, none yet", len(evs))
	})
	return at
}

// lbNode is the stack's load balancer DNS name and its node in zone
// (ip:port), from the sandbox's state.
func (s *stack) lbNode(t *testing.T, zone string) (dns, node string) {
	t.Helper()
	st, err := s.tg.Sandbox.Client().State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, lb := range st.LoadBalancers {
		if lb.ARN != s.st.LoadBalancerARN {
			continue
		}
		for _, n := range lb.Nodes {
			if n.Zone == zone && n.InDNS {
				return lb.DNSName, n.Address
			}
		}
		t.Fatalf("load balancer %s has no node in %s in DNS: %+v", lb.DNSName, zone, lb.Nodes)
	}
	t.Fatalf("the sandbox serves no load balancer %s", s.st.LoadBalancerARN)
	return "", ""
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

func portOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Port() == "" {
		t.Fatalf("no port in the load balancer's URL %q", raw)
	}
	return u.Port()
}

func instanceIDs(g astypes.AutoScalingGroup) []string {
	var out []string
	for _, in := range g.Instances {
		out = append(out, aws.ToString(in.InstanceId))
	}
	return out
}

func processNames(ps []astypes.SuspendedProcess) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.ProcessName))
	}
	return out
}

// waitSurviving checks that the evacuation moved the stack's capacity to
// the zones other than zone, enough for the load (rate) at the scaling
// target, and waits until they have that many healthy instances in
// service; it returns how many and when.
func (s *stack) waitSurviving(t *testing.T, zone string, rate float64) (int, time.Time) {
	t.Helper()
	want := 0
	for z, g := range s.groups(t.Context(), t) {
		if z != zone {
			want += int(aws.ToInt32(g.MinSize))
		}
	}
	needed := int(math.Ceil(rate * s.tg.MinuteSeconds / s.scalingTarget))
	if want < needed {
		t.Errorf("the surviving groups' minimum sizes add up to %d after the evacuation: the load (%.1f/s) needs %d at the scaling target", want, rate, needed)
	}
	env.Until(t, fmt.Sprintf("the zones other than %s carrying %d healthy instances", zone, want), s.size.Recover, func() (bool, string) {
		h := s.health(t.Context(), t)
		got := 0
		for z, ids := range s.inService(t.Context(), t) {
			for _, id := range ids {
				if z != zone && h[id] == "healthy" {
					got++
				}
			}
		}
		return got >= want, fmt.Sprintf("%d healthy in service", got)
	})
	return want, time.Now()
}

// zoneActivitiesSince are the scaling activities of zone's group that
// started at or after since, oldest first: what Auto Scaling did there.
func (s *stack) zoneActivitiesSince(t *testing.T, zone string, since time.Time) []string {
	t.Helper()
	out, err := autoscaling.NewFromConfig(s.tg.AWS).DescribeScalingActivities(t.Context(),
		&autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(s.st.AutoScalingGroupNames[zone])})
	if err != nil {
		t.Fatalf("describing the scaling activities of %s's group: %v", zone, err)
	}
	var acts []string
	for i := len(out.Activities) - 1; i >= 0; i-- { // newest first on AWS
		a := out.Activities[i]
		if a.StartTime != nil && !a.StartTime.Before(since) {
			acts = append(acts, fmt.Sprintf("+%s %s (%s)", a.StartTime.Sub(since).Round(100*time.Millisecond), aws.ToString(a.Description), aws.ToString(a.Cause)))
		}
	}
	return acts
}
