package ha

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/scenario"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// concurrency is the soaks' ab concurrency (and a budget's allowance for
// requests in flight when something breaks).
const concurrency = 4

// drain lets the requests already sent finish when a phase stops
// (soak.Options.Drain), so the moment it stops is not counted as a
// failure; one still waiting after it is a failure all the same.
const drain = 10 * time.Second

// baseRate is the load of the failure suites (scenario.BaseRate, the
// evacuation scenario's).
func (s *stack) baseRate(targets int) float64 {
	return scenario.BaseRate(s.scalingTarget, s.tg.MinuteSeconds, targets)
}

func (s *stack) start(t *testing.T, name string, rate float64, drainFor time.Duration) *soak.Phase {
	t.Helper()
	p, err := soak.Start(t.Context(), soak.Options{Name: name, URL: s.url + "/fruits", Concurrency: concurrency, Rate: rate, Drain: drainFor})
	if err != nil {
		t.Fatal(err)
	}
	logf(t, "load %q: %.1f requests a second, concurrency %d, on %s/fruits", name, rate, concurrency, s.url)
	return p
}

// startSettled is start with the suites' drain, then waits s.size.Settle
// for the load to settle before the suite breaks something.
func (s *stack) startSettled(t *testing.T, name string, rate float64) *soak.Phase {
	t.Helper()
	p := s.start(t, name, rate, drain)
	until(t, p.Started().Add(s.size.Settle))
	return p
}

// startAndBreak is startSettled, then breaks something (brk) under the
// load, at the moment it returns; a brk that fails stops the load and the
// test.
func (s *stack) startAndBreak(t *testing.T, name string, rate float64, brk func() error) (*soak.Phase, time.Time) {
	t.Helper()
	p := s.startSettled(t, name, rate)
	at := time.Now()
	if err := brk(); err != nil {
		_, _ = p.Stop()
		t.Fatal(err)
	}
	return p, at
}

