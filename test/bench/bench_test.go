package bench

import (
	"bytes"
	"encoding/json"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/test/plot"
)

// TestSmokeHawebapp runs the benchmark's hawebapp configuration once (one
// stack: apply, no-change plan, destroy) through the recorder, and holds
// the refresh to its call budget. The full benchmark is `make bench`.
func TestSmokeHawebapp(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 to run the benchmark smoke test (make test does)")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	work := t.TempDir()
	env, err := Setup(ctx, root, work)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(env.LogPath)
			t.Logf("terraform log (last lines):\n%s", tail(string(b), 60))
		}
	}()

	r, err := env.NewRoot(ctx, Hawebapp, "smoke", "smoke", 1, true)
	if err != nil {
		t.Fatal(err)
	}
	apply, err := r.Apply(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("apply: %.1fs (emulator busy %.1fs), %d calls, provider peak %.0f MB", apply.Seconds, apply.EmulatorBusySeconds, apply.Calls, apply.ProviderPeakMB)

	plan, err := r.Plan(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan: %.1fs, %d calls: %s", plan.Seconds, plan.Calls, strings.Join(SortedActions(plan.ByAction), " "))
	if *plan.PlanHasChanges {
		t.Errorf("the plan after apply is not empty")
	}
	if plan.Calls > RefreshBudget {
		t.Errorf("no-change plan made %d AWS calls, budget %d: %s", plan.Calls, RefreshBudget, strings.Join(SortedActions(plan.ByAction), " "))
	}

	destroy, err := r.Destroy(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("destroy: %.1fs, %d calls", destroy.Seconds, destroy.Calls)
}

// fakeResults is a small result set with a missed and a met target.
func fakeResults() *Results {
	r := &Results{Runs: 3}
	for run, s := range []float64{3, 2, 4} {
		r.Measurements = append(r.Measurements,
			Measurement{Config: Hawebapp, Step: StepApply, Stacks: 1, Database: true, Run: run + 1, Seconds: s, Calls: 80, ProviderPeakMB: 50},
			Measurement{Config: Hawebapp, Step: StepPlan, Stacks: 1, Database: true, Run: run + 1, Seconds: s / 2, Calls: 12, ProviderPeakMB: 40},
			Measurement{Config: Handwritten, Step: StepApply, Stacks: 1, Database: true, Run: run + 1, Seconds: 90 + s, Calls: 107, ProviderPeakMB: 410},
			Measurement{Config: Handwritten, Step: StepPlan, Stacks: 1, Database: true, Run: run + 1, Seconds: 9, Calls: 37, ProviderPeakMB: 410},
		)
	}
	r.Stats = summarise(r.Measurements)
	for _, c := range []string{Hawebapp, Handwritten} {
		for _, step := range []string{StepApply, StepPlan} {
			r.Scale = append(r.Scale, medianRun(r.Measurements, c, step))
		}
	}
	r.Scale = append(r.Scale,
		Measurement{Config: Hawebapp, Step: StepApply, Stacks: 50, Database: true, Seconds: 40, Calls: 4000, ProviderPeakMB: 120},
		Measurement{Config: Hawebapp, Step: StepPlan, Stacks: 50, Database: true, Seconds: 5, Calls: 600, ProviderPeakMB: 100},
		Measurement{Config: Hawebapp, Step: StepApply, Stacks: 10, Seconds: 8, Calls: 700},
		Measurement{Config: Hawebapp, Step: StepPlan, Stacks: 10, Seconds: 2, Calls: 110},
		Measurement{Config: Handwritten, Step: StepApply, Stacks: 10, Seconds: 200, Calls: 1070},
		Measurement{Config: Handwritten, Step: StepPlan, Stacks: 10, Seconds: 20, Calls: 370},
	)
	r.Targets = Evaluate(r)
	return r
}

func TestMedianAndTargets(t *testing.T) {
	r := fakeResults()
	if s, _ := r.stat(Hawebapp, StepApply); s.Median != 3 || s.Min != 2 || s.Max != 4 {
		t.Errorf("apply stat = %+v, want median 3 in [2, 4]", s)
	}
	met := map[string]bool{}
	for _, tg := range r.Targets {
		met[tg.Name] = tg.Met
		if !tg.Met && tg.Why == "" {
			t.Errorf("missed target %q has no explanation", tg.Name)
		}
	}
	want := map[string]bool{"apply speed-up": true, "plan speed-up": false, "refresh calls": true,
		"provider memory, 1 stack": true, "provider memory, 50 stacks": true}
	for k, v := range want {
		if met[k] != v {
			t.Errorf("target %q met = %v, want %v (%+v)", k, met[k], v, r.Targets)
		}
	}
}

func TestChartAndDoc(t *testing.T) {
	r := fakeResults()
	b, err := Chart(r)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	// Each configuration's series is drawn.
	for name, c := range map[string]color.Color{"hawebapp": plot.Blue, "hawebapp no db": plot.Green, "hand-written": plot.Orange} {
		if n := plot.PixelsOf(img, c); n < 50 {
			t.Errorf("%s: %d pixels of its colour on the chart", name, n)
		}
	}
	if dir := os.Getenv("BENCH_CHART_OUT"); dir != "" {
		_ = os.WriteFile(dir, b, 0o644)
	}
	doc := Markdown(r)
	for _, w := range []string{"| apply |", "MISSED", "not AWS provisioning time", "benchmarks.png"} {
		if !strings.Contains(doc, w) {
			t.Errorf("doc lacks %q", w)
		}
	}
}

// contributing/benchmarks.md is what the benchmark writes from contributing/benchmarks.json,
// the measured file: a figure edited by hand in the page, or a change to the
// page's generator without a new run, fails here (make bench writes both).
func TestBenchmarksPageIsGeneratedFromTheMeasurements(t *testing.T) {
	js, err := os.ReadFile(filepath.Join("..", "..", "contributing", "benchmarks.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Results
	if err := json.Unmarshal(js, &r); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join("..", "..", "contributing", "benchmarks.md"))
	if err != nil {
		t.Fatal(err)
	}
	if got := Markdown(&r); got != string(page) {
		t.Errorf("contributing/benchmarks.md differs from what contributing/benchmarks.json renders; run make bench, or render the page again from the json")
	}
}
