package test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// TestMinimalExample applies examples/minimal, checks every part of the
// stack with the AWS SDK, proves the next plan is empty, destroys, and
// proves nothing tagged with the stack's name is left.
func TestMinimalExample(t *testing.T) {
	// Against its own moto, with no load: runs beside the other moto-only
	// tests, after the sandbox tests under load (which run alone).
	t.Parallel()
	tg := newTarget(t)
	name := stackName("mini")
	opts := tg.options(t, "minimal", map[string]any{"name": name})

	exampleStages(t, opts, func() {
		st := stackState(t, opts)
		outputs := terraform.OutputForKeysContext(t, t.Context(), opts, []string{
			"url", "dns_name", "autoscaling_group_names", "db_endpoint", "db_secret_arn", "capacity_after_zone_loss",
		})
		assertMinimalStack(t, tg, name, st, outputs)
	}, func() {
		assertNothingLeft(t, tg, name)
	})
}

// exampleStages runs an example's life as Terratest stages: deploy (init
// and apply), validate, plan_empty (the next plan has no changes), and
// teardown (destroy, then gone: nothing of the stack is left), deferred so
// that it runs whichever earlier stage fails.
func exampleStages(t *testing.T, opts *terraform.Options, validate, gone func()) {
	t.Helper()
	defer test_structure.RunTestStage(t, "teardown", func() {
		start := time.Now()
		terraform.DestroyContext(t, background(), opts)
		t.Logf("destroy took %s", time.Since(start).Round(time.Second))
		gone()
	})

	test_structure.RunTestStage(t, "deploy", func() {
		start := time.Now()
		terraform.InitAndApplyContext(t, t.Context(), opts)
		t.Logf("init and apply took %s", time.Since(start).Round(time.Second))
	})

	test_structure.RunTestStage(t, "validate", validate)

	test_structure.RunTestStage(t, "plan_empty", func() {
		if code := terraform.PlanExitCodeContext(t, t.Context(), opts); code != 0 {
			t.Errorf("plan after apply exited %d, want 0 (no changes): the provider reports drift on what it just made", code)
		}
	})
}

// stackValues are the computed attributes of a hawebapp_stack the checks
// compare with what AWS reports (e2e.StackValues).
type stackValues = e2e.StackValues

// stackState reads hawebapp_stack.app from `terraform show -json`.
func stackState(t *testing.T, opts *terraform.Options) stackValues {
	t.Helper()
	var v stackValues
	e2e.StateResource(t, opts, "hawebapp_stack.app", &v)
	return v
}

// Two releases of the example app: a new app_release_url changes the user
// data, so the apply adds a launch template version and rolls it out.
const (
	releaseOne = "https://releases.example.com/v1/hawebapp-app_linux_amd64"
	releaseTwo = "https://releases.example.com/v2/hawebapp-app_linux_amd64"
)