// lossBudget is soak.LossBudget for losing lost of the total instances
// under the suites' load at rate.
func (s *stack) lossBudget(t *testing.T, rate float64, lost, total int) soak.Budget {
	t.Helper()
	b, err := soak.LossBudget(s.settings, soak.Load{Rate: rate, Concurrency: concurrency}, lost, total)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func stop(t *testing.T, p *soak.Phase) *soak.Result {
	t.Helper()
	res, err := p.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Accounted(); err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	return res
}

// until waits for the moment at (the load keeps running meanwhile).
func until(t *testing.T, at time.Time) {
	t.Helper()
	select {
	case <-t.Context().Done():
		t.Fatal(t.Context().Err())
	case <-time.After(time.Until(at)):
	}
}

// failureWindow is how long after at the last failed request ended.
func failureWindow(res *soak.Result, at time.Time) time.Duration {
	var w time.Duration
	for _, q := range res.Requests {
		if q.Outcome == soak.OK {
			continue
		}
		end := q.Ended
		if end.IsZero() {
			end = res.End
		}
		w = max(w, end.Sub(at))
	}
	return w
}

func logBudget(t *testing.T, b soak.Budget) {
	t.Helper()
	t.Logf("budget for the %s, computed before the load:", b.What)
	for _, w := range b.Why {
		t.Logf("  %s", w)
	}
}

// steadyState (suite 1): a soak with nothing broken fails no request, and
// every zone serves.
func steadyState(t *testing.T, s *stack) figures {
	s.waitSteady(t, s.size.Recover)
	n := s.inService(t.Context(), t).Total()
	p := s.start(t, "steady state", s.baseRate(n), drain)
	until(t, p.Started().Add(s.size.Steady))
	res := stop(t, p)
	if res.Sent == 0 || res.Failed > 0 {
		t.Errorf("steady state: want every request answered 2xx: %s", res.Summary())
	}
	if got := soak.ZonesServing(res.Requests, res.Start); len(got) != len(s.zones) {
		t.Errorf("steady state: zones serving %v, want every zone %v", got, s.zones)
	}
	return figures{Suite: "steady state", Requests: res.Sent, Failed: res.Failed, Budget: -1}
}

// instanceLoss (suite 2): one instance dies without warning; failures stay
// within the loss budget, its group replaces it, the new target becomes
// healthy, and the tail of the soak is clean.
func instanceLoss(t *testing.T, s *stack) figures {
	ctx := t.Context()
	s.waitSteady(t, s.size.Recover)
	before := s.inService(ctx, t)
	zone := s.zones[0]
	victim := before[zone][0]
	rate := s.baseRate(before.Total())
	budget := s.lossBudget(t, rate, 1, before.Total())
	logBudget(t, budget)

	p, at := s.startAndBreak(t, "instance loss", rate, func() error { return s.brk.KillInstance(ctx, victim) })
	logf(t, "killed instance %s in %s", victim, zone)
	var replacement string
	env.Until(t, "a healthy replacement of "+victim, s.size.Recover, func() (bool, string) {
		now := s.inService(ctx, t)[zone]
		h := s.health(ctx, t)
		for _, id := range now {
			if id == victim {
				return false, victim + " is still in service"
			}
			if !slices.Contains(before[zone], id) && h[id] == "healthy" {
				replacement = id
			}
		}
		return replacement != "", "no new healthy target in " + zone
	})
	logf(t, "%s replaced by %s, healthy", victim, replacement)
	until(t, maxTime(time.Now(), at.Add(budget.Window)).Add(s.size.Tail))
	res := stop(t, p)
	if err := budget.Check(res, at); err != nil {
		t.Error(err)
	}
	return figures{Suite: "instance loss", Requests: res.Sent, Failed: res.Failed, Budget: budget.MaxFailed,
		BudgetWindow: budget.Window, Window: failureWindow(res, at), Note: victim + " -> " + replacement}
}

// zoneLoss (suite 3): a whole zone goes dark; failures stay within the
// loss budget, the other zones carry the load, and the zone serves again
// when it comes back, without failures.
func zoneLoss(t *testing.T, s *stack) figures {
	ctx := t.Context()
	s.waitSteady(t, s.size.Recover)
	before := s.inService(ctx, t)
	zone := s.zones[len(s.zones)/2]
	rate := s.baseRate(before.Total())
	budget := s.lossBudget(t, rate, len(before[zone]), before.Total())
	budget.What = "loss of zone " + zone + " (" + budget.What + ")"
	logBudget(t, budget)

	p, at := s.startAndBreak(t, "zone loss", rate, func() error { return s.brk.ZoneDown(ctx, zone) })
	at = s.zoneDownAt(ctx, t, zone, at)
	up := false
	defer func() {
		if !up {
			if err := s.brk.ZoneUp(ctx, zone); err != nil {
				t.Error(err)
			}
		}
	}()
	logf(t, "zone %s down (%d of %d targets)", zone, len(before[zone]), before.Total())
	carried := at.Add(budget.Window)
	until(t, carried.Add(s.size.Tail))
	if got := soak.ZonesServing(p.Since(carried), carried); len(got) != len(s.zones)-1 || slices.Contains(got, zone) {
		t.Errorf("after the budget's window, zones serving %v: want the %d others than %s", got, len(s.zones)-1, zone)
	}
	if err := s.brk.ZoneUp(ctx, zone); err != nil {
		t.Error(err)
	}
	up = true
	back := time.Now()
	logf(t, "zone %s back", zone)
	s.waitSteady(t, s.size.Recover)
	recovered := time.Now()
	logf(t, "stack steady again %s after the zone's return", recovered.Sub(back).Round(100*time.Millisecond))
	until(t, recovered.Add(s.size.Tail))
	res := stop(t, p)
	if got := soak.ZonesServing(res.Requests, recovered); !slices.Contains(got, zone) {
		t.Errorf("zone %s serves nothing after it came back (zones serving %v)", zone, got)
	}
	if err := budget.Check(res, at); err != nil {
		t.Error(err)
		for _, w := range res.FailureWindows(time.Second) {
			t.Logf("  failures sent %s-%s after the phase's start, last ended %s: %d (%s)", w.From.Round(100*time.Millisecond),
				w.To.Round(100*time.Millisecond), w.LastEnd.Round(100*time.Millisecond), w.Failed, soak.FormatReasons(w.Reasons))
		}
	}
	return figures{Suite: "zone loss", Requests: res.Sent, Failed: res.Failed, Budget: budget.MaxFailed,
		BudgetWindow: budget.Window, Window: failureWindow(res, at),
		Note: "zone " + zone + ", back after " + back.Sub(at).Round(time.Second).String() + ", steady " + recovered.Sub(back).Round(time.Second).String() + " later"}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// zoneDownAt is when the zone's loss took effect: in the sandbox, the
// instant its event log records that every instance in the zone lost power
// (the budget's clock starts there); on AWS, the instant the breaker was
// asked.
func (s *stack) zoneDownAt(ctx context.Context, t *testing.T, zone string, asked time.Time) time.Time {
	t.Helper()
	if s.tg.Sandbox == nil {
		return asked
	}
	evs, err := s.tg.Sandbox.Client().Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := sandbox.LastEvent(evs, sandbox.EventZoneDown, func(e sandbox.Event) bool { return e.Zone == zone })
	if !ok || e.At.Before(asked) {
		t.Fatalf("the sandbox took zone %s down but its event log does not say when", zone)
	}
	return e.At
}

// clientTimeout is the impairment soak's request timeout (soak.Options.
// Timeout), a client's patience: the requests a dead zone's load balancer
// node holds fail after it instead of holding ab's few slots until the
// zone returns, so the load goes on through the outage. It is the phases'
// drain, which a healthy request never comes near.
const clientTimeout = drain

// zoneImpairment (suite 8): a zone loses power (scenario.ZoneImpairment);
// once Auto Scaling has been refused a launch there, the stack evacuates
// it, power returns, the stack takes it back.
func zoneImpairment(t *testing.T, s *stack) figures {
	return evacuation(t, s, scenario.ZoneImpairment())
}

// zoneGray (suite 9): a gray failure (scenario.GrayFailure); once Auto
// Scaling has replaced an instance there, the stack evacuates the zone, the
// fault ends, the zone returns.
func zoneGray(t *testing.T, s *stack) figures {
	return evacuation(t, s, scenario.GrayFailure())
}

// evacuation runs the evacuation scenario (test/scenario, shared with
// `make demo`) on the suite's stack: every requirement it saw broken is a
// test error. Sandbox only: on AWS the outage needs FIS (the breaker's
// ZoneDown stops instances, but launches there succeed, so "Auto Scaling
// has tried and failed" never happens).
func evacuation(t *testing.T, s *stack, f scenario.Fault) figures {
	if s.tg.Sandbox == nil {
		t.Skip(f.Name + ": needs AWS FIS (scenario \"AZ Availability: Power Interruption\", AWSFIS-Run-Network-Packet-Loss); " +
			"the breaker's ZoneDown stops instances but launches there succeed; runs in the sandbox")
		return figures{}
	}
	res, err := s.scenario(t).Evacuate(t.Context(), f, scenario.Options{Concurrency: concurrency, ClientTimeout: clientTimeout, Drain: drain,
		Settle: s.size.Settle, Tail: s.size.Tail, Recover: s.size.Recover})
	for _, msg := range res.Failures {
		t.Error(msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return figures{Suite: f.Name, Requests: res.Sent, Failed: res.Failed, Budget: -1, Note: res.Summary()}
}

// scenario is the stack as test/scenario drives it, within t: terraform
// runs and progress lines belong to t.
func (s *stack) scenario(t *testing.T) *scenario.Stack {
	return &scenario.Stack{AWS: s.tg.AWS, Sandbox: s.tg.Sandbox, Groups: s.st.AutoScalingGroupNames,
		TargetGroupARN: s.st.TargetGroupARN, LoadBalancerARN: s.st.LoadBalancerARN, URL: s.url,
		ScalingTarget: s.scalingTarget, MinuteSeconds: s.tg.MinuteSeconds,
		Terraform: stackTerraform{t, s.opts}, Logf: func(format string, args ...any) { t.Helper(); logf(t, format, args...) }}
}

// stackTerraform applies and plans the suite's examples/complete root
// with Terratest.
type stackTerraform struct {
	t    *testing.T
	opts *terraform.Options
}

func (tf stackTerraform) Apply(ctx context.Context, zones []string, endpoint string) error {
	// Kept in the stack's options: the next suite's plans must see it.
	tf.opts.Vars["evacuate_zones"] = zones
	opts := tf.opts
	if endpoint != "" {
		c := *tf.opts
		c.EnvVars = maps.Clone(tf.opts.EnvVars)
		c.EnvVars["AWS_ENDPOINT_URL"] = endpoint
		opts = &c
	}
	_, err := terraform.ApplyContextE(tf.t, ctx, opts)
	return err
}

func (tf stackTerraform) Changes(ctx context.Context) (bool, error) {
	code, err := terraform.PlanExitCodeContextE(tf.t, ctx, tf.opts)
	switch {
	case err != nil:
		return false, err
	case code == 0 || code == 2:
		return code == 2, nil
	default:
		return false, fmt.Errorf("terraform plan exited %d", code)
	}
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
