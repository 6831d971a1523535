// Package test holds the end-to-end Terratest suites: each applies one
// example root with the provider built from this tree, checks what it made
// with the AWS SDK, and destroys it. What they share lives in test/e2e
// (importable by other suites, such as test/ha); the helpers below keep
// their old names as thin wrappers around it.
//
// They run when TF_ACC is set (`make test` sets it), against a private moto
// server started through test/motoserver, or against real AWS with the
// ambient credentials when HAWEBAPP_E2E_REAL_AWS=1 (billable; longer).
package test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
)

// target is where a suite applies: the environment terraform gets and the
// SDK configuration the assertions use (e2e.Target's fields).
type target struct {
	env  map[string]string
	aws  aws.Config
	real bool
}

func fromE2E(tg *e2e.Target) *target { return &target{env: tg.Env, aws: tg.AWS, real: tg.Real} }

func (tg *target) e2e() *e2e.Target { return &e2e.Target{Env: tg.env, AWS: tg.aws, Real: tg.real} }

// newTarget is e2e.NewTarget: moto behind the strict layer, or real AWS
// when HAWEBAPP_E2E_REAL_AWS=1.
func newTarget(t *testing.T) *target {
	t.Helper()
	return fromE2E(e2e.NewTarget(t))
}

// options are the terraform options for a copy of an example root.
func (tg *target) options(t *testing.T, example string, vars map[string]any) *terraform.Options {
	t.Helper()
	// Copies examples/ (without Terraform's local files) to a temporary
	// directory, so runs never share state or .terraform.
	dir := test_structure.CopyTerraformFolderToTemp(t, filepath.Join("..", "examples"), example)
	return terraform.WithDefaultRetryableErrors(t, &terraform.Options{
		TerraformDir:    dir,
		TerraformBinary: e2e.CLI(t),
		Vars:            vars,
		EnvVars:         tg.env,
		NoColor:         true,
	})
}

// stackName is e2e.StackName.
func stackName(prefix string) string { return e2e.StackName(prefix) }

func tail(s string, n int) string { return e2e.Tail(s, n) }

// background is for cleanups that must run after t.Context() is cancelled.
func background() context.Context { return e2e.Background() }
