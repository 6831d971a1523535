package demo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// CausedWindow is a stretch of failed requests and what the sandbox's own
// record (GET /_sandbox/state, sampled every second) shows was not serving
// then.
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
	st, err := s.sb.Client().State(ctx)
	if err != nil {
		return fmt.Errorf("reading the sandbox's state: %w", err)
	}
	arn := ""
	for _, lb := range st.LoadBalancers {
		if lb.URL == s.url {
			arn = lb.ARN
		}
	}
	if arn == "" {
		return fmt.Errorf("no load balancer of the sandbox serves %s", s.url)
	}
	cfg, err := sandbox.AWSConfig(ctx, s.sb.Endpoint, s.sb.Env()["AWS_REGION"])
	if err != nil {
		return err
	}
	settings, err := soak.SettingsForLoadBalancer(ctx, elb.NewFromConfig(cfg), arn)
	if err != nil {
		return err
	}
	settings.TimeScale = s.Opts.MinuteSeconds / 60
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
// down, allows no failure in the cool-down, and gives each failure window
// its measured cause.
func (res *SoakResult) judge(start time.Time, samples []Sample) {
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
			cw.Cause = causes(samples, cw.From-res.Budget.Detect, cw.LastEnd)
			res.Windows = append(res.Windows, cw)
		}
	}
	res.Verdict = errors.Join(errs...)
}

// causes lists what the sandbox's record shows not serving between from
// and to: zones without a healthy target, and each instance not healthy or
// not running, with when it was first seen so.
func causes(samples []Sample, from, to time.Duration) []string {
	first := map[string]time.Duration{}
	for _, sm := range samples {
		if sm.At < from || sm.At > to {
			continue
		}
		for z, c := range sm.Zones {
			if c.Healthy == 0 && c.Desired > 0 {
				k := "zone " + z + " had no healthy target"
				if _, ok := first[k]; !ok {
					first[k] = sm.At
				}
			}
		}
		for _, n := range sm.NotServing {
			if _, ok := first[n]; !ok {
				first[n] = sm.At
			}
		}
	}
	if len(first) == 0 {
		return []string{"the sandbox's record shows every target of the stack healthy and running then: cause not in the record"}
	}
	out := make([]string, 0, len(first))
	for k, at := range first {
		out = append(out, fmt.Sprintf("%s (from %.0fs)", k, at.Seconds()))
	}
	sort.Strings(out)
	return out
}

// writeVerdict writes the budget, the failure windows and the verdict.
func (res *SoakResult) writeVerdict(b *strings.Builder) {
	bu := res.Budget
	fmt.Fprintf(b, "    budget      %s: at most %d failed, all ended within %s of the loss (detected within %s)\n",
		bu.What, bu.MaxFailed, bu.Window.Round(10*time.Millisecond), bu.Detect.Round(10*time.Millisecond))
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
