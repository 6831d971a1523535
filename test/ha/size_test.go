package ha

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// sizeEnv picks the run's size: "ci" (default: `make test`) or "full"
// (`make soak`).
const sizeEnv = "HAWEBAPP_HA_SIZE"

// size is how long the suites soak. Budgets never depend on it: they come
// from the stack's settings and the load alone.
type size struct {
	name string
	// full gives every suite its own stack and adds the load-runner suite.
	full bool
	// Steady is the steady-state soak.
	Steady time.Duration
	// Settle is the load before something breaks.
	Settle time.Duration
	// Tail is the load kept after a failure's budget window, which must be
	// clean.
	Tail time.Duration
	// Recover bounds each wait for the stack to recover (a replacement, a
	// zone's return, a scale-out or scale-in).
	Recover time.Duration
}

func sizeFromEnv(t *testing.T, real bool) size {
	t.Helper()
	var s size
	switch v := strings.ToLower(os.Getenv(sizeEnv)); v {
	case "", "ci":
		s = size{name: "ci", Steady: 15 * time.Second, Settle: 3 * time.Second, Tail: 10 * time.Second, Recover: 4 * time.Minute}
	case "full":
		s = size{name: "full", full: true, Steady: 5 * time.Minute, Settle: 30 * time.Second, Tail: 2 * time.Minute, Recover: 10 * time.Minute}
	default:
		t.Fatalf("%s=%q: want ci or full", sizeEnv, v)
	}
	if real {
		// AWS time is not compressed: replacements take minutes, and a
		// target-tracking scale-in waits for 15 minutes of low load.
		s.Recover = 30 * time.Minute
	}
	return s
}

// figures are what a suite reports: the load, the failures, the budget
// computed before the run, and the failure window measured.
type figures struct {
	Suite    string
	Requests int
	Failed   int
	// Budget is the most failures allowed (-1: no failure budget, the suite
	// allows none).
	Budget int
	// BudgetWindow is how long after the failure its failures may last.
	BudgetWindow time.Duration
	// Window is measured: from the failure to the end of the last failed
	// request (0: none failed).
	Window time.Duration
	Note   string
}

func (f figures) String() string {
	budget := "0 (none allowed)"
	if f.Budget >= 0 {
		budget = fmt.Sprintf("%d within %s", f.Budget, f.BudgetWindow.Round(100*time.Millisecond))
	}
	return fmt.Sprintf("%-16s requests %6d  failed %5d  budget %-22s  failure window %-8s %s",
		f.Suite, f.Requests, f.Failed, budget, f.Window.Round(100*time.Millisecond), f.Note)
}
