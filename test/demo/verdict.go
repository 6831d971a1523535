package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// CausedWindow is a stretch of failed requests and what the sandbox's own
// record (its event log, GET /_sandbox/events) shows was not serving then.
type CausedWindow struct {
	Phase    string
	From, To time.Duration // sending times, since the soak's start
	LastEnd  time.Duration
	Failed   int
	Reasons  map[string]int
	Cause    []string
}

// budget reads the stack's settings through the load balancing API
// (target group health check, deregistration delay, idle timeout), scales
// them to the sandbox's emulated minute and computes the budget for losing
// the soak's zone, before any load runs.
func (s *Soak) budget(ctx context.Context, r *Run) error {
	res := &s.Result
	arn, err := s.loadBalancerARN(ctx)
	if err != nil {
		return err
	}
	settings, err := soak.SettingsForLoadBalancer(ctx, elb.NewFromConfig(s.awsConfig()), arn)
	if err != nil {
		return err
	}
	// The sandbox compresses time but keeps real-time floors (a check's
	// timeout, the load balancer's timeouts): the budget takes both as
	// inputs, before any load runs.
	tm := s.sb.Timing()
	settings.TimeScale = tm.Scale
	settings.Floors = soak.Floors{HealthCheckInterval: tm.HealthCheckInterval, HealthCheckTimeout: tm.HealthCheckTimeout,
		ConnectTimeout: tm.ConnectTimeout, IdleTimeout: tm.IdleTimeout}
	// The groups are split evenly across the zones and scale alike (each
	// tracks the same per-target load), so a zone holds 1/zones of the targets.
	zones := len(s.groups)
	b, err := soak.LossBudget(settings, soak.Load{Rate: float64(res.Rate), Concurrency: s.Opts.Concurrency}, 1, zones)
	if err != nil {
		return err
	}
	b.What = fmt.Sprintf("loss of zone %s (1/%d of the targets)", s.Opts.Zone, zones)
	res.Settings, res.Budget = settings, b
	r.Logf("failure budget for the %s, from the stack's settings (one emulated minute = %gs):", b.What, s.Opts.MinuteSeconds)
	for _, w := range b.Why {
		fmt.Fprintf(r.Out, "    %s\n", w)
	}
	return nil
}

// judge holds the load phase to the budget from the moment the zone went
// down (as the sandbox recorded it), allows no failure in the cool-down,
// measures how long the load balancer kept sending to the lost zone, and
// gives each failure window its cause from the sandbox's event log.
func (res *SoakResult) judge(start time.Time, evs []sandbox.Event) {
	var errs []error
	switch {
	case res.Load == nil:
		errs = append(errs, errors.New("the load phase did not run"))
	case res.DownAt.IsZero():
		errs = append(errs, errors.New("the zone never went down"))
	default:
		if err := res.Budget.Check(res.Load, res.DownAt); err != nil {
			errs = append(errs, err)
		}
		res.InFlightAtDown = soak.InFlightAt(res.Load, res.DownAt)
		res.Detected, res.ReactionLag, res.DetectedOK = detected(evs, res.Zone, res.DownAt)
		res.Spurious = spurious(evs, res.Zone, res.DownAt)
	}
	if res.Cool != nil && res.Cool.Failed > 0 {
		errs = append(errs, fmt.Errorf("cool-down: %d requests failed (%s), budget 0", res.Cool.Failed, soak.FormatReasons(res.Cool.Reasons)))
	}
	res.Windows = nil
	for _, p := range []*soak.Result{res.Load, res.Cool} {
		if p == nil {
			continue
		}
		off := p.Start.Sub(start)
		for _, w := range p.FailureWindows(time.Second) {
			cw := CausedWindow{Phase: p.Name, From: w.From + off, To: w.To + off, LastEnd: w.LastEnd + off, Failed: w.Failed, Reasons: w.Reasons}
			cw.Cause = causes(evs, start, cw.From, cw.LastEnd)
			res.Windows = append(res.Windows, cw)
		}
	}
	res.Verdict = errors.Join(errs...)
}

