package reliability

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	testenv "github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// tally is what a campaign measured, for contributing/reliability.md.
type tally struct {
	kills      int
	duplicates int
	leaks      int
}

// lifecycle creates the stack, rolls out new user data zone by zone and
// destroys it. Each phase with a kill point is killed there first, then run
// again: the rerun must converge (no "already exists", no duplicate, an
// empty plan after it); the rerun of a killed destroy must leave nothing.
// serves, when set, is called once the stack converged after its create.
func (e *env) lifecycle(t *testing.T, points []killPoint, serves func(t *testing.T)) tally {
	t.Helper()
	var got tally
	at := func(phase string) (killPoint, bool) {
		for _, p := range points {
			if p.phase == phase {
				return p, true
			}
		}
		return killPoint{}, false
	}
	apply := []string{"apply", "-auto-approve", "-input=false", "-no-color"}
	destroy := []string{"destroy", "-auto-approve", "-input=false", "-no-color"}
	destroyed := false
	defer func() {
		if !destroyed {
			_, _ = e.terraform(t, destroy...)
		}
	}()

	e.rec.Reset()
	if p, ok := at("create"); ok {
		e.runKilled(t, p, apply...)
		got.kills++
	}
	got.duplicates += e.converged(t)
	t.Logf("create: %d provider calls: %s", len(e.rec.Calls()), e.rec.Summary())
	if serves != nil {
		serves(t)
	}

	e.rec.Reset()
	e.setUserData(t, "release two")
	if p, ok := at("update"); ok {
		e.runKilled(t, p, apply...)
		got.kills++
	}
	got.duplicates += e.converged(t)
	e.rolledOut(t, "")
	t.Logf("update: %d provider calls: %s", len(e.rec.Calls()), e.rec.Summary())

	e.rec.Reset()
	if p, ok := at("destroy"); ok {
		e.runKilled(t, p, destroy...)
		got.kills++
	}
	e.mustRun(t, destroy...)
	destroyed = true
	got.leaks = e.nothingLeft(t)
	t.Logf("destroy: %d provider calls: %s", len(e.rec.Calls()), e.rec.Summary())
	return got
}

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

// Kill points, each before the nth call of an action (counted by the
// recorder among the provider's calls of the run), which still reaches AWS:
// the apply dies with AWS having done something it never heard back about.
// Measured for this stack (a create makes ~143 calls, the rollout ~112, the
// destroy ~82; contributing/reliability.md). The rollout replaces one zone
// after the other: suspend, raise desired, wait healthy, terminate the old
// instance, resume.
var lifecycles = [][]killPoint{
	{ // in make test
		{phase: "create", action: "CreateAutoScalingGroup", nth: 2, why: "one zonal group made, the next one's create sent"},
		{phase: "update", action: "TerminateInstanceInAutoScalingGroup", nth: 1, why: "in the first zone's rollout: new instance healthy, old one being terminated"},
		{phase: "destroy", action: "DeleteLoadBalancer", nth: 1, why: "groups gone, load balancer being deleted"},
	},
	{ // full size only from here
		{phase: "create", action: "CreateLoadBalancer", nth: 1, why: "security groups and role made, load balancer create sent"},
		{phase: "update", action: "CreateLaunchTemplateVersion", nth: 1, why: "the new launch template version made, no group told"},
		{phase: "destroy", action: "DeleteDBInstance", nth: 1, why: "database delete sent"},
	},
	{
		{phase: "create", action: "CreateListener", nth: 1, why: "load balancer and target group made, listener create sent"},
		{phase: "update", action: "SetDesiredCapacity", nth: 2, why: "first zone rolled out, second zone's extra instance asked for"},
		{phase: "destroy", action: "DeleteSecurityGroup", nth: 2, why: "one security group gone"},
	},
	{
		{phase: "create", action: "CreateSecurityGroup", nth: 2, why: "one security group made, the second's create sent"},
		{phase: "update", action: "ResumeProcesses", nth: 1, why: "first zone rolled out, its processes still suspended"},
		{phase: "destroy", action: "DeleteAutoScalingGroup", nth: 2, why: "one zonal group deleted, the second's delete sent"},
	},
}

// TestKilledApplyConverges kills terraform apply and terraform destroy (the
// whole process group, SIGKILL) at the kill points above, over create,
// update (in the middle of a zone's rollout) and destroy. After each kill
// the next run converges with no "already exists" and no duplicate, the
// plan after it is empty, and the destroy leaves nothing.
func TestKilledApplyConverges(t *testing.T) {
	t.Parallel() // each has its own emulator
	n := 1
	if full() {
		n = len(lifecycles)
	}
	var sum tally
	results := make(chan tally, n)
	t.Run("group", func(t *testing.T) {
		for i, points := range lifecycles[:n] {
			t.Run(fmt.Sprintf("lifecycle%d", i+1), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, fmt.Sprintf("kill%d", i+1))
				for _, p := range points {
					t.Logf("kill point %s: %s", p, p.why)
				}
				results <- e.lifecycle(t, points, nil)
			})
		}
	})
	close(results)
	for r := range results {
		sum.kills, sum.duplicates, sum.leaks = sum.kills+r.kills, sum.duplicates+r.duplicates, sum.leaks+r.leaks
	}
	t.Logf("FIGURES kill points=%d duplicates=%d leaks=%d", sum.kills, sum.duplicates, sum.leaks)
}

// TestKilledCreateServesSandbox kills a create in the sandbox right as the
// database create is sent, then checks the converged stack serves through
// its load balancer (HAProxy and app processes) before the update and
// destroy carry on.
func TestKilledCreateServesSandbox(t *testing.T) {
	t.Parallel() // each has its own emulator
	e := newSandboxEnv(t, "killsb")
	points := []killPoint{{phase: "create", action: "CreateDBInstance", nth: 1, why: "database create sent"}}
	got := e.lifecycle(t, points, e.serves)
	t.Logf("FIGURES kill points=%d duplicates=%d leaks=%d", got.kills, got.duplicates, got.leaks)
}

// serves waits until the stack's load balancer answers /health with 200.
func (e *env) serves(t *testing.T) {
	t.Helper()
	arn := strings.TrimSpace(e.mustRun(t, "output", "-raw", "-no-color", "load_balancer_arn"))
	url := ""
	testenv.Until(t, "the sandbox serves load balancer "+arn, 2*time.Minute, testenv.NoError(func() error {
		st, err := e.sb.Client().State(t.Context())
		if err != nil {
			return err
		}
		for _, lb := range st.LoadBalancers {
			if lb.ARN == arn {
				url = lb.URL + "/health"
			}
		}
		if url == "" {
			return fmt.Errorf("no such load balancer in %+v", st.LoadBalancers)
		}
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}))
	t.Logf("the converged stack serves: GET %s answered 200", url)
}
