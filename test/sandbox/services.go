package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

// A service's processes: started, restarted per Restart=, stopped, and
// reached by failure injection (see systemd).

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
