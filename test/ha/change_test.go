package ha

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/scenario"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// failoverOutage is how long a Multi-AZ failover may leave the database
// away, in AWS time: the top of "typically 60-120 seconds" (RDS user guide,
// "Failing over a Multi-AZ DB instance for Amazon RDS").
const failoverOutage = 120 * time.Second

// dbFailover (suite 5): the database fails over under a write load; every
// acknowledged write can be read back afterwards, and writes fail only
// within the failover's window.
func dbFailover(t *testing.T, s *stack) figures {
	ctx := t.Context()
	s.waitSteady(t, s.size.Recover)
	rate := s.baseRate(s.inService(ctx, t).Total())
	budget := soak.OutageBudget("database failover", failoverOutage, s.settings, soak.Load{Rate: rate, Concurrency: concurrency})
	logBudget(t, budget)
	w, err := soak.StartWrites(ctx, soak.WriteOptions{Name: "writes through a failover", URL: s.url + "/fruits", Rate: rate, Concurrency: concurrency, Drain: drain})
	if err != nil {
		t.Fatal(err)
	}
	logf(t, "writes: %.1f a second, concurrency %d, to %s/fruits", rate, concurrency, s.url)
	until(t, time.Now().Add(s.size.Settle))
	at := time.Now()
	if err := s.brk.FailoverDB(ctx, s.st.DBInstanceIdentifier); err != nil {
		_, _ = w.Stop()
		t.Fatal(err)
	}
	logf(t, "database %s failing over", s.st.DBInstanceIdentifier)
	until(t, at.Add(budget.Window).Add(s.size.Tail))
	res, acks := w.Stop()
	if err := res.Accounted(); err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	if err := budget.Check(res, at); err != nil {
		t.Error(err)
		for _, a := range s.activitiesSince(ctx, t, at) {
			t.Logf("  scaling activity since the failover: %s", a)
		}
	}
	if len(acks) == 0 {
		t.Fatalf("no write was acknowledged: %s", res.Summary())
	}
	lost, err := soak.VerifyWrites(ctx, acks, s.size.Recover)
	if err != nil {
		t.Fatal(err)
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d acknowledged writes are lost after the failover, first %s (acknowledged %s)",
			len(lost), len(acks), lost[0].Key, lost[0].At.Format(time.RFC3339Nano))
	}
	return figures{Suite: "db failover", Requests: res.Sent, Failed: res.Failed, Budget: budget.MaxFailed,
		BudgetWindow: budget.Window, Window: failureWindow(res, at), Note: fmt.Sprintf("%d acknowledged writes, %d lost", len(acks), len(lost))}
}

// scaleOutIn (suite 6): a load of twice the target-tracking target makes
// every zonal group scale out, without failures; when the load drops to a
// trickle they scale back in, draining without failures.
func scaleOutIn(t *testing.T, s *stack) figures {
	ctx := t.Context()
	s.waitSteady(t, s.size.Recover)
	before := s.inService(ctx, t)
	p := s.start(t, "scale out", s.rateFor(2*s.scalingTarget, before.Total()), drain)
	env.Until(t, "every zone scaled out", s.size.Recover, func() (bool, string) {
		now := s.inService(ctx, t)
		for _, z := range s.zones {
			if len(now[z]) <= len(before[z]) {
				return false, fmt.Sprintf("%s has %d in service, %d before the load", z, len(now[z]), len(before[z]))
			}
		}
		return true, ""
	})
	s.waitSteady(t, s.size.Recover)
	peak := s.inService(ctx, t)
	logf(t, "scaled out from %d to %d instances", before.Total(), peak.Total())
	out := stop(t, p)
	if out.Failed > 0 {
		t.Errorf("scale out: want no failed request: %s", out.Summary())
	}

	// A trickle below the target: target tracking scales in; the targets
	// it removes drain first (DrainBudget: no failure while requests are
	// shorter than the deregistration delay).
	light := s.rateFor(0.1*s.scalingTarget, before.Total())
	budget := soak.DrainBudget(s.settings, soak.Load{Rate: light, Concurrency: concurrency}, time.Duration(out.Latency.Max*float64(time.Millisecond)))
	logBudget(t, budget)
	q := s.start(t, "scale in", light, drain)
	at := time.Now()
	env.Until(t, "the groups back at their size before the load", s.size.Recover, func() (bool, string) {
		now := s.inService(ctx, t)
		if now.Total() > before.Total() {
			return false, fmt.Sprintf("%d in service, %d before the load", now.Total(), before.Total())
		}
		return s.steady(ctx, t)
	})
	logf(t, "scaled back in to %d instances", s.inService(ctx, t).Total())
	in := stop(t, q)
	if err := budget.Check(in, at); err != nil {
		t.Error(err)
	}
	return figures{Suite: "scale out/in", Requests: out.Sent + in.Sent, Failed: out.Failed + in.Failed, Budget: budget.MaxFailed,
		BudgetWindow: budget.Window, Window: failureWindow(in, at), Note: fmt.Sprintf("%d -> %d -> %d instances", before.Total(), peak.Total(), before.Total())}
}

