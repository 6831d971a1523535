package test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"
)

// TestMinimalExample applies examples/minimal, checks every part of the
// stack with the AWS SDK, proves the next plan is empty, destroys, and
// proves nothing tagged with the stack's name is left.
func TestMinimalExample(t *testing.T) {
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

// stackValues are the computed attributes of hawebapp_stack.app the checks
// compare with what AWS reports.
type stackValues struct {
	LoadBalancerARN       string            `json:"load_balancer_arn"`
	HTTPListenerARN       string            `json:"http_listener_arn"`
	TargetGroupARN        string            `json:"target_group_arn"`
	SecurityGroupIDs      map[string]string `json:"security_group_ids"`
	LaunchTemplateID      string            `json:"launch_template_id"`
	LaunchTemplateVersion int64             `json:"launch_template_version"`
	AutoScalingGroupNames map[string]string `json:"autoscaling_group_names"`
	InstanceRoleARN       string            `json:"instance_role_arn"`
	InstanceProfile       string            `json:"instance_profile"`
	DBInstanceIdentifier  string            `json:"db_instance_identifier"`
	DBSecretARN           string            `json:"db_secret_arn"`
}

// stackState reads hawebapp_stack.app from `terraform show -json`.
func stackState(t *testing.T, opts *terraform.Options) stackValues {
	t.Helper()
	quiet, err := opts.Clone()
	if err != nil {
		t.Fatal(err)
	}
	quiet.Logger = logger.Discard // the whole state is too long for the log
	out := terraform.RunTerraformCommandAndGetStdoutContext(t, t.Context(), quiet, "show", "-json", "-no-color")
	var doc struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string          `json:"address"`
					Values  json.RawMessage `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("parsing terraform show -json: %v", err)
	}
	for _, r := range doc.Values.RootModule.Resources {
		if r.Address != "hawebapp_stack.app" {
			continue
		}
		var v stackValues
		if err := json.Unmarshal(r.Values, &v); err != nil {
			t.Fatalf("parsing hawebapp_stack.app state: %v", err)
		}
		return v
	}
	t.Fatal("hawebapp_stack.app is not in the state")
	return stackValues{}
}
