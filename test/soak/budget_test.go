package soak

import (
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

func TestLossBudget(t *testing.T) {
	aws := ALBDefaults()
	sandbox := aws
	sandbox.TimeScale = 3.0 / 60 // the sandbox's default: an AWS minute in 3 s
	fast := aws
	fast.HealthCheckInterval, fast.HealthCheckTimeout, fast.UnhealthyThreshold, fast.IdleTimeout = 10*time.Second, 2*time.Second, 3, 30*time.Second
	cases := map[string]struct {
		s             Settings
		load          Load
		lost, targets int
		want          Budget
		wantErr       string
	}{
		"AWSDefaultsOneOfThree": {
			// detect 2×30+5 = 65 s; window 65 + max(10, 60) = 125 s;
			// failed ⌈100 × 1/3 × 65⌉ + 10 = 2167 + 10.
			s: aws, load: Load{Rate: 100, Concurrency: 10}, lost: 1, targets: 3,
			want: Budget{Detect: 65 * time.Second, Window: 125 * time.Second, MaxFailed: 2177, Recover: 150 * time.Second},
		},
		"ZoneOfTwoOfSix": {
			s: fast, load: Load{Rate: 50, Concurrency: 4}, lost: 2, targets: 6,
			// detect 3×10+2 = 32 s; window 32 + max(10, 30) = 62 s; ⌈50 × 1/3 × 32⌉ = 534.
			want: Budget{Detect: 32 * time.Second, Window: 62 * time.Second, MaxFailed: 538, Recover: 50 * time.Second},
		},
		"IdleTimeoutLongerThanDetection": {
			s: func() Settings { s := fast; s.IdleTimeout = 120 * time.Second; return s }(), load: Load{Rate: 10, Concurrency: 2}, lost: 1, targets: 2,
			want: Budget{Detect: 32 * time.Second, Window: 152 * time.Second, MaxFailed: 162, Recover: 50 * time.Second},
		},
		"SandboxCompressesTime": {
			// 65 s and 125 s of AWS time are 3.25 s and 6.25 s real; ⌈200 × 1/3 × 3.25⌉ = 217.
			s: sandbox, load: Load{Rate: 200, Concurrency: 16}, lost: 1, targets: 3,
			want: Budget{Detect: 3250 * time.Millisecond, Window: 6250 * time.Millisecond, MaxFailed: 233, Recover: 7500 * time.Millisecond},
		},
		"SandboxFloors": {
			// The hawebapp defaults (interval 15 s, timeout 10 s, unhealthy 4)
			// at the sandbox's scale: 0.75 s and 0.5 s, but a check times out
			// after 2 s real at least. detect = 4 × 0.75 + 2 = 5 s (not
			// 3.5 s); window = 5 + max(0.5, 3) = 8 s; ⌈90 × 1/3 × 5⌉ + 16 = 166.
			s: func() Settings {
				s := sandbox
				s.HealthCheckInterval, s.HealthCheckTimeout, s.UnhealthyThreshold, s.HealthyThreshold = 15*time.Second, 10*time.Second, 4, 3
				s.Floors = Floors{HealthCheckInterval: 100 * time.Millisecond, HealthCheckTimeout: 2 * time.Second, ConnectTimeout: 250 * time.Millisecond, IdleTimeout: time.Second}
				return s
			}(),
			load: Load{Rate: 90, Concurrency: 16}, lost: 1, targets: 3,
			want: Budget{Detect: 5 * time.Second, Window: 8 * time.Second, MaxFailed: 166, Recover: 2250 * time.Millisecond},
		},
		"FloorOnTheIdleTimeout": {
			// 60 s idle at a minute of 0.6 s is 0.6 s: the 1 s floor wins.
			s: func() Settings {
				s := aws
				s.TimeScale = 0.01
				s.Floors.IdleTimeout = time.Second
				return s
			}(),
			load: Load{Rate: 10, Concurrency: 1}, lost: 1, targets: 2,
			want: Budget{Detect: 650 * time.Millisecond, Window: 1650 * time.Millisecond, MaxFailed: 5, Recover: 1500 * time.Millisecond},
		},
		"EveryTargetLost":  {s: aws, load: Load{Rate: 10, Concurrency: 1}, lost: 3, targets: 3, wantErr: "leaves nothing to serve"},
		"UncappedLoad":     {s: aws, load: Load{Concurrency: 8}, lost: 1, targets: 3, wantErr: "rate cap"},
		"NoHealthSettings": {s: Settings{IdleTimeout: time.Minute, ConnectTimeout: 10 * time.Second}, load: Load{Rate: 1, Concurrency: 1}, lost: 1, targets: 2, wantErr: "interval and timeout"},
		"NotALoss":         {s: aws, load: Load{Rate: 1, Concurrency: 1}, lost: 0, targets: 2, wantErr: "not a loss"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := LossBudget(tc.s, tc.load, tc.lost, tc.targets)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Detect != tc.want.Detect || got.Window != tc.want.Window || got.MaxFailed != tc.want.MaxFailed || got.Recover != tc.want.Recover {
				t.Errorf("got detect %s window %s max %d recover %s; want %s %s %d %s\n%s", got.Detect, got.Window, got.MaxFailed, got.Recover,
					tc.want.Detect, tc.want.Window, tc.want.MaxFailed, tc.want.Recover, strings.Join(got.Why, "\n"))
			}
			if len(got.Why) == 0 {
				t.Error("a budget must say how it was derived")
			}
		})
	}
}