// rollingDeploy (suite 4): a user-data change (a new app release URL) under
// a load above the target-tracking target, so target tracking is active
// and wants to scale out while the provider rolls the new launch template
// version out zone by zone: no request fails, and every instance ends on
// the new version.
func rollingDeploy(t *testing.T, s *stack) figures {
	ctx := t.Context()
	s.waitSteady(t, s.size.Recover)
	before := pinnedVersion(s.groups(ctx, t))
	n := s.inService(ctx, t).Total()
	p := s.startSettled(t, "rolling deploy", s.rateFor(1.5*s.scalingTarget, n))
	// The same release with a marker in its URL: a new user data that still
	// downloads the app on AWS.
	s.opts.Vars["app_release_url"] = exampleReleaseURL + "?release=" + time.Now().UTC().Format("20060102T150405")
	start := time.Now()
	terraform.ApplyContext(t, ctx, s.opts)
	logf(t, "rollout apply took %s", time.Since(start).Round(time.Second))
	res := stop(t, p)
	if res.Sent == 0 || res.Failed > 0 {
		t.Errorf("rolling deploy: want every request answered 2xx: %s", res.Summary())
	}

	// Every group pins one new version (read from AWS, not the state), and
	// every instance runs it.
	groups := s.groups(ctx, t)
	newest := pinnedVersion(groups)
	if newest <= before {
		t.Fatalf("groups pin launch template version %d at most after the change, %d before: no new version", newest, before)
	}
	want := strconv.FormatInt(newest, 10)
	for zone, g := range groups {
		name := aws.ToString(g.AutoScalingGroupName)
		if g.LaunchTemplate == nil || aws.ToString(g.LaunchTemplate.Version) != want {
			t.Errorf("%s (%s) launches %+v, want version %s", name, zone, g.LaunchTemplate, want)
		}
		for _, in := range g.Instances {
			if in.LaunchTemplate == nil || aws.ToString(in.LaunchTemplate.Version) != want {
				t.Errorf("%s: instance %s on %+v, want version %s", name, aws.ToString(in.InstanceId), in.LaunchTemplate, want)
			}
		}
		for _, sp := range g.SuspendedProcesses {
			t.Errorf("%s: %s still suspended after the rollout", name, aws.ToString(sp.ProcessName))
		}
	}
	if code := terraform.PlanExitCodeContext(t, ctx, s.opts); code != 0 {
		t.Errorf("plan after the rollout exited %d, want 0 (no changes)", code)
	}
	return figures{Suite: "rolling deploy", Requests: res.Sent, Failed: res.Failed, Budget: -1,
		Note: fmt.Sprintf("launch template version %d -> %s", before, want)}
}

// exampleReleaseURL is examples/complete's default app_release_url.
const exampleReleaseURL = "https://github.com/hawebapp/terraform-provider-hawebapp/releases/latest/download/hawebapp-app_linux_amd64"

