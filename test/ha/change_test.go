package ha

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
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
	p := s.start(t, "rolling deploy", s.rateFor(1.5*s.scalingTarget, n), drain)
	until(t, p.Started().Add(s.size.Settle))
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
