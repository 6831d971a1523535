package test

import (
	"testing"

	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

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
