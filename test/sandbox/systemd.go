package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// systemd is an instance's service manager, the part of systemd a boot
// script uses: unit files under the instance's /etc/systemd/system (read at
// first use and again after daemon-reload, as systemd does), a service's
// ExecStart run in its own process group with the unit's Environment= and
// EnvironmentFile= (a missing file fails the start unless prefixed with
// "-"), as its User= (when the sandbox runs as root; else as the sandbox's
// user, with USER/HOME set as systemd sets them), restarted per Restart= after
// RestartSec= (emulated time) within systemd's start limit (5 starts in 10
// s). Type= is taken as simple: `systemctl start` succeeds once the process
// is forked, and an exec or user failure shows as the service failing.
type systemd struct {
	g *guest

	mu       sync.Mutex
	loaded   map[string]*unit // name -> unit file as last (re)loaded
	services map[string]*service
	frozen   bool
}

type unit struct {
	name, description, user, workdir, restart, wantedBy string
	exec                                                []string
	env                                                 []string
	envFiles                                            []string // "-" prefix: optional
	restartSec                                          time.Duration
}

type service struct {
	u       *unit
	wanted  bool // started and not stopped: a dead process is restarted per Restart=
	killed  bool // stopped by failure injection, started again by recover
	cmd     *exec.Cmd
	done    chan struct{}
	starts  []time.Time
	state   string // active, inactive, failed
	started time.Time
}

const (
	startLimitBurst    = 5
	startLimitInterval = 10 * time.Second
	defaultRestartSec  = 100 * time.Millisecond
)

func (sd *systemd) unitPath(name string) string {
	return filepath.Join(sd.g.root, "etc/systemd/system", name)
}

// load reads name's unit file (the caller holds sd.mu).
func (sd *systemd) load(name string) (*unit, error) {
	if u, ok := sd.loaded[name]; ok {
		return u, nil
	}
	f, err := os.Open(sd.unitPath(name))
	if err != nil {
		return nil, fmt.Errorf("Unit %s not found.", name)
	}
	defer f.Close()
	u := &unit{name: name, restart: "no", restartSec: defaultRestartSec}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch section + "." + k {
		case "Unit.Description":
			u.description = v
		case "Install.WantedBy":
			u.wantedBy = v
		case "Service.ExecStart":
			u.exec = strings.Fields(strings.TrimLeft(v, "-@:+!"))
		case "Service.User":
			u.user = v
		case "Service.WorkingDirectory":
			u.workdir = v
		case "Service.Restart":
			u.restart = v
		case "Service.RestartSec":
			d, err := parseSystemdTime(v)
			if err != nil {
				return nil, fmt.Errorf("%s: RestartSec=%s: %w", name, v, err)
			}
			u.restartSec = d
		case "Service.Environment":
			for _, kv := range strings.Fields(v) {
				u.env = append(u.env, strings.Trim(kv, `"`))
			}
		case "Service.EnvironmentFile":
			u.envFiles = append(u.envFiles, v)
		}
	}
	if len(u.exec) == 0 || !filepath.IsAbs(u.exec[0]) {
		return nil, fmt.Errorf("%s has a bad unit file setting: ExecStart= must name an absolute path", name)
	}
	sd.loaded[name] = u
	return u, nil
}

// parseSystemdTime reads a time span: "2", "2s", "500ms", "1min".
func parseSystemdTime(v string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	return time.ParseDuration(strings.Replace(v, "min", "m", 1))
}

// systemctl runs `systemctl args...` and returns its output and exit code.
func (sd *systemd) systemctl(args []string) (string, int) {
	var now bool
	var verb string
	var units []string
	for _, a := range args {
		switch {
		case a == "--now":
			now = true
		case strings.HasPrefix(a, "-"): // --quiet, --no-block, --no-pager...
		case verb == "":
			verb = a
		default:
			if !strings.Contains(a, ".") {
				a += ".service"
			}
			units = append(units, a)
		}
	}
	sd.mu.Lock()
	defer sd.mu.Unlock()
	var out strings.Builder
	code := 0
	fail := func(c int, format string, a ...any) { fmt.Fprintf(&out, format+"\n", a...); code = c }
	switch verb {
	case "daemon-reload":
		sd.loaded = map[string]*unit{}
	case "enable", "disable":
		for _, name := range units {
			u, err := sd.load(name)
			if err != nil {
				fail(1, "Failed to %s unit: %v", verb, err)
				continue
			}
			if u.wantedBy == "" {
				fmt.Fprintf(&out, "The unit files have no installation config (WantedBy=...).\n")
			} else if err := sd.link(u, verb == "enable"); err != nil {
				fail(1, "Failed to %s unit: %v", verb, err)
				continue
			}
			if now && verb == "enable" {
				sd.start(u)
			} else if now {
				sd.stop(name, false)
			}
		}
	case "start", "restart":
		for _, name := range units {
			u, err := sd.load(name)
			if err != nil {
				fail(5, "Failed to start %s: %v", name, err)
				continue
			}
			sd.stop(name, false)
			sd.start(u)
		}
	case "stop":
		for _, name := range units {
			sd.stop(name, false)
		}
	case "is-active", "status":
		for _, name := range units {
			st := "inactive"
			if svc := sd.services[name]; svc != nil {
				st = svc.state
			}
			if verb == "status" {
				fmt.Fprintf(&out, "● %s\n     Active: %s\n", name, st)
			} else {
				fmt.Fprintln(&out, st)
			}
			if st != "active" {
				code = 3
			}
		}
	default:
		fail(1, "sandbox systemctl: %q is not supported (daemon-reload, enable, disable, start, restart, stop, is-active, status)", verb)
	}
	return out.String(), code
}