func TestDrainAndOutageBudgets(t *testing.T) {
	s := ALBDefaults()
	s.DeregistrationDelay = 30 * time.Second
	l := Load{Rate: 20, Concurrency: 5}
	if b := DrainBudget(s, l, 2*time.Second); b.MaxFailed != 0 || b.Window != 0 {
		t.Errorf("short requests drain: %+v, want zero failures", b)
	}
	if b := DrainBudget(s, l, time.Minute); b.MaxFailed != 5 || b.Window != 30*time.Second {
		t.Errorf("requests longer than the delay: %+v, want the concurrency within the delay", b)
	}
	b := OutageBudget("database failover", 90*time.Second, s, l)
	if b.MaxFailed != 20*90+5 || b.Window != 150*time.Second {
		t.Errorf("outage budget %+v", b)
	}
}

func TestBudgetCheck(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := t0.Add(10 * time.Second)
	req := func(sent, ended float64, outcome Outcome) Request {
		q := Request{Sent: t0.Add(time.Duration(sent * float64(time.Second))), Outcome: outcome}
		if ended > 0 {
			q.Ended = t0.Add(time.Duration(ended * float64(time.Second)))
		}
		if outcome != OK {
			q.Reason = "HTTP 503"
		}
		return q
	}
	b := Budget{What: "loss", Window: 5 * time.Second, MaxFailed: 2}
	cases := map[string]struct {
		reqs    []Request
		wantErr string
	}{
		"WithinBudget":     {reqs: []Request{req(1, 1.1, OK), req(10.5, 11, Failed), req(12, 14.9, Failed), req(20, 20.1, OK)}},
		"TooMany":          {reqs: []Request{req(11, 11.1, Failed), req(11, 11.2, Failed), req(11, 11.3, Failed)}, wantErr: "3 requests failed, budget 2"},
		"BeforeTheFailure": {reqs: []Request{req(9, 9.5, Failed)}, wantErr: "1 requests failed before the failure"},
		// Sent before the failure, still waiting when it came: the target
		// died under it (the concurrency in MaxFailed counts it).
		"InFlightAtTheFailure": {reqs: []Request{req(9.9, 13, Failed), req(9, 12.5, Failed)}},
		"EndsAfterTheWindow":   {reqs: []Request{req(14, 15.5, Failed)}, wantErr: "ended more than 5s after"},
		"InFlightAtTheEnd":     {reqs: []Request{req(14, 0, InFlight)}, wantErr: "ended more than 5s after"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := newResult("x", "http://x/", t0, t0.Add(30*time.Second), tc.reqs, 0)
			err := b.Check(r, at)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Check = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestInFlightAt(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := func(f float64) time.Time { return t0.Add(time.Duration(f * float64(time.Second))) }
	r := &Result{Requests: []Request{
		{Sent: s(1), Ended: s(2), Outcome: OK},     // over before
		{Sent: s(4), Ended: s(6), Outcome: Failed}, // in flight at 5
		{Sent: s(4.5), Outcome: InFlight},          // still waiting at the end
		{Sent: s(5.5), Ended: s(6), Outcome: OK},   // sent after
	}}
	if n := InFlightAt(r, s(5)); n != 2 {
		t.Errorf("InFlightAt = %d, want 2", n)
	}
}

// TestLossBudgetMeetsTimeToDetect: a stack whose health_check timings were
// derived from time_to_detect gets a loss budget whose detection time is
// the stack's, and within the goal: the provider and the budgets share one
// formula.
func TestLossBudgetMeetsTimeToDetect(t *testing.T) {
	for _, goal := range []int32{blueprint.MinTimeToDetect, 20, 30, 45, 70, 120, 600} {
		h, err := blueprint.DeriveHealthTimings(goal, blueprint.HealthTimings{})
		if err != nil {
			t.Fatal(err)
		}
		s := ALBDefaults()
		s.HealthCheckInterval, s.HealthCheckTimeout = time.Duration(h.Interval)*time.Second, time.Duration(h.Timeout)*time.Second
		s.HealthyThreshold, s.UnhealthyThreshold = int(h.HealthyThreshold), int(h.UnhealthyThreshold)
		b, err := LossBudget(s, Load{Rate: 100, Concurrency: 4}, 1, 3)
		if err != nil {
			t.Fatal(err)
		}
		if b.Detect != time.Duration(h.Detect())*time.Second || b.Detect > time.Duration(goal)*time.Second {
			t.Errorf("time_to_detect %d s: derived %+v, budget detects in %s, stack in %d s", goal, h, b.Detect, h.Detect())
		}
	}
}
