package reliability

import (
	"bytes"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// terraform runs one Terraform command in the root, in a process group of
// its own (Terraform starts the provider as its child, in that group), and
// returns its combined output.
func (e *env) terraform(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd, out := e.command(t, args...)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	err := cmd.Wait()
	return out.String(), err
}

func (e *env) command(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer) {
	cmd, err := tfcli.Command(t.Context(), e.dir, e.tf, args...)
	if err != nil {
		t.Fatal(err)
	}
	// On the test's end, the whole group goes, not only Terraform.
	cmd.Cancel = func() error { return tfcli.KillGroup(cmd) }
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out
}

// killPoint names the call before which a Terraform run is killed: the
// nth call of action (any action when empty), counted among the provider's
// own calls by the recorder since the run began.
type killPoint struct {
	phase  string // create, update or destroy
	action string
	nth    int
	why    string
}

func (p killPoint) String() string {
	return p.phase + " before " + p.action + " #" + itoa(p.nth)
}

// killer is the recorder hook that kills a run's process group when the
// kill point's call arrives, then lets that call reach AWS (as one AWS
// received just before its caller died) and answers no later call.
type killer struct {
	point killPoint

	mu    sync.Mutex
	pgid  int
	calls int // provider calls since the run began
	seen  int // calls of point.action
	at    int // the call (1-based) at which the run was killed; 0 = not killed
}

func (k *killer) before(c recorder.Call, w http.ResponseWriter, _ *http.Request) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.at > 0 {
		recorder.Drop(w) // from a process that is dying: it must change nothing
		return true
	}
	k.calls++
	if k.point.action != "" && c.Action != k.point.action {
		return false
	}
	if k.seen++; k.seen == k.point.nth && k.pgid > 0 {
		// SIGKILL to the group: Terraform and the provider die at once,
		// with no chance to save state or clean up.
		_ = syscall.Kill(-k.pgid, syscall.SIGKILL)
		k.at = k.calls
	}
	return false
}

// runKilled runs a Terraform command that the kill point stops. It fails
// the test when the command ended before the point was reached. It returns
// the call number at which the run was killed.
func (e *env) runKilled(t *testing.T, p killPoint, args ...string) int {
	t.Helper()
	k := &killer{point: p}
	e.setHook(k.before)
	defer e.setHook(nil)
	cmd, out := e.command(t, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	k.mu.Lock()
	k.pgid = cmd.Process.Pid
	k.mu.Unlock()
	err := cmd.Wait()
	k.mu.Lock()
	at := k.at
	k.mu.Unlock()
	if at == 0 {
		t.Fatalf("terraform %s ended (%v) before the kill point %s (%d calls of %s seen):\n%s",
			args[0], err, p, k.seen, p.action, e2e.Tail(out.String(), 30))
	}
	t.Logf("kill point %s: killed at the provider's call %d (%v)", p, at, err)
	return at
}

// mustRun runs a Terraform command that must succeed, and returns its output.
func (e *env) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	start := time.Now()
	out, err := e.terraform(t, args...)
	if err != nil {
		t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, e2e.Tail(out, 60))
	}
	t.Logf("terraform %s took %s", args[0], time.Since(start).Round(time.Second))
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }
