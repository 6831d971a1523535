package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/gruntwork-io/terratest/modules/files"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// sandboxMinuteSeconds is how long one emulated AWS minute lasts in the
// end-to-end sandbox (the sandbox's own default).
const sandboxMinuteSeconds = 3

// sandboxTarget is a target backed by the sandbox (test/sandbox): moto plus
// what moto lacks, such as Auto Scaling notification configurations, which
// the web-app module's notifications need.
type sandboxTarget struct {
	*target
	sb *sandbox.Sandbox
}

// newSandboxTarget builds the provider, writes the Terraform CLI config and
// starts a private sandbox, stopped (by its Stop method) when t ends. The
// sandbox's log is kept and printed only when the test fails.
func newSandboxTarget(t *testing.T) *sandboxTarget {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("end-to-end test: set TF_ACC=1 to run it (make test does)")
	}
	if err := sandbox.Check(); err != nil {
		t.Fatalf("TF_ACC is set but the sandbox cannot run (test/tools/prereqs.sh installs what it needs): %v", err)
	}
	ctx := t.Context()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	bin, err := tfcli.BuildProvider(ctx, root, filepath.Join(work, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := tfcli.WriteConfig(work, filepath.Dir(bin))
	if err != nil {
		t.Fatal(err)
	}

	var (
		mu  sync.Mutex
		log strings.Builder
	)
	// The strict layer (test/strict) answers like real AWS in front of the
	// sandbox, with state machines in the sandbox's emulated time.
	opts, err := strict.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	hook := &strict.Hook{Options: opts.Emulated(sandboxMinuteSeconds)}
	sb, err := sandbox.Start(ctx, sandbox.Options{MinuteSeconds: sandboxMinuteSeconds, Wrap: hook.Wrap,
		Logf: func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			log.WriteString(strings.TrimRight(fmt.Sprintf(format, args...), "\n") + "\n")
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { t.Logf("strict rules %v fired: %s", hook.Layer.Enabled(), hook.Layer.Summary()) })
	t.Cleanup(func() {
		sb.Stop()
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			t.Logf("sandbox log (last lines):\n%s", tail(log.String(), 40))
			t.Logf("moto log (last lines):\n%s", tail(sb.MotoLog(), 20))
		}
	})

	tg := &target{env: map[string]string{"TF_CLI_CONFIG_FILE": rc, "TF_IN_AUTOMATION": "1"}}
	// The caller's AWS settings (profile, endpoint, ...) must not leak in.
	for _, k := range []string{"AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		tg.env[k] = ""
	}
	for k, v := range sb.Env() {
		tg.env[k] = v
	}
	tg.aws = aws.Config{
		Region:       sb.Env()["AWS_REGION"],
		BaseEndpoint: aws.String(sb.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
	return &sandboxTarget{target: tg, sb: sb}
}

// treeOptions copies examples/ and modules/ (without Terraform's local
// files) to a temporary directory, keeping their layout so that roots find
// ../../modules, and returns options for dir (such as "examples/complete").
func (tg *target) treeOptions(t *testing.T, dir string, vars map[string]any) *terraform.Options {
	t.Helper()
	tmp := t.TempDir()
	keep := func(path string) bool {
		return !files.PathContainsHiddenFileOrFolder(path) && !files.PathContainsTerraformStateOrVars(path) &&
			!files.PathIsTerraformVersionFile(path)
	}
	for _, d := range []string{"examples", "modules"} {
		if err := files.CopyFolderContentsWithFilter(filepath.Join("..", d), filepath.Join(tmp, d), keep); err != nil {
			t.Fatalf("copying %s: %v", d, err)
		}
	}
	return terraform.WithDefaultRetryableErrors(t, &terraform.Options{
		TerraformDir: filepath.Join(tmp, dir),
		Vars:         vars,
		EnvVars:      tg.env,
		NoColor:      true,
	})
}

// stateResource reads the values of one resource (a full address such as
// module.web_app.hawebapp_stack.this) from `terraform show -json` into v.
func stateResource(t *testing.T, opts *terraform.Options, address string, v any) {
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
