package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// exampleUserData is an example's boot.sh as an instance receives it:
// Terraform's templatefile fills in app_release_url (the example's own
// default, so the download goes to the URL a user's would), then the
// provider adds the stack's variables (internal/blueprint.RenderUserData).
func exampleUserData(t *testing.T, dir string) string {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(dir, "boot.sh"))
	if err != nil {
		t.Fatal(err)
	}
	vars, err := os.ReadFile(filepath.Join(dir, "variables.tf"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)variable "app_release_url".*?default\s*=\s*"([^"]+)"`).FindSubmatch(vars)
	if m == nil {
		t.Fatalf("%s/variables.tf has no default app_release_url", dir)
	}
	rendered := strings.ReplaceAll(string(script), "${app_release_url}", string(m[1]))
	return blueprint.RenderUserData(rendered, map[string]string{blueprint.VarStack: filepath.Base(dir),
		blueprint.VarPort: "8080", blueprint.VarRegion: "us-east-1"})
}

// TestExampleUserDataBoots runs every example's boot.sh as EC2 would at
// first boot: the release is downloaded (over HTTPS, from the example's
// default URL, served by the sandbox), a system user and a systemd unit
// are made, and the service answers through the load balancer with the
// identity it read from IMDSv2. The launch-to-healthy time of each is
// logged (examples/minimal's is the one issue 21 asks for).
func TestExampleUserDataBoots(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*/boot.sh")
	if len(dirs) == 0 {
		t.Fatal("no examples/*/boot.sh found")
	}
	sb := startSandbox(t, sandbox.Options{})
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			ud := exampleUserData(t, dir)
			launched := time.Now()
			s := newStack(t, sb, stackSpec{name: "boot-" + filepath.Base(dir), zones: []string{"us-east-1a"}, perZone: 1, userData: ud})
			id := s.waitHealthy(1)[0]
			healthy := time.Now()
			if ev, ok := sandbox.LastEvent(sb.Events(), sandbox.EventTarget, func(e sandbox.Event) bool {
				return e.Target == id && e.State == string(elbtypes.TargetHealthStateEnumHealthy)
			}); ok {
				healthy = ev.At
			}
			t.Logf("%s: launch to healthy %s (user data run for real; minute = 3 s, boot = 20 emulated s)", filepath.Base(dir), healthy.Sub(launched).Round(10*time.Millisecond))
			st, served, err := get(s.url() + "/health")
			if err != nil || st != 200 || served != id {
				t.Fatalf("through the load balancer: status %d from %q (%v), want 200 from %s (its IMDS identity)", st, served, err, id)
			}
			assertServiceUser(t, sb, id)
			console, err := sb.Client().Console(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(console, "error") {
				t.Errorf("the boot printed an error:\n%s", console)
			}
		})
	}
}

// TestBootFailureLeavesInstanceUnhealthy: a boot.sh with a typo fails at
// the typo (set -e); nothing serves, so the target turns unhealthy, and the
// console output (the shell's "command not found") is in the event log
// and at GET /_sandbox/console/<id>.
func TestBootFailureLeavesInstanceUnhealthy(t *testing.T) {
	ud := strings.Replace(exampleUserData(t, "../../examples/minimal"), "systemctl enable", "systemclt enable", 1)
	sb, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "typo", zones: []string{"us-east-1a"}, perZone: 1, userData: ud})
	// The target is unhealthy from its first checks (nothing listens
	// while the script runs), so the boot's end is waited for by its event.
	var ev sandbox.Event
	env.Until(t, "the boot to fail", 60*time.Second, func() (bool, string) {
		var ok bool
		ev, ok = sandbox.LastEvent(sb.Events(), sandbox.EventBootFailed, nil)
		return ok, "no boot failure recorded"
	})
	if len(ev.IDs) != 1 || !strings.Contains(ev.Reason, "systemclt: command not found") || !strings.Contains(ev.Reason, "exited 127") {
		t.Errorf("want the %q event to name the instance and hold the console output, got %+v", sandbox.EventBootFailed, ev)
	}
	id := ev.IDs[0]
	env.Until(t, id+" unhealthy", 60*time.Second, func() (bool, string) {
		h := s.health()
		return h[id].State == elbtypes.TargetHealthStateEnumUnhealthy, describeHealth(h)
	})
	console, err := sb.Client().Console(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(console, "systemclt: command not found") {
		t.Errorf("console of %s lacks the failure:\n%s", id, console)
	}
}

// assertServiceUser: when the sandbox can switch users (it runs as root),
// the service runs as its unit's User= (the examples' hawebapp system
// user), not as root.
func assertServiceUser(t *testing.T, sb *sandbox.Sandbox, id string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	st, err := sb.Client().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range st.Instances {
		if in.ID != id {
			continue
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", in.PID))
		if err != nil {
			t.Fatalf("the service of %s: %v", id, err)
		}
		m := regexp.MustCompile(`(?m)^Uid:\s+(\d+)`).FindSubmatch(status)
		if m == nil || string(m[1]) == "0" {
			t.Errorf("the service of %s runs as uid %s, want its unit's User=", id, m)
		}
	}
}

// TestBootedServiceFailures: failure injection reaches the services a real
// boot started: a killed instance's service stays down (Restart=always
// notwithstanding) until recovered, and a zone's power loss stops it
// without a restart (the same process answers once power is back).
func TestBootedServiceFailures(t *testing.T) {
	ud := exampleUserData(t, "../../examples/minimal")
	_, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "bootfail", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1, userData: ud})
	s.waitHealthy(2)
	victim := s.instances("us-east-1a")[0]
	unhealthy := func(why string) {
		env.Until(t, victim+" unhealthy after "+why, 60*time.Second, func() (bool, string) {
			h := s.health()
			return h[victim].State == elbtypes.TargetHealthStateEnumUnhealthy, describeHealth(h)
		})
	}

	s.fail(sandbox.Failure{Kind: "instance", ID: victim})
	unhealthy("the kill")
	if pid := s.pid(victim); pid != 0 {
		t.Errorf("a killed instance's service came back as pid %d without a recover", pid)
	}
	s.fail(sandbox.Failure{Kind: "instance", ID: victim, Recover: true})
	s.waitHealthy(2)

	before := s.pid(victim)
	for _, down := range []bool{true, false} {
		s.fail(sandbox.Failure{Kind: "zone", Zone: "us-east-1a", Down: down})
		if down {
			unhealthy("the power loss")
		}
	}
	s.waitHealthy(2)
	if after := s.pid(victim); after != before || before == 0 {
		t.Errorf("after the power came back the service is pid %d, want the same process %d", after, before)
	}
}
