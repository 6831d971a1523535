package scenario

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// Fault is a zone-wide fault the evacuation scenario injects and ends.
type Fault struct {
	Name string
	// down: the zone is down (power lost), so the zonal shift must be the
	// evacuation apply's first change, before any wait.
	down bool
	// started is the event the sandbox records once the fault took effect.
	started string
	inject  func(ctx context.Context, sb *sandbox.Client, zone string) error
	end     func(ctx context.Context, sb *sandbox.Client, zone string) error
	// tried waits until Auto Scaling has tried to replace in the zone since
	// the fault took effect, and says what it did.
	tried func(ctx context.Context, s *Stack, zone string, since time.Time, within time.Duration) (string, error)
}

// ZoneImpairment: a zone loses power as in AWS FIS's "AZ Availability:
// Power Interruption" (test/sandbox: instances off, the zone's load
// balancer node dead but still in DNS, launches there refused with
// InsufficientInstanceCapacity, the database failing over if its primary
// was there); the stack evacuates it once Auto Scaling has been refused a
// launch there.
func ZoneImpairment() Fault {
	return Fault{Name: "zone impairment", down: true, started: sandbox.EventZoneImpaired,
		inject: func(ctx context.Context, sb *sandbox.Client, zone string) error { return sb.ImpairZone(ctx, zone) },
		end:    func(ctx context.Context, sb *sandbox.Client, zone string) error { return sb.RecoverZone(ctx, zone) },
		tried: func(ctx context.Context, s *Stack, zone string, since time.Time, within time.Duration) (string, error) {
			at, err := s.event(ctx, sandbox.EventLaunchRefused, zone, since, within)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("a launch refused +%s after the impairment", at.Sub(since).Round(100*time.Millisecond)), nil
		},
	}
}

// grayDropPercent is the share of the gray zone's new connections reset:
// enough that its targets' health checks flap and Auto Scaling replaces
// some, as a zone neither up nor down does.
const grayDropPercent = 50

// GrayFailure: the sandbox resets half of a zone's new connections, as
// FIS's AWSFIS-Run-Network-Packet-Loss does; the stack evacuates the zone
// once Auto Scaling has replaced an instance there (a flapping target).
func GrayFailure() Fault {
	return Fault{Name: "gray failure", started: sandbox.EventGrayFailure,
		inject: func(ctx context.Context, sb *sandbox.Client, zone string) error {
			return sb.GrayZone(ctx, zone, 0, 0, grayDropPercent)
		},
		end: func(ctx context.Context, sb *sandbox.Client, zone string) error { return sb.EndGray(ctx, zone) },
		tried: func(ctx context.Context, s *Stack, zone string, since time.Time, within time.Duration) (string, error) {
			var what string
			err := env.UntilE(ctx, "Auto Scaling replacing an instance in "+zone, within, func() (bool, string) {
				acts, err := s.ZoneActivitiesSince(ctx, zone, since)
				if err != nil {
					return false, err.Error()
				}
				if len(acts) == 0 {
					return false, "no scaling activity in " + zone + " yet"
				}
				what = acts[0]
				return true, ""
			})
			return what, err
		},
	}
}

// Options size an evacuation run. Budgets never depend on them.
type Options struct {
	// Zone is the zone hit; default the middle one of the stack's zones.
	Zone string
	// Rate is the load in requests a second; 0: BaseRate on the stack's
	// instances in service.
	Rate float64
	// Concurrency is the load's; ClientTimeout a client's patience
	// (soak.Options.Timeout): the requests a dead zone's load balancer node
	// holds fail after it instead of holding the load's few slots until the
	// zone returns. Drain lets the requests sent finish when the load stops.
	Concurrency           int
	ClientTimeout, Drain  time.Duration
	Settle, Tail, Recover time.Duration
}

// Result is what an evacuation run measured, and the requirements it saw
// broken (Failures; none: the run passed).
type Result struct {
	Fault, Zone string
	// Budget is the failure budget, stated before the load.
	Budget string
	Rate   float64
	// Tried is what Auto Scaling did in the zone before the evacuation.
	Tried string
	// From the evacuation apply's start: to its StartZonalShift call, to
	// the shift seen in effect, to its end. ReturnApply is the return's.
	ToShiftCall, ToShift, EvacuationApply, ReturnApply time.Duration
	// Surviving is how many instances the other zones carried.
	Surviving int
	// Requests: sent and failed in all, failed before the shift (measured)
	// and after it (budget 0) of SentAfter.
	Sent, Failed, FailedBefore, FailedAfter, SentAfter int
	// LaunchesRefused in the zone while it was impaired.
	LaunchesRefused int
	Failures        []string
}

