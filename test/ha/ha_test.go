// Package ha holds the HA suites: each applies examples/complete through
// the provider, checks the stack through the AWS API, soaks it with ab
// (test/soak) while something breaks, holds the failures to a budget
// computed beforehand from the stack's own settings, destroys the stack
// and proves nothing of it is left (test/leaks).
//
// They run in the sandbox (test/sandbox) by default and against real AWS
// with the same code when HAWEBAPP_E2E_REAL_AWS=1; HAWEBAPP_HA_SIZE=full
// (`make soak`) gives each suite its own stack and soaks at full length.
// See contributing/ha-suites.md.
package ha

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
)

// suite is one HA suite, run against a stack that is up.
type suite struct {
	name string
	run  func(t *testing.T, s *stack) figures
}

// suites 1 to 6, in the order one shared stack runs them: the failures
// first at the base load, then the scale-out and back in, the rollout last
// (it leaves the stack scaled out).
var suites = slices.Concat([]suite{
	{"steady_state", steadyState},
	{"instance_loss", instanceLoss},
	{"zone_loss", zoneLoss},
}, zoneFaultSuites(), []suite{
	{"db_failover", dbFailover},
	{"scale_out_in", scaleOutIn},
	{"rolling_deploy", rollingDeploy},
})

// TestHA runs suites 1 to 6. CI size (`make test`): one examples/complete
// stack runs them in sequence with short soaks and compressed time. Full
// size (`make soak`, HAWEBAPP_HA_SIZE=full): each suite gets its own stack,
// the load-runner example (suite 7), the capacity shortage (suite 10,
// capacity_test.go) and zonal autoshift (suite 11) run too. Each run ends
// with the figures of every suite.
func TestHA(t *testing.T) {
	if testing.Short() {
		t.Skip("HA suites: not with -short")
	}
	sz := sizeFromEnv(t, e2e.RealAWS())
	var all []figures
	defer func() { report(t, sz, all) }()
	if !sz.full {
		all = runStack(t, "ci", sz, suites)
		return
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { all = append(all, runStack(t, s.name, sz, []suite{s})...) })
	}
	t.Run("load_runner", func(t *testing.T) { all = append(all, loadRunner(t, sz)) })
	t.Run("capacity_shortage", func(t *testing.T) { all = append(all, capacityShortage(t, sz)) })
	t.Run(autoshiftSuite.name, func(t *testing.T) {
		all = append(all, runStack(t, autoshiftSuite.name, sz, []suite{autoshiftSuite})...)
	})
}

// runStack stands up one stack in stages (deploy, validate, soak,
// teardown: Terratest's test_structure, so SKIP_<stage> re-runs only some
// of them against a stack kept in HAWEBAPP_HA_WORKDIR) and runs suites on
// it, each as a subtest.
func runStack(t *testing.T, label string, sz size, list []suite) []figures {
	tg := e2e.NewStackTarget(t)
	dir := stageDir(t, tg, label)
	start := time.Now()
	defer func() {
		t.Logf("%s: %d suites on one stack took %s", label, len(list), time.Since(start).Round(time.Second))
	}()
	defer test_structure.RunTestStage(t, "teardown", func() { teardown(t, tg, dir) })
	test_structure.RunTestStage(t, "deploy", func() { deploy(t, tg, dir) })
	test_structure.RunTestStage(t, "validate", func() { validate(t, tg, dir) })
	var out []figures
	test_structure.RunTestStage(t, "soak", func() {
		s := openStack(t, tg, dir, sz)
		t.Logf("stack %s: zones %v, %s; settings %+v", s.name, s.zones, s.url, s.settings)
		for _, su := range list {
			su := su
			t.Run(su.name, func(t *testing.T) {
				f := su.run(t, s)
				if t.Failed() {
					f.Note = strings.TrimSpace(f.Note + " FAILED")
				}
				out = append(out, f)
			})
		}
	})
	return out
}

// validate checks the stack through the AWS API (test/e2e's checks of a
// three-zone stack with its database).
func validate(t *testing.T, tg *e2e.Target, dir string) {
	t.Helper()
	opts, name := savedOptions(t, tg, dir)
	st := stackValues(t, opts, dir)
	// One `terraform output` for all of them: each run of terraform in a
	// root that holds hashicorp/aws pays its start-up.
	outputs := terraform.OutputAllContext(t, t.Context(), opts)
	e2e.AssertStack(t, tg, name, st, outputs)
}

// report prints each suite's figures.
func report(t *testing.T, sz size, all []figures) {
	t.Helper()
	if len(all) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("HA suites, " + sz.name + " size:\n")
	for _, f := range all {
		b.WriteString("  " + f.String() + "\n")
	}
	t.Log(b.String())
}

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