// link creates or removes the unit's symlink in its target's .wants.
func (sd *systemd) link(u *unit, enable bool) error {
	wants := filepath.Join(sd.g.root, "etc/systemd/system", u.wantedBy+".wants")
	link := filepath.Join(wants, u.name)
	if !enable {
		_ = os.Remove(link)
		return nil
	}
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	_ = os.Remove(link)
	return os.Symlink(filepath.Join("/etc/systemd/system", u.name), link)
}

// start starts u's service (the caller holds sd.mu).
func (sd *systemd) start(u *unit) {
	svc := sd.services[u.name]
	if svc == nil {
		svc = &service{}
		sd.services[u.name] = svc
	}
	svc.u, svc.wanted, svc.killed, svc.starts = u, true, false, nil
	sd.run(svc)
}

// run forks svc's process, counting the start against the start limit.
func (sd *systemd) run(svc *service) {
	now := time.Now()
	window := sd.g.s.emu(startLimitInterval)
	recent := svc.starts[:0]
	for _, t := range svc.starts {
		if now.Sub(t) < window {
			recent = append(recent, t)
		}
	}
	if svc.starts = append(recent, now); len(svc.starts) > startLimitBurst {
		sd.g.journal(svc.u.name, "Start request repeated too quickly. Failed with result 'start-limit-hit'.")
		svc.state, svc.wanted = "failed", false
		return
	}
	cmd, err := sd.command(svc.u)
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		sd.g.journal(svc.u.name, "Failed to start: "+err.Error())
		svc.state = "failed"
		sd.scheduleRestart(svc, false, false)
		return
	}
	if sd.frozen {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGSTOP)
	}
	done := make(chan struct{})
	svc.cmd, svc.done, svc.state, svc.started = cmd, done, "active", now
	go func() {
		werr := cmd.Wait()
		if f, ok := cmd.Stdout.(*os.File); ok {
			f.Close()
		}
		close(done)
		sd.exited(svc, cmd, werr)
	}()
}

// exited handles a service's process ending: restarted per Restart=.
func (sd *systemd) exited(svc *service, cmd *exec.Cmd, werr error) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if svc.cmd != cmd {
		return // a stop already moved on
	}
	clean, signaled := werr == nil, false
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		sig := ws.Signal()
		signaled = true
		clean = sig == syscall.SIGHUP || sig == syscall.SIGINT || sig == syscall.SIGTERM || sig == syscall.SIGPIPE
	}
	sd.g.journal(svc.u.name, fmt.Sprintf("Main process exited: %v", cmd.ProcessState))
	svc.cmd = nil
	svc.state = "inactive"
	if !clean {
		svc.state = "failed"
	}
	sd.scheduleRestart(svc, clean, signaled)
}

// restarts says whether Restart=policy restarts a process that ended
// cleanly or not, by a signal or not (systemd.service(5), "Restart=").
func restarts(policy string, clean, signaled bool) bool {
	switch policy {
	case "always":
		return true
	case "on-success":
		return clean
	case "on-failure":
		return !clean
	case "on-abnormal", "on-abort":
		return signaled && !clean
	}
	return false
}

func (sd *systemd) scheduleRestart(svc *service, clean, signaled bool) {
	if !svc.wanted || !restarts(svc.u.restart, clean, signaled) {
		svc.wanted = false
		return
	}
	svc.state = "activating"
	u := svc.u
	time.AfterFunc(sd.g.s.emu(u.restartSec), func() {
		sd.mu.Lock()
		defer sd.mu.Unlock()
		if svc.wanted && svc.u == u && svc.cmd == nil {
			sd.run(svc)
		}
	})
}

