package test

import (
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
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

	defer test_structure.RunTestStage(t, "teardown", func() {
		start := time.Now()
		terraform.DestroyContext(t, background(), opts)
		t.Logf("destroy took %s", time.Since(start).Round(time.Second))
		assertNothingLeft(t, tg, name)
	})

	test_structure.RunTestStage(t, "deploy", func() {
		start := time.Now()
		terraform.InitAndApplyContext(t, t.Context(), opts)
		t.Logf("init and apply took %s", time.Since(start).Round(time.Second))
	})

	test_structure.RunTestStage(t, "validate", func() {
		st := stackState(t, opts)
		outputs := terraform.OutputForKeysContext(t, t.Context(), opts, []string{
			"url", "dns_name", "autoscaling_group_names", "db_endpoint", "db_secret_arn", "capacity_after_zone_loss",
		})
		assertMinimalStack(t, tg, name, st, outputs)
	})

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
