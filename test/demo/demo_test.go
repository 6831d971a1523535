package demo

import (
	"bytes"
	"errors"
	"image/color"
	"image/png"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/plot"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/scenario"
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

// The verdict holds the load to the budget from the zone's loss (the
// sandbox's record of it), each failure window gets the cause the sandbox's
// event log shows, and the detection is measured from it.
func TestJudge(t *testing.T) {
	t0 := time.Unix(1000, 0)
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	fail := func(sent, ended float64) soak.Request {
		return soak.Request{Sent: sec(sent), Ended: sec(ended), Outcome: soak.Failed, Reason: "HTTP 504"}
	}
	ok := soak.Request{Sent: sec(1), Ended: sec(1.01), Outcome: soak.OK, Status: 200}
	zones := []string{"a", "b"}
	target := func(at float64, id, zone, state, reason string) sandbox.Event {
		return sandbox.Event{At: sec(at), Kind: sandbox.EventTarget, Target: id, Zone: zone, State: state, Reason: reason, TargetGroup: "tg"}
	}
	evs := []sandbox.Event{
		target(5, "i-1", "a", "healthy", ""), target(5, "i-2", "b", "healthy", ""),
		{At: sec(20), Kind: sandbox.EventZoneDown, Zone: "b", IDs: []string{"i-2"}},
		target(21.5, "i-2", "b", "unhealthy", "Target.Timeout"),
	}
	cases := map[string]struct {
		reqs      []soak.Request
		wantErr   string
		wantCause []string
	}{
		// One request was in flight when the zone lost power: it may fail.
		"WithinBudget": {reqs: []soak.Request{ok, fail(19.9, 23), fail(21, 24)}, wantCause: []string{
			"zone b lost power at 20.00s (instances i-2)",
			"target i-2 (b) unhealthy (Target.Timeout) at 21.50s: the load balancer sent it requests for 1.50s after its zone lost power"}},
		"OverBudget": {reqs: []soak.Request{ok, fail(20.5, 23.5), fail(21, 24), fail(21, 24.1)}, wantErr: "3 requests failed, budget 2"},
		"TooLate":    {reqs: []soak.Request{ok, fail(26, 26.1)}, wantErr: "ended more than 5s after"},
		"NoRecordedCause": {reqs: []soak.Request{ok, fail(10.5, 10.6)}, wantErr: "1 requests failed before the failure",
			wantCause: []string{"cause not in the record"}},
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
			res := &SoakResult{Zones: zones, Zone: "b", Load: load, DownAt: sec(20),
				Budget: soak.Budget{What: "loss of zone b", Detect: 2 * time.Second, Window: 5 * time.Second, MaxFailed: 2}}
			res.judge(t0, evs)
			if tc.wantErr == "" && res.Verdict != nil || tc.wantErr != "" && (res.Verdict == nil || !strings.Contains(res.Verdict.Error(), tc.wantErr)) {
				t.Errorf("verdict %v, want %q", res.Verdict, tc.wantErr)
			}
			if len(res.Windows) == 0 {
				t.Fatalf("no failure window")
			}
			got := strings.Join(res.Windows[0].Cause, "; ")
			for _, want := range tc.wantCause {
				if !strings.Contains(got, want) {
					t.Errorf("cause %q, want it to say %q", got, want)
				}
			}
			if !res.DetectedOK || res.Detected != 1500*time.Millisecond {
				t.Errorf("detected %s (%v), want 1.5s from the event log", res.Detected, res.DetectedOK)
			}
		})
	}
}

