// Package test holds the end-to-end Terratest suites: each applies one
// example root with the provider built from this tree, checks what it made
// with the AWS SDK, and destroys it.
//
// They run when TF_ACC is set (`make test` sets it), against a private moto
// server started through test/motoserver, or against real AWS with the
// ambient credentials when HAWEBAPP_E2E_REAL_AWS=1 (billable; longer).
package test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/gruntwork-io/terratest/modules/random"
	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// realAWSEnv opts in to running the suites against real AWS.
const realAWSEnv = "HAWEBAPP_E2E_REAL_AWS"

// target is where a suite applies: the environment terraform gets and the
// SDK configuration the assertions use.
type target struct {
	env  map[string]string
	aws  aws.Config
	real bool
	// bin is the Terraform or OpenTofu CLI to run (tfcli.Binary:
	// HAWEBAPP_TF_BINARY, else terraform); empty leaves Terratest's default.
	bin string
}

// newTarget builds the provider, writes the Terraform CLI config and starts
// moto (unless real AWS was asked for). Everything is cleaned up with t.
func newTarget(t *testing.T) *target {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("end-to-end test: set TF_ACC=1 to run it (make test does)")
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
	client, err := tfcli.Binary()
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{env: map[string]string{"TF_CLI_CONFIG_FILE": rc, "TF_IN_AUTOMATION": "1"}, bin: client}

	if os.Getenv(realAWSEnv) == "1" {
		tg.real = true
		tg.aws, err = config.LoadDefaultConfig(ctx)
		if err != nil {
			t.Fatalf("loading AWS configuration for %s=1: %v", realAWSEnv, err)
		}
		return tg
	}

	s, err := motoserver.Start(ctx, motoserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("moto log (last lines):\n%s", tail(s.Log(), 40))
		}
		s.Stop()
	})
	// Everything reaches moto through the strict layer, which answers like
	// AWS where moto is forgiving (HAWEBAPP_STRICT picks its rules).
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
	// The caller's AWS settings (profile, endpoint, ...) must not leak in.
	for _, k := range []string{"AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		tg.env[k] = ""
	}
	for k, v := range motoserver.ClientEnv(layer.URL) {
		tg.env[k] = v
	}
	tg.aws = aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(layer.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
	return tg
}

// options are the terraform options for a copy of an example root.
func (tg *target) options(t *testing.T, example string, vars map[string]any) *terraform.Options {
	t.Helper()
	// Copies examples/ (without Terraform's local files) to a temporary
	// directory, so runs never share state or .terraform.
	dir := test_structure.CopyTerraformFolderToTemp(t, filepath.Join("..", "examples"), example)
	return terraform.WithDefaultRetryableErrors(t, &terraform.Options{
		TerraformDir:    dir,
		TerraformBinary: tg.bin,
		Vars:            vars,
		EnvVars:         tg.env,
		NoColor:         true,
	})
}

// stackName is a unique, valid stack name.
func stackName(prefix string) string {
	return prefix + "-" + strings.ToLower(random.UniqueID())
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// background is for cleanups that must run after t.Context() is cancelled.
func background() context.Context { return context.Background() }
