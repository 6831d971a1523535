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
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
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

// sandboxMinuteSeconds is how long one emulated AWS minute lasts in the
// end-to-end sandbox (the sandbox's own default).
const sandboxMinuteSeconds = e2e.SandboxMinuteSeconds

// sandboxTarget is a target backed by the sandbox (test/sandbox): moto plus
// what moto lacks, such as Auto Scaling notification configurations, which
// the web-app module's notifications need.
type sandboxTarget struct {
	*target
	sb *sandbox.Sandbox
}

// newSandboxTarget is e2e.NewSandboxTarget: the provider built, the CLI
// config written, a private sandbox behind the strict layer, stopped when
// t ends.
func newSandboxTarget(t *testing.T) *sandboxTarget {
	t.Helper()
	tg := e2e.NewSandboxTarget(t)
	return &sandboxTarget{target: fromE2E(tg), sb: tg.Sandbox}
}

// treeOptions is e2e.TreeOptions with the target's environment.
func (tg *target) treeOptions(t *testing.T, dir string, vars map[string]any) *terraform.Options {
	t.Helper()
	return e2e.TreeOptions(t, dir, vars, tg.env)
}

// stateResource is e2e.StateResource.
func stateResource(t *testing.T, opts *terraform.Options, address string, v any) {
	t.Helper()
	e2e.StateResource(t, opts, address, v)
}

// tagStack is the ownership tag every child of a stack carries.
const tagStack = e2e.TagStack

// assertMinimalStack is e2e.AssertStack: the stack made exactly the parts
// examples/minimal (and examples/complete) ask for, matching the state.
func assertMinimalStack(t *testing.T, tg *target, name string, st stackValues, outputs map[string]any) {
	t.Helper()
	e2e.AssertStack(t, tg.e2e(), name, st, outputs)
}

// assertNothingLeft is e2e.AssertNothingLeft: the destroy removed every
// child (test/leaks).
func assertNothingLeft(t *testing.T, tg *target, name string) {
	t.Helper()
	e2e.AssertNothingLeft(t, tg.e2e(), name)
}

// tagFilter is e2e.TagFilter: an EC2 filter on the stack's ownership tag.
func tagFilter(name string) []ec2types.Filter { return e2e.TagFilter(name) }

// ownedGroups, ownedLoadBalancers and ownedTargetGroups are e2e's: the
// stack's children of each kind, found by its ownership tag.
func ownedGroups(ctx context.Context, t *testing.T, tg *target, name string) []astypes.AutoScalingGroup {
	t.Helper()
	return e2e.OwnedGroups(ctx, t, tg.e2e(), name)
}

func ownedLoadBalancers(ctx context.Context, t *testing.T, tg *target, name string) []string {
	t.Helper()
	return e2e.OwnedLoadBalancers(ctx, t, tg.e2e(), name)
}

func ownedTargetGroups(ctx context.Context, t *testing.T, tg *target, name string) []string {
	t.Helper()
	return e2e.OwnedTargetGroups(ctx, t, tg.e2e(), name)
}
