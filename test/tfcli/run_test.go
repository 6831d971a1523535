package tfcli

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// fakeCLI is a shell script standing in for terraform: it prints its
// arguments and its process group, and on an interrupt says so and exits.
func fakeCLI(t *testing.T) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "terraform")
	script := `#!/bin/sh
trap 'echo interrupted; exit 130' INT
echo "args: $*"
echo "pgid: $(ps -o pgid= -p $$ | tr -d ' ') pid: $$"
echo "env: $FAKE_VAR"
if [ "$1" = "-chdir=/wait" ] || [ "$1" = "wait" ]; then
  while :; do sleep 0.05; done
fi
`
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(BinaryEnv, bin)
}

// The command runs Binary's client with -chdir first, only the given
// environment, in a process group of its own.
func TestCommandRunsTheClientInItsOwnGroup(t *testing.T) {
	fakeCLI(t)
	cmd, err := Command(t.Context(), "/some/root", []string{"FAKE_VAR=given"}, "plan", "-no-color")
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got := string(out)
	for _, want := range []string{"args: -chdir=/some/root plan -no-color\n", "env: given\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	var pgid, pid int
	for _, f := range strings.Fields(got[strings.Index(got, "pgid:"):]) {
		if n, err := strconv.Atoi(f); err == nil {
			if pgid == 0 {
				pgid = n
			} else if pid == 0 {
				pid = n
			}
		}
	}
	if pgid == 0 || pgid != pid {
		t.Errorf("process group %d, pid %d: the client must lead a group of its own\n%s", pgid, pid, got)
	}
	if pgid == syscall.Getpgrp() {
		t.Errorf("the client shares the test's process group %d", pgid)
	}
}

// Cancelling the context interrupts the client once (its graceful stop)
// rather than killing it.
func TestCommandInterruptsOnCancel(t *testing.T) {
	fakeCLI(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd, err := Command(ctx, "", nil, "wait")
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Cancel once the script has set its trap and said who it is.
	lines := bufio.NewScanner(stdout)
	var out strings.Builder
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(lines.Text(), "env:") {
			cancel()
		}
	}
	_ = cmd.Wait()
	if !strings.Contains(out.String(), "interrupted") {
		t.Errorf("the client was not interrupted gracefully:\n%s", out.String())
	}
}

// A client that is asked for and missing is an error naming the variable.
func TestCommandWithAMissingClient(t *testing.T) {
	t.Setenv(BinaryEnv, filepath.Join(t.TempDir(), "no-such-terraform"))
	if _, err := Command(t.Context(), "", nil, "version"); err == nil || !strings.Contains(err.Error(), BinaryEnv) {
		t.Errorf("err = %v, want one naming %s", err, BinaryEnv)
	}
}