// A window is explained by what was out of service when it opened: a
// target unhealthy since before, a zone down since before; a failure that
// ended before the window is not its cause.
func TestCausesFromTheEventLog(t *testing.T) {
	t0 := time.Unix(1000, 0)
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	evs := []sandbox.Event{
		{At: sec(1), Kind: sandbox.EventZoneDown, Zone: "a", IDs: []string{"i-9"}},
		{At: sec(2), Kind: sandbox.EventZoneUp, Zone: "a", IDs: []string{"i-9"}},
		{At: sec(3), Kind: sandbox.EventTarget, Target: "i-1", Zone: "b", State: "healthy"},
		{At: sec(4), Kind: sandbox.EventZoneDown, Zone: "b", IDs: []string{"i-1"}},
		{At: sec(6), Kind: sandbox.EventTarget, Target: "i-1", Zone: "b", State: "unhealthy", Reason: "Target.Timeout"},
		{At: sec(7), Kind: sandbox.EventTarget, Target: "i-3", Zone: "c", State: "draining", Reason: "Target.DeregistrationInProgress"},
		{At: sec(7), Kind: sandbox.EventTarget, Target: "i-4", Zone: "c"}, // left its group
	}
	got := causes(evs, t0, 8*time.Second, 9*time.Second)
	want := []string{"zone b lost power at 4.00s (instances i-1)",
		"target i-1 (b) unhealthy (Target.Timeout) since 6.00s", "target i-3 (c) draining (Target.DeregistrationInProgress) since 7.00s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("causes:\n got %q\nwant %q", got, want)
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
	if sz := img.Bounds().Size(); sz.X != 1200 || sz.Y != 1000 {
		t.Errorf("chart size %v", sz)
	}
	// The budget the run is judged by is on the picture: its window after
	// the failure shaded, its limit drawn.
	for name, c := range map[string]color.Color{"budget window": plot.Amber, "budget limit": plot.Orange, "outage": plot.Pink} {
		if n := plot.PixelsOf(img, c); n < 100 {
			t.Errorf("%s: %d pixels of its colour on the chart", name, n)
		}
	}
	// An empty soak (interrupted at once) still draws.
	if _, err := (&SoakResult{}).ChartPNG(); err != nil {
		t.Errorf("empty chart: %v", err)
	}
}

// Only a target failing its checks while its zone had power is spurious.
func TestSpurious(t *testing.T) {
	t0 := time.Unix(1000, 0)
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	unhealthy := func(at float64, id, zone string) sandbox.Event {
		return sandbox.Event{At: sec(at), Kind: sandbox.EventTarget, Target: id, Zone: zone, State: "unhealthy"}
	}
	healthy := func(at float64, id, zone string) sandbox.Event {
		return sandbox.Event{At: sec(at), Kind: sandbox.EventTarget, Target: id, Zone: zone, State: "healthy"}
	}
	evs := []sandbox.Event{
		healthy(1, "i-1", "b"), healthy(1, "i-2", "b"), healthy(1, "i-3", "a"),
		unhealthy(2, "i-9", "a"), // never healthy (an app still starting): not spurious
		unhealthy(5, "i-1", "b"), // before the outage: spurious
		{At: sec(10), Kind: sandbox.EventZoneDown, Zone: "b"},
		unhealthy(12, "i-2", "b"), // the outage
		unhealthy(13, "i-3", "a"), // another zone: spurious
		{At: sec(20), Kind: sandbox.EventZoneUp, Zone: "b"},
		healthy(22, "i-2", "b"),
		unhealthy(25, "i-2", "b"), // after it: spurious
	}
	if n := spurious(evs, "b", sec(10)); n != 3 {
		t.Errorf("spurious = %d, want 3", n)
	}
}

// TestStepsEvacuation: the evacuation phases come after the soak's report
// and before the plan that must be empty, impairment first, gray on demand.
func TestStepsEvacuation(t *testing.T) {
	names := func(o SoakOptions) []string {
		var out []string
		for _, s := range NewSoak(o).Steps() {
			out = append(out, s.Name)
		}
		return out
	}
	for _, tc := range []struct {
		opts SoakOptions
		want []string
	}{
		{SoakOptions{}, []string{StepReport, StepImpairment, StepPlanAfter}},
		{SoakOptions{Gray: true}, []string{StepReport, StepImpairment, StepGray, StepPlanAfter}},
		{SoakOptions{NoEvacuation: true}, []string{StepReport, StepPlanAfter}},
	} {
		got := names(tc.opts)
		i := slices.Index(got, StepReport)
		if i < 0 || !slices.Equal(got[i:i+len(tc.want)], tc.want) {
			t.Errorf("%+v: steps %q, want %q in a row", tc.opts, got, tc.want)
		}
	}
}

// TestWriteEvacuation: the figures the issue asks for are printed, and
// the verdict follows the broken requirements and the error.
func TestWriteEvacuation(t *testing.T) {
	res := &scenario.Result{Fault: "zone impairment", Zone: "us-east-1b", Rate: 200, Tried: "a launch refused +1.2s after the impairment",
		ToShiftCall: 2100 * time.Millisecond, ToShift: 2600 * time.Millisecond, EvacuationApply: 9 * time.Second, ReturnApply: 14 * time.Second,
		Sent: 5000, Failed: 40, FailedBefore: 40, SentAfter: 3000, LaunchesRefused: 3, Surviving: 4}
	var b strings.Builder
	writeEvacuation(&b, res, nil)
	for _, want := range []string{"to StartZonalShift 2.1s", "to the shift in effect 2.6s", "evacuation apply 9s", "return apply 14s",
		"40 before the shift", "0 after it (budget 0) of 3000", "launches    3 refused in us-east-1b", "verdict     PASS"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}
	res.Failures = []string{"request 7 sent +1s after the shift failed"}
	b.Reset()
	writeEvacuation(&b, res, nil)
	if !strings.Contains(b.String(), "broken      request 7") || !strings.Contains(b.String(), "FAIL: 1 requirements broken") {
		t.Errorf("a broken requirement is not in the verdict:\n%s", b.String())
	}
	b.Reset()
	writeEvacuation(&b, &scenario.Result{Fault: "gray failure", Zone: "us-east-1b"}, errors.New("waiting: timed out"))
	if !strings.Contains(b.String(), "FAIL: waiting: timed out") || strings.Contains(b.String(), "measured") {
		t.Errorf("a run that stopped early:\n%s", b.String())
	}
}
