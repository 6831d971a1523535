package ha

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// clientTimeout is the impairment soak's request timeout (soak.Options.
// Timeout), a client's patience: the requests a dead zone's load balancer
// node holds fail after it instead of holding ab's few slots until the
// zone returns, so the load goes on through the outage. It is the phases'
// drain, which a healthy request never comes near.
const clientTimeout = drain

// zoneFault is a zone-wide fault the evacuation scenario injects and ends.
type zoneFault struct {
	name string
	// down: the zone is down (power lost), so the zonal shift must be the
	// evacuation apply's first change, before any wait.
	down bool
	// started is the event the sandbox records once the fault took effect.
	started string
	inject  func(ctx context.Context, sb *sandbox.Client, zone string) error
	end     func(ctx context.Context, sb *sandbox.Client, zone string) error
	// tried waits until Auto Scaling has tried to replace in the zone since
	// the fault took effect, and says what it did.
	tried func(t *testing.T, s *stack, zone string, since time.Time) string
}

// zoneImpairment (suite 8): a zone loses power as in AWS FIS's "AZ
// Availability: Power Interruption" (test/sandbox: instances off, the
// zone's load balancer node dead but still in DNS, launches there refused
// with InsufficientInstanceCapacity, the database failing over if its
// primary was there); once Auto Scaling has been refused a launch there,
// the stack evacuates it. Sandbox only: on AWS the outage needs FIS (the
// breaker's ZoneDown stops instances, but launches there succeed, so
// "Auto Scaling has tried and failed" never happens).
func zoneImpairment(t *testing.T, s *stack) figures {
	return evacuationScenario(t, s, zoneFault{name: "zone impairment", down: true, started: sandbox.EventZoneImpaired,
		inject: func(ctx context.Context, sb *sandbox.Client, zone string) error { return sb.ImpairZone(ctx, zone) },
		end:    func(ctx context.Context, sb *sandbox.Client, zone string) error { return sb.RecoverZone(ctx, zone) },
		tried: func(t *testing.T, s *stack, zone string, since time.Time) string {
			at := s.event(t, sandbox.EventLaunchRefused, zone, since, s.size.Recover)
			return fmt.Sprintf("a launch refused +%s after the impairment", at.Sub(since).Round(100*time.Millisecond))
		},
	})
}

// grayDropPercent is the share of the gray zone's new connections reset:
// enough that its targets' health checks flap and Auto Scaling replaces
// some, as a zone neither up nor down does.
const grayDropPercent = 50

// zoneGray (suite 9): a gray failure (the sandbox resets half of a zone's
// new connections, as FIS's AWSFIS-Run-Network-Packet-Loss does); once
// Auto Scaling has replaced an instance there (a flapping target), the
// stack evacuates the zone, the fault ends, the zone returns.
func zoneGray(t *testing.T, s *stack) figures {
	return evacuationScenario(t, s, zoneFault{name: "gray failure", started: sandbox.EventGrayFailure,
		inject: func(ctx context.Context, sb *sandbox.Client, zone string) error {
			return sb.GrayZone(ctx, zone, 0, 0, grayDropPercent)
		},
		end: func(ctx context.Context, sb *sandbox.Client, zone string) error { return sb.EndGray(ctx, zone) },
		tried: func(t *testing.T, s *stack, zone string, since time.Time) string {
			var what string
			env.Until(t, "Auto Scaling replacing an instance in "+zone, s.size.Recover, func() (bool, string) {
				acts := s.zoneActivitiesSince(t, zone, since)
				if len(acts) == 0 {
					return false, "no scaling activity in " + zone + " yet"
				}
				what = acts[0]
				return true, ""
			})
			return what
		},
	})
}

