package ha

import (
	"context"
	"slices"
	"testing"
	"time"

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
	budget, err := soak.LossBudget(s.settings, soak.Load{Rate: rate, Concurrency: concurrency}, 1, before.Total())
	if err != nil {
		t.Fatal(err)
	}
	logBudget(t, budget)

	p := s.start(t, "instance loss", rate, drain)
	until(t, p.Started().Add(s.size.Settle))
	at := time.Now()
	if err := s.brk.KillInstance(ctx, victim); err != nil {
		_, _ = p.Stop()
		t.Fatal(err)
	}
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
	budget, err := soak.LossBudget(s.settings, soak.Load{Rate: rate, Concurrency: concurrency}, len(before[zone]), before.Total())
	if err != nil {
		t.Fatal(err)
	}
	budget.What = "loss of zone " + zone + " (" + budget.What + ")"
	logBudget(t, budget)

	p := s.start(t, "zone loss", rate, drain)
	until(t, p.Started().Add(s.size.Settle))
	at := time.Now()
	if err := s.brk.ZoneDown(ctx, zone); err != nil {
		_, _ = p.Stop()
		t.Fatal(err)
	}
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