// detected is how long after down the last of zone's targets that were
// healthy then left the healthy state in the load balancer, per the event
// log, and how long the sandbox took to act on the check result that
// decided it; false when the log has no such change.
func detected(evs []sandbox.Event, zone string, down time.Time) (time.Duration, time.Duration, bool) {
	healthy := map[string]bool{}
	var lastOut time.Time
	var lag time.Duration
	for _, e := range evs {
		if e.Kind != sandbox.EventTarget || e.Zone != zone {
			continue
		}
		if e.At.Before(down) {
			healthy[e.Target] = e.State == "healthy"
			continue
		}
		if healthy[e.Target] && e.State != "healthy" {
			healthy[e.Target] = false
			if e.At.After(lastOut) {
				lastOut, lag = e.At, 0
				if e.Decided != nil {
					lag = e.At.Sub(*e.Decided)
				}
			}
		}
	}
	for _, h := range healthy {
		if h {
			return 0, 0, false // a target of the lost zone never left service
		}
	}
	if lastOut.IsZero() {
		return 0, 0, false
	}
	return lastOut.Sub(down), lag, true
}

// spurious counts the healthy targets the log shows failing their checks
// while their zone had power: a live app that answered too late on a loaded
// machine (what the sandbox's real-time timeout floor is there to stop). A
// target that never passed its checks (an app still starting) is not one.
func spurious(evs []sandbox.Event, zone string, down time.Time) int {
	up := time.Time{}
	if e, ok := sandbox.LastEvent(evs, sandbox.EventZoneUp, func(e sandbox.Event) bool { return e.Zone == zone }); ok && e.At.After(down) {
		up = e.At
	}
	n := 0
	state := map[string]string{}
	for _, e := range evs {
		if e.Kind != sandbox.EventTarget {
			continue
		}
		prev := state[e.Target]
		state[e.Target] = e.State
		if e.State != "unhealthy" || prev != "healthy" {
			continue
		}
		inOutage := e.Zone == zone && !e.At.Before(down) && (up.IsZero() || e.At.Before(up))
		if !inOutage {
			n++
		}
	}
	return n
}

// lastFailureEnd is when the load phase's last failed request ended (the
// phase's end for one still in flight); zero without failures.
func (res *SoakResult) lastFailureEnd() time.Time {
	var last time.Time
	if res.Load == nil {
		return last
	}
	for _, q := range res.Load.Requests {
		if q.Outcome == soak.OK {
			continue
		}
		end := q.Ended
		if end.IsZero() {
			end = res.Load.End
		}
		if end.After(last) {
			last = end
		}
	}
	return last
}

// writeVerdict writes the budget, the failure windows and the verdict.
func (res *SoakResult) writeVerdict(b *strings.Builder) {
	bu := res.Budget
	fmt.Fprintf(b, "    budget      %s: at most %d failed, all ended within %s of the loss (detected within %s)\n",
		bu.What, bu.MaxFailed, bu.Window.Round(10*time.Millisecond), bu.Detect.Round(10*time.Millisecond))
	if res.DetectedOK {
		fmt.Fprintf(b, "    measured    the load balancer stopped sending to %s's targets %.2fs after the power loss (sandbox event log; budget %.2fs; %d ms of it the sandbox acting on the deciding check); %d requests were in flight at the power loss\n",
			res.Zone, res.Detected.Seconds(), bu.Detect.Seconds(), res.ReactionLag.Milliseconds(), res.InFlightAtDown)
		fmt.Fprintf(b, "    measured    %d healthy targets failed their checks while their zone had power\n", res.Spurious)
		if late := res.lastFailureEnd(); !late.IsZero() {
			fmt.Fprintf(b, "    measured    the last failed request ended %.2fs after the power loss (budget window %.2fs)\n", late.Sub(res.DownAt).Seconds(), bu.Window.Seconds())
		}
	} else if !res.DownAt.IsZero() {
		fmt.Fprintf(b, "    measured    the sandbox's event log shows no target of %s leaving service after the power loss\n", res.Zone)
	}
	if len(res.Windows) == 0 {
		b.WriteString("    failure windows: none\n")
	}
	for _, w := range res.Windows {
		fmt.Fprintf(b, "    failure window %.1fs-%.1fs (%s, last ended %.1fs): %d failed (%s)\n", w.From.Seconds(), w.To.Seconds(), w.Phase,
			w.LastEnd.Seconds(), w.Failed, soak.FormatReasons(w.Reasons))
		for _, c := range w.Cause {
			fmt.Fprintf(b, "        sandbox record: %s\n", c)
		}
	}
	if res.Verdict != nil {
		fmt.Fprintf(b, "    verdict     FAIL: %v\n", strings.ReplaceAll(res.Verdict.Error(), "\n", "; "))
	} else {
		b.WriteString("    verdict     PASS: every failure within the budget computed before the run\n")
	}
}
