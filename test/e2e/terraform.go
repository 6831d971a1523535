package e2e

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gruntwork-io/terratest/modules/files"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// TreeOptions copies examples/ and modules/ (without Terraform's local
// files) to a temporary directory, keeping their layout so that roots find
// ../../modules, and returns options for dir (such as "examples/complete")
// with the target's environment.
func (tg *Target) TreeOptions(t *testing.T, dir string, vars map[string]any) *terraform.Options {
	t.Helper()
	return TreeOptions(t, dir, vars, tg.Env)
}

// TreeOptions is Target.TreeOptions for any environment.
func TreeOptions(t *testing.T, dir string, vars map[string]any, env map[string]string) *terraform.Options {
	t.Helper()
	return TreeOptionsIn(t, t.TempDir(), dir, vars, env)
}

// TreeOptionsIn is TreeOptions with the copy in tmp, a folder that may
// outlive the test (so a later run can continue with the same root and
// state: Terratest's test_structure stages).
func TreeOptionsIn(t *testing.T, tmp, dir string, vars map[string]any, env map[string]string) *terraform.Options {
	t.Helper()
	root := RepoRoot(t)
	keep := func(path string) bool {
		return !files.PathContainsHiddenFileOrFolder(path) && !files.PathContainsTerraformStateOrVars(path) &&
			!files.PathIsTerraformVersionFile(path)
	}
	for _, d := range []string{"examples", "modules"} {
		if err := files.CopyFolderContentsWithFilter(filepath.Join(root, d), filepath.Join(tmp, d), keep); err != nil {
			t.Fatalf("copying %s: %v", d, err)
		}
	}
	return terraform.WithDefaultRetryableErrors(t, &terraform.Options{
		TerraformDir:    filepath.Join(tmp, dir),
		TerraformBinary: CLI(t),
		Vars:            vars,
		EnvVars:         env,
		NoColor:         true,
	})
}

// CLI is the Terraform or OpenTofu binary the tests run (tfcli.Binary:
// HAWEBAPP_TF_BINARY, else terraform on PATH); a client that is named but
// missing fails the test with what to do.
func CLI(t testing.TB) string {
	t.Helper()
	bin, err := tfcli.Binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// StateResource reads the values of one resource (a full address such as
// module.web_app.hawebapp_stack.this) from `terraform show -json` into v.
func StateResource(t *testing.T, opts *terraform.Options, address string, v any) {
	t.Helper()
	quiet, err := opts.Clone()
	if err != nil {
		t.Fatal(err)
	}
	quiet.Logger = logger.Discard // the whole state is too long for the log
	out := terraform.RunTerraformCommandAndGetStdoutContext(t, t.Context(), quiet, "show", "-json", "-no-color")
	type module struct {
		Resources []struct {
			Address string          `json:"address"`
			Values  json.RawMessage `json:"values"`
		} `json:"resources"`
		ChildModules []json.RawMessage `json:"child_modules"`
	}
	var doc struct {
		Values struct {
			RootModule json.RawMessage `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("parsing terraform show -json: %v", err)
	}
	pending := []json.RawMessage{doc.Values.RootModule}
	for len(pending) > 0 {
		var m module
		if err := json.Unmarshal(pending[0], &m); err != nil {
			t.Fatalf("parsing terraform show -json: %v", err)
		}
		pending = append(pending[1:], m.ChildModules...)
		for _, r := range m.Resources {
			if r.Address == address {
				if err := json.Unmarshal(r.Values, v); err != nil {
					t.Fatalf("parsing %s: %v", address, err)
				}
				return
			}
		}
	}
	t.Fatalf("%s is not in the state", address)
}
