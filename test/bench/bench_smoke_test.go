package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
