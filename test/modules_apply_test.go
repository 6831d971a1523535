package test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/terraform"
)

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
