package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// guest is what runs inside one instance: its user data, run for real at
// first boot as cloud-init runs it (as root, output to
// /var/log/cloud-init-output.log), then the services the script started.
//
// Its filesystem view is a directory of its own, <sandbox dir>/<id>/root:
// the script's absolute paths under the directories an instance owns
// (/etc, /opt, /var, /run, /srv, /home, /root, /tmp, /mnt, /usr/local) are
// mapped into it before it runs, and the stand-ins (systemctl, useradd,
// dnf, yum) map the paths they read the same way. Everything else (/usr/bin,
// /bin, /lib: the "image") is the host's. A mount namespace would map paths
// a script builds at run time too, but needs unprivileged user namespaces,
// which many CI hosts (Ubuntu 24.04's AppArmor default among them) refuse;
// rewriting the script's literal paths works as any user, everywhere.
type guest struct {
	s        *Sandbox
	in       *instance
	root     string
	userData string
	meta     metadata
	md       *http.Server // the instance's 169.254.169.254 (imds.go)
	mdURL    string
	sd       *systemd

	mu         sync.Mutex
	script     *exec.Cmd
	scriptDone chan struct{}
	scriptAt   time.Time // when the script started
	frozen     bool
	stopped    bool
}

// EventBootFailed: an instance's user data exited non-zero; Reason holds the
// end of its console output (GET /_sandbox/console/<id> has all of it).
const EventBootFailed = "boot failed"

// instanceDirs are the directories an instance owns (see guest).
var instanceDirs = []string{"etc", "opt", "var", "run", "srv", "home", "root", "tmp", "mnt", "usr/local"}

var absPath = regexp.MustCompile(`(?m)(^|[\s"'=:;|&(<>` + "`" + `,-])(/(?:etc|opt|var|run|srv|home|root|tmp|mnt|usr/local)\b)`)

// mapPaths rewrites a script's absolute paths into root (see guest).
func mapPaths(script, root string) string {
	return absPath.ReplaceAllString(script, "${1}"+root+"${2}")
}

