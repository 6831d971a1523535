package demo

import (
	"bytes"
	"image/png"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// soakFixture is a small soak: scale-out in every zone, zone b lost and
// back, a scale-in.
func soakFixture() *SoakResult {
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	at := func(s int) time.Duration { return time.Duration(s) * time.Second }
	sample := func(s int, a, b, c ZoneCount) Sample {
		return Sample{At: at(s), Zones: map[string]ZoneCount{zones[0]: a, zones[1]: b, zones[2]: c}}
	}
	one, two, twoBooting, lost := ZoneCount{1, 1, 1}, ZoneCount{2, 2, 2}, ZoneCount{2, 2, 1}, ZoneCount{2, 2, 0}
	return &SoakResult{
		URL: "http://127.0.0.1:1/fruits", Concurrency: 16, Rate: 833, Zones: zones, Zone: zones[1], Duration: at(60),
		Samples: []Sample{sample(0, one, one, one), sample(2, one, one, one), sample(10, twoBooting, twoBooting, twoBooting),
			sample(14, two, two, two), sample(22, two, lost, two), sample(40, two, two, two), sample(58, one, one, one)},
		Events: []Event{{at(20), "zone us-east-1b down"}, {at(38), "zone us-east-1b back"}, {at(45), "load stops"}},
		Activities: []Activity{
			{at(9), zones[0], "Changing desired capacity from 1 to 2", "... TargetTracking-x-AlarmHigh ..."},
			{at(21), zones[1], "Terminating EC2 instance: i-1", "an instance was taken out of service in response to an ELB system health check failure."},
			{at(57), zones[0], "Changing desired capacity from 2 to 1", "... TargetTracking-x-AlarmLow ..."},
		},
		Slices: []SliceStat{{0, at(5), "load", 4000, 2, 15, 90}, {at(20), at(25), "load", 0, 1, 0, 0},
			{at(45), at(50), "cool-down", 10, 0, 3, 9}},
		Load: &soak.Result{Name: "load", Sent: 4010, OK: 4007, Failed: 3, Reasons: map[string]int{"HTTP 503": 3},
			Latency: soak.Latency{N: 4010, P50: 15, P95: 40, P99: 90, Max: 300}},
		Budget: soak.Budget{What: "loss of zone us-east-1b (1/3 of the targets)", Detect: 3250 * time.Millisecond, Window: 3750 * time.Millisecond, MaxFailed: 233},
		Windows: []CausedWindow{{Phase: "load", From: at(20), To: at(21), LastEnd: at(22), Failed: 3, Reasons: map[string]int{"HTTP 503": 3},
			Cause: []string{"zone us-east-1b had no healthy target (from 22s)"}}},
	}
}

// The verdict holds the load to the budget from the zone's loss, and each
// failure window gets the cause the sandbox's record shows.
func TestJudge(t *testing.T) {
	t0 := time.Unix(1000, 0)
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	fail := func(sent, ended float64) soak.Request {
		return soak.Request{Sent: sec(sent), Ended: sec(ended), Outcome: soak.Failed, Reason: "HTTP 503"}
	}
	ok := soak.Request{Sent: sec(1), Ended: sec(1.01), Outcome: soak.OK, Status: 200}
	zones := []string{"a", "b"}
	samples := []Sample{
		{At: 19 * time.Second, Zones: map[string]ZoneCount{"a": {1, 1, 1}, "b": {1, 1, 1}}},
		{At: 21 * time.Second, Zones: map[string]ZoneCount{"a": {1, 1, 1}, "b": {1, 1, 0}}, NotServing: []string{"i-2 (b): unhealthy, running"}},
	}
	cases := map[string]struct {
		reqs      []soak.Request
		wantErr   string
		wantCause string
	}{
		"WithinBudget": {reqs: []soak.Request{ok, fail(20.5, 20.6), fail(21, 21.5)}, wantCause: "zone b had no healthy target (from 21s)"},
		"OverBudget":   {reqs: []soak.Request{ok, fail(20.5, 20.6), fail(21, 21.5), fail(21, 21.6)}, wantErr: "3 requests failed, budget 2"},
		"TooLate":      {reqs: []soak.Request{ok, fail(26, 26.1)}, wantErr: "ended more than 5s after"},
		"NoRecordedCause": {reqs: []soak.Request{ok, fail(10.5, 10.6)}, wantErr: "failed before the failure",
			wantCause: "cause not in the record"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			load := &soak.Result{Name: "load", Start: t0, End: sec(40), Requests: tc.reqs, Sent: len(tc.reqs), Reasons: map[string]int{}}
			for _, q := range tc.reqs {
				if q.Outcome == soak.OK {
					load.OK++
				} else {
					load.Failed++
					load.Reasons[q.Reason]++
				}
			}
			res := &SoakResult{Zones: zones, Load: load, DownAt: sec(20),
				Budget: soak.Budget{What: "loss of zone b", Detect: 2 * time.Second, Window: 5 * time.Second, MaxFailed: 2}}
			res.judge(t0, samples)
			if tc.wantErr == "" && res.Verdict != nil || tc.wantErr != "" && (res.Verdict == nil || !strings.Contains(res.Verdict.Error(), tc.wantErr)) {
				t.Errorf("verdict %v, want %q", res.Verdict, tc.wantErr)
			}
			if tc.wantCause != "" && (len(res.Windows) == 0 || !strings.Contains(strings.Join(res.Windows[0].Cause, "; "), tc.wantCause)) {
				t.Errorf("windows %+v, want a cause %q", res.Windows, tc.wantCause)
			}
		})
	}
}