// TestMinimalExampleSandbox is examples/minimal's whole life in the strict
// sandbox (real health checks, HAProxy, one app process per instance,
// PostgreSQL, target tracking on real request counts, compressed time):
// create; a new release rolled out under steady load while target tracking
// is active (no failed request, every instance on the new launch template
// version, AlarmNotification resumed); import of the stack into a fresh
// state entry with an empty plan after it; destroy with nothing left.
func TestMinimalExampleSandbox(t *testing.T) {
	sbt := newSandboxTarget(t)
	ctx := t.Context()
	name := stackName("life")
	// A target of 10 requests per instance and minute, which the load below
	// exceeds twice over, so target tracking wants to act during the rollout.
	opts := sbt.options(t, "minimal", map[string]any{"name": name, "requests_per_instance": 10, "app_release_url": releaseOne})
	defer func() {
		start := time.Now()
		terraform.DestroyContext(t, background(), opts)
		t.Logf("destroy took %s", time.Since(start).Round(time.Second))
		assertNothingLeft(t, sbt.target, name)
	}()
	start := time.Now()
	terraform.InitAndApplyContext(t, ctx, opts)
	t.Logf("create took %s", time.Since(start).Round(time.Second))

	url := sbt.servedURL(t, terraform.OutputContext(t, ctx, opts, "dns_name"))
	// Steady load: 20 requests a second from one ab process, about 20 per
	// instance and emulated minute (3 s), twice the policy's target; every
	// request accounted for by the soak library.
	load, err := soak.Start(ctx, soak.Options{Name: "rollout", URL: url + "/health", Concurrency: 2, Rate: 20, Drain: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Let target tracking see the load for a few emulated minutes first.
	env.Until(t, "150 successful requests", 2*time.Minute, func() (bool, string) { pr := load.Progress(); return pr.OK >= 150, fmt.Sprintf("%+v", pr) })

	opts.Vars["app_release_url"] = releaseTwo
	start = time.Now()
	terraform.ApplyContext(t, ctx, opts)
	t.Logf("rollout apply took %s", time.Since(start).Round(time.Second))
	res, err := load.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("during the rollout: %s", res.Summary())
	if res.Sent == 0 || res.Failed > 0 {
		t.Errorf("want every request answered 2xx during the rollout: %s (%s)", res.Summary(), soak.FormatReasons(res.Reasons))
	}
	assertRolledOut(t, sbt.target, name, stackState(t, opts).LaunchTemplateVersion)
	if code := terraform.PlanExitCodeContext(t, ctx, opts); code != 0 {
		t.Errorf("plan after the rollout exited %d, want 0 (no changes)", code)
	}

	// Import: once target tracking has scaled the idle stack back in to the
	// configured capacity (import reads the capacity AWS reports, and the
	// configuration's desired is what an import can be checked against),
	// the stack leaves the state and comes back by `terraform import`; the
	// plan must then be empty.
	env.Until(t, "a desired capacity of 3 in all", 5*time.Minute, func() (bool, string) {
		n := totalDesired(t, sbt.target, name)
		return n == 3, fmt.Sprintf("%d desired", n)
	})
	terraform.RunTerraformCommandContext(t, ctx, opts, "state", "rm", "hawebapp_stack.app")
	// Options (the example's -var flags) go before the address and the ID.
	terraform.RunTerraformCommandContext(t, ctx, opts, append(terraform.FormatArgs(opts, "import", "-input=false"), "hawebapp_stack.app", name)...)
	if code := terraform.PlanExitCodeContext(t, ctx, opts); code != 0 {
		t.Errorf("plan after the import exited %d, want 0 (no changes): the import does not read back what the example configures", code)
	}
}

// servedURL is the base URL at which the sandbox's HAProxy serves the load
// balancer with the given DNS name.
func (sbt *sandboxTarget) servedURL(t *testing.T, dns string) string {
	t.Helper()
	state, err := sbt.sb.Client().State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range state.LoadBalancers {
		if l.DNSName == dns {
			return l.URL
		}
	}
	t.Fatalf("the sandbox serves no load balancer %s: %+v", dns, state.LoadBalancers)
	return ""
}

// assertRolledOut checks every zonal group of the stack pins the launch
// template version, runs only instances on it and suspends no process.
func assertRolledOut(t *testing.T, tg *target, name string, version int64) {
	t.Helper()
	groups := ownedGroups(t.Context(), t, tg, name)
	if len(groups) != 3 {
		t.Fatalf("%d groups, want 3", len(groups))
	}
	if version < 2 {
		t.Errorf("launch template version %d after a user-data change, want at least 2", version)
	}
	want := strconv.FormatInt(version, 10)
	for _, g := range groups {
		if v := aws.ToString(g.LaunchTemplate.Version); v != want {
			t.Errorf("%s pins launch template version %s, want %s", aws.ToString(g.AutoScalingGroupName), v, want)
		}
		for _, inst := range g.Instances {
			if v := aws.ToString(inst.LaunchTemplate.Version); v != want {
				t.Errorf("%s: instance %s on version %s, want %s", aws.ToString(g.AutoScalingGroupName), aws.ToString(inst.InstanceId), v, want)
			}
		}
		for _, p := range g.SuspendedProcesses {
			t.Errorf("%s: %s still suspended after the rollout", aws.ToString(g.AutoScalingGroupName), aws.ToString(p.ProcessName))
		}
	}
}

// totalDesired is the sum of the stack's groups' desired capacities.
func totalDesired(t *testing.T, tg *target, name string) int32 {
	t.Helper()
	var n int32
	for _, g := range ownedGroups(t.Context(), t, tg, name) {
		n += aws.ToInt32(g.DesiredCapacity)
	}
	return n
}

// TestModulesApply runs every module's apply test (tests/apply.tftest.hcl:
// apply, assertions, destroy) against one sandbox. `make test`'s Terraform
// checks run only the mocked plan tests, which need no endpoint.
func TestModulesApply(t *testing.T) {
	// Against its own moto, with no load: runs beside the other moto-only
	// tests, after the sandbox tests under load (which run alone).
	t.Parallel()
	tg := newSandboxTarget(t)
	for _, module := range []string{"web-app", "load-runner"} {
		t.Run(module, func(t *testing.T) {
			opts := tg.treeOptions(t, filepath.Join("modules", module), nil)
			start := time.Now()
			terraform.RunTerraformCommandContext(t, t.Context(), opts, "init", "-input=false", "-backend=false")
			terraform.RunTerraformCommandContext(t, t.Context(), opts, "test", "-filter=tests/apply.tftest.hcl")
			t.Logf("terraform test took %s", time.Since(start).Round(time.Second))
			if module == "web-app" {
				assertNothingLeft(t, tg.target, "webapp-apply") // the stack's name in the test file
			}
		})
	}
}
