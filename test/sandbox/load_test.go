package sandbox_test

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
)

// abRun is an ApacheBench run in the background, stopped with SIGINT (ab
// then prints its results).
type abRun struct {
	cmd  *exec.Cmd
	out  strings.Builder
	done chan error
}

func startAB(t *testing.T, url string, concurrency int) *abRun {
	t.Helper()
	if _, err := exec.LookPath("ab"); err != nil {
		prereq.Require(t, fmt.Errorf("ab is not installed (Debian: sudo apt-get install apache2-utils): %w", err))
	}
	// -n large with -t: run until stopped; -r: keep going on socket errors
	// (they are counted as failures, which is what the test checks).
	r := &abRun{cmd: exec.Command("ab", "-r", "-q", "-n", "10000000", "-t", "600", "-c", strconv.Itoa(concurrency), url), done: make(chan error, 1)}
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() { _ = r.cmd.Process.Kill() })
	return r
}

// abResult is what ab reported.
type abResult struct {
	complete, failed, non2xx int
	text                     string
}

func (r *abRun) stop(t *testing.T) abResult {
	t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGINT)
	<-r.done
	text := r.out.String()
	res := abResult{text: text, complete: abField(text, "Complete requests"), failed: abField(text, "Failed requests"), non2xx: abField(text, "Non-2xx responses")}
	if res.complete == 0 {
		t.Fatalf("ab completed no request:\n%s", text)
	}
	return res
}

func abField(text, name string) int {
	m := regexp.MustCompile(regexp.QuoteMeta(name) + `:\s+(\d+)`).FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
