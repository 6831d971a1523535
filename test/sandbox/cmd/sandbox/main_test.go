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

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"

	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
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

	env := map[string]string{}
	deadline := time.Now().Add(2 * time.Minute)
	for delay := 50 * time.Millisecond; ; delay = min(delay*2, time.Second) {
		if b, err := os.ReadFile(envFile); err == nil && len(b) > 0 {
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				k, v, _ := strings.Cut(line, "=")
				env[k] = v
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no env file written:\n%s", out.String())
		}
		time.Sleep(delay)
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
