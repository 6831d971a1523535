package demo

import (
	"bytes"
	"image/png"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPercentileAndSummarize(t *testing.T) {
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
	var lat []float64
	for i := 100; i >= 1; i-- { // unsorted on purpose
		lat = append(lat, float64(i))
	}
	l := Summarize(lat)
	want := Latency{N: 100, P50: 50, P95: 95, P99: 99, Max: 100}
	if l != want {
		t.Errorf("Summarize(1..100) = %+v, want %+v", l, want)
	}
	if got := Percentile([]float64{7}, 99); got != 7 {
		t.Errorf("Percentile of one value = %v, want 7", got)
	}
	if got := Percentile([]float64{1, 2, 3, 4}, 50); got != 2 {
		t.Errorf("nearest-rank p50 of 1..4 = %v, want 2", got)
	}
}

func TestABOutputParsing(t *testing.T) {
	text := "Concurrency Level:      16\nComplete requests:      4210\nFailed requests:        3\n" +
		"   (Connect: 0, Receive: 0, Length: 0, Exceptions: 3)\nNon-2xx responses:      12\n"
	if c, f, n := abField(text, "Complete requests"), abField(text, "Failed requests"), abField(text, "Non-2xx responses"); c != 4210 || f != 3 || n != 12 {
		t.Errorf("abField = %d, %d, %d; want 4210, 3, 12", c, f, n)
	}
	if got := abField("Complete requests:      5\n", "Non-2xx responses"); got != 0 {
		t.Errorf("absent field = %d, want 0", got)
	}
	gp := "starttime\tseconds\tctime\tdtime\tttime\twait\n" +
		"Thu Jan  1 00:00:00 2026\t1767225600\t0\t4\t4\t4\n" +
		"Thu Jan  1 00:00:00 2026\t1767225600\t1\t11\t12\t11\n"
	lat, err := parseGnuplot(strings.NewReader(gp))
	if err != nil || !reflect.DeepEqual(lat, []float64{4, 12}) {
		t.Errorf("parseGnuplot = %v, %v; want [4 12]", lat, err)
	}
	if _, err := parseGnuplot(strings.NewReader("a\tb\n1\t2\n")); err == nil {
		t.Error("a file without ttime parsed")
	}
	args := strings.Join(abArgs("http://x/fruits", "g.tsv", 16, 0, 1), " ")
	// -n must follow -t (which resets it to 50000).
	if !strings.Contains(args, "-t 1 -n 2000000") || !strings.HasSuffix(args, "http://x/fruits") {
		t.Errorf("abArgs = %s", args)
	}
	if args := strings.Join(abArgs("u", "g", 16, 2, 1), " "); !strings.Contains(args, "-c 2 ") {
		t.Errorf("concurrency above the request count: %s", args)
	}
	var sl abSlice
	sl.add(abSlice{Start: time.Unix(1, 0), End: time.Unix(2, 0), Complete: 3, Latencies: []float64{1}})
	sl.add(abSlice{Start: time.Unix(2, 0), End: time.Unix(3, 0), Complete: 2, Non2xx: 1, Latencies: []float64{2}})
	if sl.Start != time.Unix(1, 0) || sl.End != time.Unix(3, 0) || sl.Complete != 5 || sl.Failures() != 1 || len(sl.Latencies) != 2 {
		t.Errorf("merged rounds = %+v", sl)
	}
}

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
		Requests: 4010, Non2xx: 3, Latency: Latency{N: 4010, P50: 15, P95: 40, P99: 90, Max: 300},
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
		"ab -c 16 at 833 req/s", "requests    4010", "3 failed (0.07%)", "p50 15 ms, p95 40 ms, p99 90 ms, max 300 ms",
		"desired 3 at the start, peak 6 (6 healthy), 3 at the end", "no request completed for 5s",
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
