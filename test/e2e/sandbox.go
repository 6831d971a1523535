package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
)

// SandboxMinuteSeconds is how long one emulated AWS minute lasts in the
// end-to-end sandbox (the sandbox's own default).
const SandboxMinuteSeconds = 3

// NewSandboxTarget builds the provider, writes the Terraform CLI config and
// starts a private sandbox (test/sandbox) behind the strict layer, stopped
// when t ends. The sandbox's log is kept and printed only when the test
// fails.
func NewSandboxTarget(t *testing.T) *Target {
	t.Helper()
	requireAcc(t)
	env := newCLI(t)
	sb, hook := StartSandbox(t, SandboxMinuteSeconds)
	t.Cleanup(func() { t.Logf("strict rules %v fired: %s", hook.Layer.Enabled(), hook.Layer.Summary()) })
	isolate(env)
	for k, v := range sb.Env() {
		env[k] = v
	}
	return &Target{Env: env, Sandbox: sb, MinuteSeconds: SandboxMinuteSeconds, AWS: sandboxConfig(sb)}
}

// sandboxConfig is the SDK config for sb, in the sandbox's region.
func sandboxConfig(sb *sandbox.Sandbox) aws.Config {
	cfg := env.AWSConfig(sb.Endpoint)
	cfg.Region = sb.Env()["AWS_REGION"]
	return cfg
}

// StartSandbox starts a private sandbox (test/sandbox) behind the strict
// layer, whose state machines run in the sandbox's emulated time
// (minuteSeconds real seconds a minute), stopped when t ends. Its log is
// kept and printed only when the test fails. The caller checks TF_ACC.
func StartSandbox(t *testing.T, minuteSeconds float64) (*sandbox.Sandbox, *strict.Hook) {
	t.Helper()
	if err := sandbox.Check(); err != nil {
		t.Fatalf("TF_ACC is set but the sandbox cannot run (test/tools/prereqs.sh installs what it needs): %v", err)
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
	hook := &strict.Hook{Options: opts.Emulated(minuteSeconds)}
	sb, err := sandbox.Start(t.Context(), sandbox.Options{MinuteSeconds: minuteSeconds, Wrap: hook.Wrap,
		Logf: func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			log.WriteString(strings.TrimRight(fmt.Sprintf(format, args...), "\n") + "\n")
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sb.Stop()
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			t.Logf("sandbox log (last lines):\n%s", Tail(log.String(), 40))
			t.Logf("moto log (last lines):\n%s", Tail(sb.MotoLog(), 20))
		}
	})
	return sb, hook
}

// NewStackTarget is where the HA suites apply: the sandbox, or real AWS
// when the user opted in (HAWEBAPP_E2E_REAL_AWS=1).
func NewStackTarget(t *testing.T) *Target {
	t.Helper()
	if RealAWS() {
		return NewRealTarget(t)
	}
	return NewSandboxTarget(t)
}