func (r *Result) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// Summary is the figures on one line.
func (r *Result) Summary() string {
	return fmt.Sprintf("zone %s: shift called %s into the apply, in effect %s, apply %s, return %s; failed %d before the shift, %d after (of %d); %d launches refused",
		r.Zone, r.ToShiftCall.Round(100*time.Millisecond), r.ToShift.Round(100*time.Millisecond), r.EvacuationApply.Round(100*time.Millisecond),
		r.ReturnApply.Round(100*time.Millisecond), r.FailedBefore, r.FailedAfter, r.SentAfter, r.LaunchesRefused)
}

// Evacuate runs the evacuation scenario (sandbox only: on AWS the outage
// needs FIS; the breaker's ZoneDown stops instances but launches there
// succeed, so "Auto Scaling has tried and failed" never happens). Under
// load through the load balancer's per-zone nodes, f hits a zone; once
// Auto Scaling has tried to replace there, the stack evacuates it
// (evacuate_zones = [zone]); f ends; the stack takes the zone back
// (evacuate_zones = []). Required, from the order of calls and the
// sandbox's event log: for a zone that is down, the shift and the group's
// suspension are the apply's first changes; no request sent once the shift
// is in effect fails or reaches the zone; the surviving zones carry the
// stack's capacity; no instance is launched into the zone while it is
// evacuated; the return leaves every process resumed. Measured: the time
// to the shift, the applies, the failures before it, the launches refused.
// The stack is left with evacuate_zones = [] whatever happens.
func (s *Stack) Evacuate(ctx context.Context, f Fault, o Options) (res *Result, err error) {
	res = &Result{Fault: f.Name, Zone: o.Zone}
	if s.Sandbox == nil {
		return res, errors.New(f.Name + ": needs the sandbox (on AWS, FIS)")
	}
	res.Zone = s.zoneOr(res.Zone)
	zone, sb := res.Zone, s.Sandbox.Client()
	if err := s.WaitSteady(ctx, o.Recover); err != nil {
		return res, err
	}
	l, err := s.budgetedLoad(ctx, zone, o, fmt.Sprintf("the %s of zone %s", f.Name, zone), &res.Rate, &res.Budget, func(l zoneLoad) string {
		return fmt.Sprintf("0 failed requests among those sent once the zonal shift has taken the zone's node %s out of %s's DNS answers "+
			"and its instances out of service (and once the database is back, if it failed over); those sent before are measured, not budgeted: "+
			"1 in %d connections resolves to the zone's node until the shift; a client gives up on a request after %s; the surviving zones carry %d instances",
			l.node, l.dns, len(s.Groups), o.ClientTimeout, l.inService)
	})
	if err != nil {
		return res, err
	}
	dns, node := l.dns, l.node

	s.logf("load: %.1f requests a second, concurrency %d, through %s's nodes", res.Rate, o.Concurrency, dns)
	p, asked, err := l.startFault(ctx, s, sb, f.Name, o, func(ctx context.Context) error { return f.inject(ctx, sb, zone) })
	if err != nil {
		return res, err
	}
	defer p.stopIfRunning()
	// Whatever happens, the fault ends and an evacuated zone is taken back:
	// the stack (the suites' shared one, the demo's) goes on being used. An
	// interrupted run leaves the stack to its teardown.
	ended, returned := false, true
	defer func() {
		bg := context.WithoutCancel(ctx)
		if !ended {
			err = errors.Join(err, f.end(bg, sb, zone))
		}
		if !returned && ctx.Err() == nil {
			if aerr := s.Terraform.Apply(bg, []string{}, ""); aerr != nil {
				err = errors.Join(err, fmt.Errorf("returning %s after a failed run: %w", zone, aerr))
			}
		}
	}()
	hit, err := s.event(ctx, f.started, zone, asked, o.Recover)
	if err != nil {
		return res, err
	}
	s.logf("%s in zone %s", f.Name, zone)
	if res.Tried, err = f.tried(ctx, s, zone, hit, o.Recover); err != nil {
		return res, err
	}
	s.logf("Auto Scaling tried to replace in %s: %s", zone, res.Tried)

	returned = false
	shifted, applied, err := s.evacuate(ctx, res, dns, node, zone, f.down, o.Recover)
	if err != nil {
		return res, err
	}
	res.ToShiftCall, res.ToShift, res.EvacuationApply = shifted.call.Sub(shifted.start), shifted.at.Sub(shifted.start), applied.Sub(shifted.start)
	s.logf("evacuation apply took %s; the shift was called %s and in effect %s after the apply's start", res.EvacuationApply.Round(100*time.Millisecond),
		res.ToShiftCall.Round(100*time.Millisecond), res.ToShift.Round(100*time.Millisecond))
	groups, err := s.GroupsByZone(ctx)
	if err != nil {
		return res, err
	}
	evacuated := groups[zone]
	stillIn := instanceIDs(evacuated)
	for _, want := range []string{"Launch", "ReplaceUnhealthy", "AlarmNotification"} {
		if !slices.ContainsFunc(evacuated.SuspendedProcesses, func(sp astypes.SuspendedProcess) bool { return aws.ToString(sp.ProcessName) == want }) {
			res.fail("%s (%s) after the evacuation: %s not suspended (%v)", aws.ToString(evacuated.AutoScalingGroupName), zone, want, processNames(evacuated.SuspendedProcesses))
		}
	}
	var carried time.Time
	if res.Surviving, carried, err = s.waitSurviving(ctx, res, zone, res.Rate, o.Recover); err != nil {
		return res, err
	}
	s.logf("the surviving zones carry %d healthy instances, %s after the apply", res.Surviving, carried.Sub(applied).Round(100*time.Millisecond))
	if err := sleepUntil(ctx, time.Now().Add(o.Tail)); err != nil {
		return res, err
	}

	// No launch into the zone while it is evacuated: the group's instances
	// are those it had when the apply ended.
	if groups, err = s.GroupsByZone(ctx); err != nil {
		return res, err
	}
	for _, id := range instanceIDs(groups[zone]) {
		if !slices.Contains(stillIn, id) {
			res.fail("instance %s launched into %s while it was evacuated", id, zone)
		}
	}
	if err := f.end(ctx, sb, zone); err != nil {
		return res, err
	}
	ended = true
	back := time.Now()
	evs, err := sb.Events(ctx)
	if err != nil {
		return res, err
	}
	inZone := func(e sandbox.Event) bool { return e.Zone == zone && !e.At.Before(hit) && e.At.Before(back) }
	refusals := sandbox.EventsOf(evs, sandbox.EventLaunchRefused, inZone)
	res.LaunchesRefused = len(refusals)
	for _, e := range refusals {
		if e.At.After(applied) {
			res.fail("launch refused in %s at +%s, after the evacuation apply ended: Auto Scaling still launches into the evacuated zone", zone, e.At.Sub(applied).Round(100*time.Millisecond))
		}
	}
	clean := shifted.at
	if e, ok := sandbox.LastEvent(evs, sandbox.EventDatabaseBack, func(e sandbox.Event) bool { return !e.At.Before(hit) }); ok && e.At.After(clean) {
		clean = e.At
		s.logf("the database failed over with the zone: requests are held to 0 failures from its return, +%s after the shift", clean.Sub(shifted.at).Round(100*time.Millisecond))
	}

	returning := time.Now()
	returnedAt, err := s.returnZone(ctx, res, dns, node, zone, o.Recover)
	returned = err == nil || !returnedAt.IsZero()
	if err != nil {
		return res, err
	}
	res.ReturnApply = returnedAt.Sub(returning)
	out, err := p.finish(ctx, o.Tail)
	if err != nil {
		return res, err
	}
	res.Sent, res.Failed = out.Sent, out.Failed
	res.tally(out.Requests, zone, clean, shifted.at, returning)
	if got := soak.ZonesServing(out.Requests, returnedAt); !slices.Contains(got, zone) {
		res.fail("zone %s serves nothing after its return (zones serving %v)", zone, got)
	}
	s.logf("%s figures: %s", f.Name, res.Summary())
	return res, nil
}

// tally counts the failures before clean (the shift in effect, or the
// database's return) and after it, where none may fail nor reach the
// evacuated zone until the return began.
func (r *Result) tally(reqs []soak.Request, zone string, clean, shift, returning time.Time) {
	for _, q := range reqs {
		switch {
		case q.Sent.Before(clean) && q.Outcome != soak.OK:
			r.FailedBefore++
		case !q.Sent.Before(clean):
			r.SentAfter++
			if q.Outcome != soak.OK {
				r.FailedAfter++
				r.fail("request %d sent +%s after the shift (node %s) failed: %s", q.Seq, q.Sent.Sub(shift).Round(100*time.Millisecond), q.Node, q.Reason)
			}
			if q.Zone == zone && q.Sent.Before(returning) {
				r.fail("request %d sent +%s after the shift was served in the evacuated zone %s (%s)", q.Seq, q.Sent.Sub(shift).Round(100*time.Millisecond), zone, q.Instance)
			}
		}
	}
	if r.SentAfter == 0 {
		r.fail("no request was sent after the shift: nothing shows the evacuation keeps clients served")
	}
}

// sleepUntil waits for the moment at while the load keeps running.
func sleepUntil(ctx context.Context, at time.Time) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(at)):
		return nil
	}
}