// pinnedVersion is the highest launch template version the groups pin (a
// number: never $Latest or $Default; those read as 0 and fail the checks).
func pinnedVersion(groups map[string]astypes.AutoScalingGroup) int64 {
	var v int64
	for _, g := range groups {
		if g.LaunchTemplate != nil {
			n, _ := strconv.ParseInt(aws.ToString(g.LaunchTemplate.Version), 10, 64)
			v = max(v, n)
		}
	}
	return v
}

// autoshiftSuite is suite 11. Full size only (`make soak`): on a stack of
// its own it adds an apply, a recovery and a practice run of 30 emulated
// minutes, several minutes in all, beyond what `make test` affords.
var autoshiftSuite = suite{"zonal_autoshift", zonalAutoshift}

// zonalAutoshift (suite 11, full size only): the stack turns zonal_autoshift
// on; a zone loses power and AWS (the sandbox) shifts traffic away with no
// apply, the state names the autoshift, the recovery completes it with an
// empty plan; then a practice run on request ends SUCCEEDED with the
// stack's outcome alarm never in ALARM (scenario.Stack.Autoshift). Sandbox
// only: on AWS only AWS declares a zone impaired.
func zonalAutoshift(t *testing.T, s *stack) figures {
	if s.tg.Sandbox == nil {
		t.Skip("zonal autoshift: only AWS declares a zone impaired (no FIS action starts an autoshift); runs in the sandbox")
		return figures{}
	}
	// Kept in the stack's options: the scenario's plans must see it.
	s.opts.Vars["zonal_autoshift"] = map[string]any{"enabled": true}
	start := time.Now()
	if _, err := terraform.ApplyContextE(t, t.Context(), s.opts); err != nil {
		t.Fatalf("turning zonal_autoshift on: %v", err)
	}
	logf(t, "the apply turning zonal_autoshift on took %s", time.Since(start).Round(100*time.Millisecond))
	res, err := s.scenario(t).Autoshift(t.Context(), scenario.Options{Concurrency: concurrency, ClientTimeout: clientTimeout, Drain: drain,
		Settle: s.size.Settle, Tail: s.size.Tail, Recover: s.size.Recover})
	for _, msg := range res.Failures {
		t.Error(msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return figures{Suite: "zonal_autoshift", Requests: res.Sent, Failed: res.Failed, Budget: -1, Note: res.Summary()}
}

// RefreshedStack refreshes the root's state (an apply -refresh-only) and
// returns its hawebapp_stack's attributes.
func (tf stackTerraform) RefreshedStack(ctx context.Context) (map[string]any, error) {
	args := terraform.FormatArgs(tf.opts, "apply", "-refresh-only", "-auto-approve", "-input=false")
	if _, err := terraform.RunTerraformCommandContextE(tf.t, ctx, tf.opts, args...); err != nil {
		return nil, fmt.Errorf("refreshing the state: %w", err)
	}
	out, err := terraform.ShowContextE(tf.t, ctx, tf.opts)
	if err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	var st struct {
		Values struct {
			RootModule stateModule `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	if attrs := st.Values.RootModule.find("hawebapp_stack"); attrs != nil {
		return attrs, nil
	}
	return nil, fmt.Errorf("no hawebapp_stack in the state")
}

// stateModule is a module of `terraform show -json`'s state: its resources
// and its child modules.
type stateModule struct {
	Resources []struct {
		Type   string         `json:"type"`
		Values map[string]any `json:"values"`
	} `json:"resources"`
	ChildModules []stateModule `json:"child_modules"`
}

// find is the attributes of the module tree's first resource of type typ.
func (m stateModule) find(typ string) map[string]any {
	for _, r := range m.Resources {
		if r.Type == typ {
			return r.Values
		}
	}
	for _, c := range m.ChildModules {
		if v := c.find(typ); v != nil {
			return v
		}
	}
	return nil
}