// stop ends a service: SIGTERM to its process group, SIGKILL if it is
// still there after grace (the caller holds sd.mu; the wait releases it).
func (sd *systemd) stop(name string, killed bool) {
	svc := sd.services[name]
	if svc == nil {
		return
	}
	svc.wanted, svc.killed = false, killed
	cmd, done := svc.cmd, svc.done
	svc.cmd, svc.state = nil, "inactive"
	if cmd == nil {
		return
	}
	sd.mu.Unlock()
	defer sd.mu.Lock()
	signalGroup(cmd, done, killed, 10*time.Second)
}

// signalGroup ends cmd's process group: SIGKILL at once when hard, else
// SIGTERM and SIGKILL after grace; a stopped (frozen) group is continued so
// it can die.
func signalGroup(cmd *exec.Cmd, done chan struct{}, hard bool, grace time.Duration) {
	pg := -cmd.Process.Pid
	if !hard {
		_ = syscall.Kill(pg, syscall.SIGTERM)
		select {
		case <-done:
			return
		case <-time.After(grace):
		}
	}
	_ = syscall.Kill(pg, syscall.SIGKILL)
	_ = syscall.Kill(pg, syscall.SIGCONT)
	<-done
}

// command builds the process of u's ExecStart.
func (sd *systemd) command(u *unit) (*exec.Cmd, error) {
	g := sd.g
	env := g.baseEnv("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin")
	var cred *syscall.Credential
	if u.user != "" && u.user != "root" {
		uid, gid, home, ok := g.lookupUser(u.user)
		if !ok {
			return nil, fmt.Errorf("status=217/USER: user %q does not exist on the instance", u.user)
		}
		env = append(env, "USER="+u.user, "LOGNAME="+u.user, "HOME="+home)
		if os.Geteuid() == 0 {
			cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		}
	}
	env = append(env, u.env...)
	for _, f := range u.envFiles {
		optional := strings.HasPrefix(f, "-")
		vars, err := readEnvFile(g.path(strings.TrimPrefix(f, "-")))
		if err != nil && !optional {
			return nil, fmt.Errorf("failed to load environment files: %w", err)
		}
		env = append(env, vars...)
	}
	env = append(env, g.portMapping()...)
	cmd := exec.Command(g.path(u.exec[0]), u.exec[1:]...)
	cmd.Env = env
	cmd.Dir = g.root
	if u.workdir != "" {
		cmd.Dir = g.path(u.workdir)
	}
	log, err := os.OpenFile(g.journalPath(u.name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	return cmd, nil
}

// readEnvFile parses an EnvironmentFile: KEY=VALUE lines, # and ; comments,
// surrounding quotes removed.
func readEnvFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var vars []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' || !strings.Contains(line, "=") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		vars = append(vars, strings.TrimSpace(k)+"="+strings.Trim(strings.TrimSpace(v), `"'`))
	}
	return vars, nil
}

// freeze stops (power loss) or continues every service's process group.
func (sd *systemd) freeze(off bool) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	sd.frozen = off
	sig := syscall.SIGCONT
	if off {
		sig = syscall.SIGSTOP
	}
	for _, svc := range sd.services {
		if svc.cmd != nil {
			_ = syscall.Kill(-svc.cmd.Process.Pid, sig)
		}
	}
}

// killAll ends every service at once and keeps them down (the failure
// injection "the app dies"; Restart= does not bring them back) until
// restartKilled; shutdown (hard false) stops them as EC2's shutdown does.
func (sd *systemd) killAll(hard bool, grace time.Duration) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	for _, name := range sd.names() {
		svc := sd.services[name]
		if !svc.wanted && svc.cmd == nil {
			continue
		}
		svc.wanted, svc.killed = false, hard
		cmd, done := svc.cmd, svc.done
		svc.cmd, svc.state = nil, "inactive"
		if cmd != nil {
			sd.mu.Unlock()
			signalGroup(cmd, done, hard, grace)
			sd.mu.Lock()
		}
	}
}

// restartKilled starts the services killAll killed; false if there were none.
func (sd *systemd) restartKilled() bool {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	any := false
	for _, name := range sd.names() {
		if svc := sd.services[name]; svc.killed {
			sd.start(svc.u)
			any = true
		}
	}
	return any
}

// mainPID is the first running service's process, and when it last started.
func (sd *systemd) mainPID() (int, time.Time) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	var last time.Time
	pid := 0
	for _, name := range sd.names() {
		svc := sd.services[name]
		if svc.started.After(last) {
			last = svc.started
		}
		if svc.cmd != nil && pid == 0 {
			pid = svc.cmd.Process.Pid
		}
	}
	return pid, last
}

// active says whether any service was started (and not stopped).
func (sd *systemd) active() bool {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	for _, svc := range sd.services {
		if svc.wanted || svc.cmd != nil {
			return true
		}
	}
	return false
}

func (sd *systemd) names() []string {
	names := make([]string, 0, len(sd.services))
	for n := range sd.services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