// newGuest prepares an instance's root and its metadata service; the user
// data runs at boot.
func (s *Sandbox) newGuest(ctx context.Context, in *instance, lt *astypes.LaunchTemplateSpecification, userData string) (*guest, error) {
	g := &guest{s: s, in: in, root: filepath.Join(s.dir, in.id, "root")}
	g.sd = &systemd{g: g, loaded: map[string]*unit{}, services: map[string]*service{}}
	g.meta = metadataFrom(s.launchTemplateData(ctx, lt))
	g.userData = userData
	if os.Geteuid() == 0 {
		// Services run as their User=: the path to their files must be
		// open to them (MkdirTemp made the sandbox's directory 0700).
		_ = os.Chmod(s.dir, 0o755)
	}
	for _, d := range append(instanceDirs, "etc/systemd/system", "var/log/journal", "var/lib/cloud/instance/scripts", "etc/pki/tls/certs", "sandbox/bin") {
		if err := os.MkdirAll(filepath.Join(g.root, d), 0o755); err != nil {
			return nil, err
		}
	}
	_ = os.Chmod(filepath.Join(g.root, "tmp"), 0o1777)
	ca := filepath.Join(g.root, "etc/pki/tls/certs/sandbox-ca.pem")
	files := map[string]string{
		"etc/passwd":       "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin\n",
		"etc/group":        "root:x:0:\nnobody:x:65534:\n",
		"etc/os-release":   "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nVERSION_ID=\"2023\"\n",
		ca[len(g.root)+1:]: string(s.dl.caPEM),
		"root/.curlrc":     s.dl.curlrc(ca),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(g.root, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	if err := g.serveMetadata(); err != nil {
		return nil, err
	}
	for _, cmd := range []string{"systemctl", "useradd", "dnf", "yum"} {
		if err := os.WriteFile(filepath.Join(g.root, "sandbox/bin", cmd), []byte(standIn(g.mdURL, cmd)), 0o755); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// standIn is the script that forwards a command to the instance's init
// (the metadata server's /_init/<cmd>): the answer's first line is the exit
// code, the rest its output, ended by a "." that keeps trailing newlines.
func standIn(mdURL, cmd string) string {
	return `#!/bin/bash
# The sandbox's stand-in for ` + cmd + ` (test/sandbox/README.md, "Boot").
args=()
for a in "$@"; do args+=(--data-urlencode "arg=$a"); done
resp=$(curl -q -sS --fail -X POST -d "" "${args[@]}" "` + mdURL + `/_init/` + cmd + `") || { echo "` + cmd + `: the sandbox's init did not answer" >&2; exit 1; }
code=${resp%%$'\n'*}
out=${resp#*$'\n'}
out=${out%.}
if [ "$code" = 0 ]; then printf '%s' "$out"; else printf '%s' "$out" >&2; fi
exit "$code"
`
}

// path maps an absolute instance path into the instance's root.
func (g *guest) path(p string) string {
	if strings.HasPrefix(p, g.root+"/") || !strings.HasPrefix(p, "/") {
		return p
	}
	return mapPaths(p, g.root)
}

// baseEnv is the environment the instance gives its processes: root's for
// the script, systemd's for services (PATH given), plus the sandbox's
// network: the metadata service's address (169.254.169.254 on AWS) and the
// AWS endpoint (the region's DNS names on AWS). No credentials: those come
// from the metadata service, as on an instance with a role.
func (g *guest) baseEnv(path string) []string {
	return []string{"PATH=" + filepath.Join(g.root, "sandbox/bin") + ":" + path, "LANG=C.UTF-8",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + g.mdURL, "AWS_ENDPOINT_URL=" + g.s.Endpoint}
}

// portMapping is the sandbox's network for a service: the instance's port
// (HAWEBAPP_PORT) is the loopback port its nic forwards to. The database is
// found by its identifier (HAWEBAPP_DB_INSTANCE, as the provider's
// variables name it): DescribeDBInstances signed with the role's
// credentials answers the local address (dbview.go).
func (g *guest) portMapping() []string {
	return []string{"HAWEBAPP_PORT=" + strconv.Itoa(g.in.appPort), "HAWEBAPP_LISTEN_HOST=127.0.0.1"}
}

func (g *guest) consolePath() string { return filepath.Join(g.root, "var/log/cloud-init-output.log") }

func (g *guest) journalPath(unit string) string {
	return filepath.Join(g.root, "var/log/journal", unit+".log")
}

// journal appends a line of the service manager's about a unit.
func (g *guest) journal(unit, line string) {
	f, err := os.OpenFile(g.journalPath(unit), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err == nil {
		fmt.Fprintf(f, "systemd: %s: %s\n", unit, line)
		f.Close()
	}
}

// boot runs the user data as cloud-init does at first boot. A script that
// fails leaves the instance with nothing serving (the load balancer finds
// it unhealthy), its console output in the event log. A script that
// succeeds without starting anything is taken as an image that has the app
// baked in: the app starts as before real boots (instance.startLocked).
func (g *guest) boot() {
	code, err := g.runScript()
	if g.isStopped() {
		return
	}
	g.in.mu.Lock()
	defer g.in.mu.Unlock()
	if g.in.state == "booting" {
		g.in.state = "running"
	}
	if err != nil || code != 0 {
		console, _ := os.ReadFile(g.consolePath())
		reason := fmt.Sprintf("user data exited %d", code)
		if err != nil {
			reason = "user data did not run: " + err.Error()
		}
		g.s.logf("instance %s: %s", g.in.id, reason)
		g.s.record(Event{Kind: EventBootFailed, Zone: g.in.az, IDs: []string{g.in.id}, Reason: reason + "; console:\n" + tail(string(console), 20)})
		return
	}
	if g.sd.active() || g.scriptAlive() || g.in.state != "running" {
		return
	}
	if err := g.in.startLocked(); err != nil {
		g.in.state = "stopped"
	}
}

// runScript runs the user data (if it is a script) to its end.
func (g *guest) runScript() (int, error) {
	if !strings.HasPrefix(g.userData, "#!") {
		return 0, nil // no user data, or cloud-config: no script to run
	}
	script := filepath.Join(g.root, "var/lib/cloud/instance/scripts/part-001")
	if err := os.WriteFile(script, []byte(mapPaths(g.userData, g.root)), 0o700); err != nil {
		return -1, err
	}
	console, err := os.OpenFile(g.consolePath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return -1, err
	}
	defer console.Close()
	cmd := exec.Command(script)
	cmd.Dir = g.root
	cmd.Env = append(g.baseEnv("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
		"HOME="+filepath.Join(g.root, "root"), "USER=root", "LOGNAME=root", "SHELL=/bin/bash")
	cmd.Stdout, cmd.Stderr = console, console
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return 0, nil
	}
	if err := cmd.Start(); err != nil {
		g.mu.Unlock()
		return -1, err
	}
	done := make(chan struct{})
	g.script, g.scriptDone, g.scriptAt = cmd, done, time.Now()
	if g.frozen {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGSTOP)
	}
	g.mu.Unlock()
	// EC2 reports the instance running while cloud-init works; a script
	// that never ends (one that execs its server) must not keep the
	// instance "booting", which the grace period would wait on forever.
	g.in.mu.Lock()
	if g.in.state == "booting" {
		g.in.state = "running"
	}
	g.in.mu.Unlock()
	werr := cmd.Wait()
	close(done)
	if werr != nil {
		if _, ok := werr.(*exec.ExitError); !ok {
			return -1, werr
		}
	}
	return cmd.ProcessState.ExitCode(), nil
}

// scriptAlive says whether the script or a process it left behind runs.
func (g *guest) scriptAlive() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.script != nil && syscall.Kill(-g.script.Process.Pid, 0) == nil
}

func (g *guest) isStopped() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stopped
}

// freeze stops (power loss) or continues everything the instance runs.
func (g *guest) freeze(off bool) {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.frozen = off
	if g.script != nil {
		sig := syscall.SIGCONT
		if off {
			sig = syscall.SIGSTOP
		}
		_ = syscall.Kill(-g.script.Process.Pid, sig)
	}
	g.mu.Unlock()
	g.sd.freeze(off)
}

// shutdown ends the instance's processes as EC2's shutdown does (SIGTERM,
// SIGKILL after grace) and its metadata service.
func (g *guest) shutdown(grace time.Duration, frozen bool) {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.stopped = true
	script, done := g.script, g.scriptDone
	g.mu.Unlock()
	if frozen {
		grace = 0 // a host without power runs no shutdown
	}
	g.sd.killAll(frozen, grace)
	if script != nil {
		select {
		case <-done:
			_ = syscall.Kill(-script.Process.Pid, syscall.SIGKILL) // what it left behind
		default:
			signalGroup(script, done, frozen, grace)
		}
	}
	if g.md != nil {
		_ = g.md.Close()
	}
}

// pid is the instance's main service process, and when its software (the
// script or a service) last started.
func (g *guest) pid() (int, time.Time) {
	if g == nil {
		return 0, time.Time{}
	}
	pid, last := g.sd.mainPID()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.scriptAt.After(last) {
		last = g.scriptAt
	}
	return pid, last
}

// lookupUser reads a user from the instance's /etc/passwd.
func (g *guest) lookupUser(name string) (uid, gid int, home string, ok bool) {
	b, _ := os.ReadFile(filepath.Join(g.root, "etc/passwd"))
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 7 && f[0] == name {
			uid, _ = strconv.Atoi(f[2])
			gid, _ = strconv.Atoi(f[3])
			return uid, gid, f[5], true
		}
	}
	return 0, 0, "", false
}

// launchTemplateData reads a launch template version (nil if it cannot).
func (s *Sandbox) launchTemplateData(ctx context.Context, lt *astypes.LaunchTemplateSpecification) *ec2types.ResponseLaunchTemplateData {
	if lt == nil {
		return nil
	}
	version := aws.ToString(lt.Version)
	if version == "" {
		version = "$Default"
	}
	out, err := s.aws.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: lt.LaunchTemplateId, LaunchTemplateName: lt.LaunchTemplateName, Versions: []string{version}})
	if err != nil || len(out.LaunchTemplateVersions) == 0 {
		return nil
	}
	return out.LaunchTemplateVersions[0].LaunchTemplateData
}
