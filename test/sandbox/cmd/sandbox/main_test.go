package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	testenv "github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestCommandWritesEnvAndStops runs the command as a developer would: it
// writes the client environment once ready, serves the admin API, and stops
// every process it started on SIGINT.
func TestCommandWritesEnvAndStops(t *testing.T) {
	prereq.Require(t, sandbox.Check())
	dir := t.TempDir()
	bin := filepath.Join(dir, "sandbox")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	envFile := filepath.Join(dir, "env")
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SANDBOX_ENV_FILE="+envFile)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	var written []byte
	if err := testenv.UntilE(t.Context(), "the env file", 2*time.Minute, func() (bool, string) {
		b, err := os.ReadFile(envFile)
		written = b
		return err == nil && len(b) > 0, testenv.ErrState(err)
	}); err != nil {
		t.Fatalf("%v; the sandbox said:\n%s", err, out.String())
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(written)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if env[k] == "" {
			t.Errorf("env file lacks %s: %v", k, env)
		}
	}
	st, err := sandbox.NewClient(env["AWS_ENDPOINT_URL"]).State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := <-done; err != nil {
		t.Fatalf("exit: %v\n%s", err, out.String())
	}
	for _, p := range st.Processes {
		if syscall.Kill(p.PID, 0) == nil {
			t.Errorf("%s (pid %d) outlived the command", p.Kind, p.PID)
		}
	}
}
