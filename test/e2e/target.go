// Package e2e holds what the end-to-end Terratest suites share: where a
// suite applies (a private moto, the sandbox, or real AWS when the user
// opts in), copies of the example roots, reading the state, the checks of
// a stack through the AWS API and the check that nothing of a stack is
// left after a destroy. The suites in test/ and test/ha import it.
//
// Everything here runs only when TF_ACC is set (`make test` sets it).
// HAWEBAPP_E2E_REAL_AWS=1 points the suites at real AWS with the ambient
// credentials and region (billable; longer): the endpoint is the only
// difference, never a code path of the provider.
package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/gruntwork-io/terratest/modules/random"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// RealAWSEnv opts in to running the suites against real AWS.
const RealAWSEnv = "HAWEBAPP_E2E_REAL_AWS"

// Target is where a suite applies: the environment terraform gets and the
// SDK configuration the assertions use.
type Target struct {
	Env map[string]string
	AWS aws.Config
	// Real is set against real AWS (HAWEBAPP_E2E_REAL_AWS=1).
	Real bool
	// Sandbox is the sandbox the target runs on, nil otherwise.
	Sandbox *sandbox.Sandbox
	// MinuteSeconds is how long one AWS minute lasts in real seconds: 60
	// on AWS and moto, the sandbox's compressed minute there.
	MinuteSeconds float64
}

// TimeScale is real seconds per AWS second (soak.Settings.TimeScale).
func (tg *Target) TimeScale() float64 {
	if tg.MinuteSeconds <= 0 {
		return 1
	}
	return tg.MinuteSeconds / 60
}

// RealAWS says whether the user asked for real AWS.
func RealAWS() bool { return os.Getenv(RealAWSEnv) == "1" }

// requireAcc skips unless TF_ACC is set, as every acceptance test does.
func requireAcc(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("end-to-end test: set TF_ACC=1 to run it (make test does)")
	}
}

// RepoRoot is the repository's top folder (the one holding go.mod), found
// upward from the test's working directory, so suites in any folder under
// test/ find examples/ and modules/.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// newCLI builds the provider and writes the Terraform CLI config; it
// returns the environment terraform runs with.
func newCLI(t *testing.T) map[string]string {
	t.Helper()
	work := t.TempDir()
	bin, err := tfcli.BuildProvider(t.Context(), RepoRoot(t), filepath.Join(work, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := tfcli.WriteConfig(work, filepath.Dir(bin))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"TF_CLI_CONFIG_FILE": rc, "TF_IN_AUTOMATION": "1"}
}

// isolate keeps the caller's AWS settings (profile, endpoint, ...) out of
// a local target.
func isolate(env map[string]string) {
	for _, k := range []string{"AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		env[k] = ""
	}
}

// NewRealTarget is real AWS with the ambient credentials and region.
func NewRealTarget(t *testing.T) *Target {
	t.Helper()
	requireAcc(t)
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatalf("loading AWS configuration for %s=1: %v", RealAWSEnv, err)
	}
	if cfg.Region == "" {
		t.Fatalf("%s=1: no region configured (set AWS_REGION)", RealAWSEnv)
	}
	return &Target{Env: newCLI(t), AWS: cfg, Real: true, MinuteSeconds: 60}
}

// NewTarget builds the provider, writes the Terraform CLI config and starts
// moto behind the strict layer, or uses real AWS when the user opted in.
// Everything is cleaned up with t.
func NewTarget(t *testing.T) *Target {
	t.Helper()
	requireAcc(t)
	if RealAWS() {
		return NewRealTarget(t)
	}
	tg := &Target{Env: newCLI(t), MinuteSeconds: 60}
	endpoint := StartMoto(t)
	isolate(tg.Env)
	for k, v := range motoserver.ClientEnv(endpoint) {
		tg.Env[k] = v
	}
	tg.AWS = env.AWSConfig(endpoint)
	return tg
}

// StartMoto starts a private moto server behind the strict layer, both
// stopped when t ends, and returns the layer's URL: everything reaches moto
// through it, and it answers like AWS where moto is forgiving
// (HAWEBAPP_STRICT picks its rules). Moto's log is printed when t fails.
func StartMoto(t *testing.T) string {
	t.Helper()
	s, err := motoserver.Start(t.Context(), motoserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("moto log (last lines):\n%s", Tail(s.Log(), 40))
		}
		s.Stop()
	})
	opts, err := strict.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := strict.Start(s.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		t.Logf("strict rules fired: %s", layer.Layer.Summary())
		layer.Stop()
	})
	return layer.URL
}

// StackName is a unique, valid stack name.
func StackName(prefix string) string {
	return prefix + "-" + strings.ToLower(random.UniqueID())
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Background is for cleanups that must run after t.Context() is cancelled.
func Background() context.Context { return context.Background() }
