package reliability

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// seedEnv overrides the fault injector's seed (a run is repeatable per seed).
const seedEnv = "HAWEBAPP_FAULT_SEED"

// TestFaultsLifecycle answers a fraction of the provider's calls (5%, 20%
// in make reliability) with throttling errors, HTTP 500 and 503, connection
// resets (before the call reaches AWS, and after it: a lost answer) and
// slow answers, through a whole lifecycle of a full stack:
// create, update with a zone-by-zone rollout, destroy. Every step succeeds,
// no child is duplicated, the plans are empty, nothing is left.
func TestFaultsLifecycle(t *testing.T) {
	t.Parallel() // each has its own emulator
	e := newEnv(t, "faults")
	f := &recorder.Faults{Seed: 11, Rate: 0.05, SlowDelay: 2 * time.Second, Forward: e.rec.Forward,
		// AWS answers a repeated CreateLoadBalancer or CreateListener with
		// identical settings with the existing child (ELBv2 API reference:
		// "each call succeeds"); the emulator makes a second one, so their
		// answers are not lost here (internal/cloud TestCreateAdoptsAfterLostAnswer).
		Match: func(c recorder.Call) bool { return c.Action != "CreateLoadBalancer" && c.Action != "CreateListener" }}
	if full() {
		f.Rate, f.SlowDelay = 0.20, 3*time.Second
	}
	if s := os.Getenv(seedEnv); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want an integer", seedEnv, s)
		}
		f.Seed = seed
	}
	e.setHook(f.Before)
	start := time.Now()
	got := e.lifecycle(t, nil, nil)
	t.Logf("FIGURES faults rate=%.2f seed=%d %s; duplicates=%d leaks=%d; took %s",
		f.Rate, f.Seed, f.Summary(), got.duplicates, got.leaks, time.Since(start).Round(time.Second))
	// At 5% (about 17 faults over six kinds) a kind can be missed; at 20%
	// every kind must have been met.
	inj := f.Injected()
	if full() && len(inj) < len(recorder.AllKinds) || len(inj) == 0 {
		t.Errorf("not every kind of fault was injected (%s): raise the rate or change the seed", f.Summary())
	}
}