func TestTimelineAndActivities(t *testing.T) {
	r := soakFixture()
	rows := Timeline(r.Samples, r.Zones, r.Events, r.Activities)
	var got []string
	for _, row := range rows {
		got = append(got, row.At.String()+" "+strings.Join(row.Notes, ","))
	}
	want := []string{"0s ", "10s scale-out a", "14s ", "22s zone us-east-1b down,health replacement b", "40s zone us-east-1b back", "58s load stops,scale-in a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("timeline rows:\n got %q\nwant %q", got, want)
	}
	if got := ActivityCounts(r.Activities); !reflect.DeepEqual(got, []string{"1 scale-out", "1 scale-in", "1 health replacement"}) {
		t.Errorf("ActivityCounts = %q", got)
	}
	if d, h := Peak(r.Samples); d != 6 || h != 6 {
		t.Errorf("Peak = %d desired, %d healthy; want 6, 6", d, h)
	}
	if got := r.Stalled(); got != 5*time.Second {
		t.Errorf("Stalled = %s, want 5s", got)
	}
}

func TestReportAndChart(t *testing.T) {
	r := soakFixture()
	var b strings.Builder
	r.WriteReport(&b)
	out := b.String()
	for _, want := range []string{
		"ab -c 16 at 833 req/s", "requests    4010 sent", "3 failed (0.07%): HTTP 503×3", "p50 15 ms, p95 40 ms, p99 90 ms, max 300 ms",
		"desired 3 at the start, peak 6 (6 healthy), 3 at the end", "no request sent for 5s", "verdict     PASS",
		"failure window 20.0s-21.0s (load, last ended 22.0s): 3 failed (HTTP 503×3)", "sandbox record: zone us-east-1b had no healthy target (from 22s)",
		"scaling activities: 3 (1 scale-out, 1 scale-in, 1 health replacement)", "health replacement Terminating EC2 instance: i-1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	b64, err := r.ChartPNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b64))
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	if sz := img.Bounds().Size(); sz.X != 1200 || sz.Y != 800 {
		t.Errorf("chart size %v", sz)
	}
	// An empty soak (interrupted at once) still draws.
	if _, err := (&SoakResult{}).ChartPNG(); err != nil {
		t.Errorf("empty chart: %v", err)
	}
}