// evacuationScenario: under load through the load balancer's per-zone
// nodes, f hits a zone; once Auto Scaling has tried to replace there, the
// stack evacuates it (evacuate_zones = [zone]); f ends; the stack takes
// the zone back (evacuate_zones = []). Asserted from the order of calls
// and the sandbox's event log: for a zone that is down, the shift and the
// group's suspension are the apply's first changes; no request sent once
// the shift is in effect fails or reaches the zone; the surviving zones
// carry the stack's capacity; no instance is launched into the zone while
// it is evacuated; the return leaves every process resumed. Measured: the
// time to the shift, the applies, the failures before it, the launches
// refused.
func evacuationScenario(t *testing.T, s *stack, f zoneFault) figures {
	if s.tg.Sandbox == nil {
		t.Skip(f.name + ": needs AWS FIS (scenario \"AZ Availability: Power Interruption\", AWSFIS-Run-Network-Packet-Loss); " +
			"the breaker's ZoneDown stops instances but launches there succeed; runs in the sandbox")
		return figures{}
	}
	ctx := t.Context()
	sb := s.tg.Sandbox.Client()
	s.waitSteady(t, s.size.Recover)
	before := s.inService(ctx, t)
	zone := s.zones[len(s.zones)/2]
	dns, node := s.lbNode(t, zone)
	rate := s.baseRate(before.total())
	t.Logf("budget for the %s of zone %s, computed before the load: 0 failed requests among those sent once the zonal shift "+
		"has taken the zone's node %s out of %s's DNS answers and its instances out of service (and once the database is back, if it failed over); "+
		"those sent before are measured, not budgeted: 1 in %d connections resolves to the zone's node until the shift; "+
		"a client gives up on a request after %s; the surviving zones carry %d instances", f.name, zone, node, dns, len(s.zones), clientTimeout, before.total())

	p, err := soak.Start(ctx, soak.Options{Name: f.name, URL: "http://" + net.JoinHostPort(dns, portOf(t, s.url)) + "/fruits",
		Resolve: sb.Resolve, Timeout: clientTimeout, Concurrency: concurrency, Rate: rate, Drain: drain})
	if err != nil {
		t.Fatal(err)
	}
	logf(t, "load: %.1f requests a second, concurrency %d, through %s's nodes", rate, concurrency, dns)
	stopped := false
	defer func() {
		if !stopped {
			_, _ = p.Stop()
		}
	}()
	until(t, p.Started().Add(s.size.Settle))

	asked := time.Now()
	if err := f.inject(ctx, sb, zone); err != nil {
		t.Fatal(err)
	}
	ended := false
	defer func() {
		if !ended {
			if err := f.end(e2e.Background(), sb, zone); err != nil {
				t.Error(err)
			}
		}
	}()
	hit := s.event(t, f.started, zone, asked, s.size.Recover)
	logf(t, "%s in zone %s", f.name, zone)
	logf(t, "Auto Scaling tried to replace in %s: %s", zone, f.tried(t, s, zone, hit))

	returnedZone := false
	defer func() {
		// A failed run must not leave the shared stack (TestHA) evacuated
		// for the suites after it.
		if !returnedZone {
			s.opts.Vars["evacuate_zones"] = []string{}
			if _, err := terraform.ApplyContextE(t, e2e.Background(), s.opts); err != nil {
				t.Errorf("returning %s after a failed run: %v", zone, err)
			}
		}
	}()
	shifted, applied := s.evacuate(t, sb, dns, node, zone, f.down)
	logf(t, "evacuation apply took %s; the shift was called %s and in effect %s after the apply's start", applied.Sub(shifted.start).Round(100*time.Millisecond),
		shifted.call.Sub(shifted.start).Round(100*time.Millisecond), shifted.at.Sub(shifted.start).Round(100*time.Millisecond))
	evacuated := s.groups(ctx, t)[zone]
	stillIn := instanceIDs(evacuated)
	for _, want := range []string{"Launch", "ReplaceUnhealthy", "AlarmNotification"} {
		if !slices.ContainsFunc(evacuated.SuspendedProcesses, func(sp astypes.SuspendedProcess) bool { return aws.ToString(sp.ProcessName) == want }) {
			t.Errorf("%s (%s) after the evacuation: %s not suspended (%v)", aws.ToString(evacuated.AutoScalingGroupName), zone, want, processNames(evacuated.SuspendedProcesses))
		}
	}
	n, carried := s.waitSurviving(t, zone, rate)
	logf(t, "the surviving zones carry %d healthy instances, %s after the apply", n, carried.Sub(applied).Round(100*time.Millisecond))
	until(t, time.Now().Add(s.size.Tail))

	// No launch into the zone while it is evacuated: the group's instances
	// are those it had when the apply ended.
	for _, id := range instanceIDs(s.groups(ctx, t)[zone]) {
		if !slices.Contains(stillIn, id) {
			t.Errorf("instance %s launched into %s while it was evacuated", id, zone)
		}
	}
	if err := f.end(ctx, sb, zone); err != nil {
		t.Fatal(err)
	}
	ended = true
	back := time.Now()
	evs, err := sb.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inZone := func(e sandbox.Event) bool { return e.Zone == zone && !e.At.Before(hit) && e.At.Before(back) }
	refusals := sandbox.EventsOf(evs, sandbox.EventLaunchRefused, inZone)
	for _, e := range refusals {
		if e.At.After(applied) {
			t.Errorf("launch refused in %s at +%s, after the evacuation apply ended: Auto Scaling still launches into the evacuated zone", zone, e.At.Sub(applied).Round(100*time.Millisecond))
		}
	}
	clean := shifted.at
	if e, ok := sandbox.LastEvent(evs, sandbox.EventDatabaseBack, func(e sandbox.Event) bool { return !e.At.Before(hit) }); ok && e.At.After(clean) {
		clean = e.At
		logf(t, "the database failed over with the zone: requests are held to 0 failures from its return, +%s after the shift", clean.Sub(shifted.at).Round(100*time.Millisecond))
	}

	returning := time.Now()
	returned := s.returnZone(t, sb, dns, node, zone)
	returnedZone = true
	until(t, time.Now().Add(s.size.Tail))
	res := stop(t, p)
	stopped = true
	var failedBefore, failedAfter, after int
	for _, q := range res.Requests {
		switch {
		case q.Sent.Before(clean) && q.Outcome != soak.OK:
			failedBefore++
		case !q.Sent.Before(clean):
			after++
			if q.Outcome != soak.OK {
				failedAfter++
				t.Errorf("request %d sent +%s after the shift (node %s) failed: %s", q.Seq, q.Sent.Sub(shifted.at).Round(100*time.Millisecond), q.Node, q.Reason)
			}
			if q.Zone == zone && q.Sent.Before(returning) {
				t.Errorf("request %d sent +%s after the shift was served in the evacuated zone %s (%s)", q.Seq, q.Sent.Sub(shifted.at).Round(100*time.Millisecond), zone, q.Instance)
			}
		}
	}
	if after == 0 {
		t.Errorf("no request was sent after the shift: nothing shows the evacuation keeps clients served")
	}
	if got := zonesServing(res.Requests, returned); !slices.Contains(got, zone) {
		t.Errorf("zone %s serves nothing after its return (zones serving %v)", zone, got)
	}
	t.Logf("%s figures: apply start to StartZonalShift %s, to the shift in effect %s; evacuation apply %s; return apply %s; "+
		"requests failed before the shift %d, after %d (of %d sent after); launches refused in %s %d",
		f.name, shifted.call.Sub(shifted.start).Round(100*time.Millisecond), shifted.at.Sub(shifted.start).Round(100*time.Millisecond),
		applied.Sub(shifted.start).Round(100*time.Millisecond), returned.Sub(returning).Round(100*time.Millisecond),
		failedBefore, failedAfter, after, zone, len(refusals))
	return figures{Suite: f.name, Requests: res.Sent, Failed: res.Failed, Budget: -1,
		Note: fmt.Sprintf("zone %s: shift called %s into the apply, in effect %s, apply %s, return %s; failed %d before the shift, %d after; %d launches refused",
			zone, shifted.call.Sub(shifted.start).Round(100*time.Millisecond), shifted.at.Sub(shifted.start).Round(100*time.Millisecond),
			applied.Sub(shifted.start).Round(100*time.Millisecond), returned.Sub(returning).Round(100*time.Millisecond),
			failedBefore, failedAfter, len(refusals))}
}

// impairEnv runs TestZoneImpairment: the zone fault suites on a stack of
// their own. TestHA runs them on its shared stack (`make test`) since they
// passed three TestHA runs in a row on a loaded two-core machine, adding
// about two minutes.
const impairEnv = "HAWEBAPP_HA_IMPAIR"

// zoneFaultSuites are suites 8 and 9.
func zoneFaultSuites() []suite {
	return []suite{{"zone_impairment", zoneImpairment}, {"zone_gray", zoneGray}}
}

// TestZoneImpairment runs suites 8 and 9 on a stack of their own (sandbox
// only). HAWEBAPP_HA_IMPAIR=1 turns it on.
func TestZoneImpairment(t *testing.T) {
	if testing.Short() || os.Getenv(impairEnv) == "" {
		t.Skipf("zone fault suites on a stack of their own: set %s=1 (TestHA runs them on its shared stack)", impairEnv)
	}
	sz := sizeFromEnv(t, e2e.RealAWS())
	all := runStack(t, "impair", sz, zoneFaultSuites())
	report(t, sz, all)
}
