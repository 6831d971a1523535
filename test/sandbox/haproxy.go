package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
)

// haproxy is one HAProxy master-worker process serving every load balancer
// listener of the sandbox. Listeners and target groups are configuration
// (changing them reloads gracefully); targets are added, drained and removed
// through the runtime API, so membership changes never restart anything.
//
// Runtime commands go through the master CLI to the current worker by its
// PID ("@!<pid>"), never through the worker's own stats socket: after a
// reload the old and the new worker share that listening socket until the
// old one unbinds, so a command sent there can reach the old worker, whose
// configuration lacks a backend just added ("No such backend"; seen under
// load in CI).
type haproxy struct {
	dir, cfgPath, sock, master string
	cmd                        *exec.Cmd
	exited                     chan struct{}
	worker                     atomic.Value // string: the current worker's PID

	base string // global, defaults and the liveness frontend

	mu      sync.Mutex
	config  string
	applied map[string]server // "backend/server" -> what the runtime API was told
}

const haproxyGlobal = `global
  stats socket %s mode 600 level admin expose-fd listeners
  stats timeout 10s
  maxconn 4096
defaults
  mode http
  option httplog
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-request 10s
  timeout http-keep-alive 10s
frontend sandbox_alive
  bind 127.0.0.1:%d
  http-request return status 200
`

func startHAProxy(ctx context.Context, dir string) (*haproxy, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := motoserver.FreePort()
	if err != nil {
		return nil, err
	}
	h := &haproxy{dir: dir, cfgPath: filepath.Join(dir, "haproxy.cfg"), sock: filepath.Join(dir, "admin.sock"),
		master: filepath.Join(dir, "master.sock"), applied: map[string]server{}}
	h.worker.Store("")
	h.base = fmt.Sprintf(haproxyGlobal, h.sock, port)
	h.config = h.base
	if err := os.WriteFile(h.cfgPath, []byte(h.config), 0o644); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "haproxy.log"))
	if err != nil {
		return nil, err
	}
	// -W: master-worker in the foreground, so the PID is ours and SIGUSR2
	// reloads; -S: the master CLI, which addresses one worker by PID.
	cmd := exec.Command("haproxy", "-W", "-S", h.master, "-f", h.cfgPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting haproxy: %w", err)
	}
	h.cmd, h.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(h.exited) }()
	if _, err := h.waitWorker(ctx, ""); err != nil {
		h.stop()
		return nil, err
	}
	return h, nil
}

// waitWorker waits until the master names a current worker other than old
// and that worker answers, then makes it the target of every command.
func (h *haproxy) waitWorker(ctx context.Context, old string) (string, error) {
	var pid string
	exited := false
	err := env.UntilE(ctx, "a new haproxy worker answering through the master CLI", 20*time.Second, func() (bool, string) {
		select {
		case <-h.exited:
			exited = true
			return true, ""
		default:
		}
		procs, err := h.masterCommand("show proc")
		if err != nil { // the master re-executes itself on a reload
			return false, err.Error()
		}
		pid = currentWorker(procs)
		if pid == "" || pid == old {
			return false, "current worker " + pid
		}
		if _, err := h.masterCommand("@!" + pid + " show info"); err != nil {
			return false, "worker " + pid + ": " + err.Error()
		}
		return true, ""
	})
	if exited {
		log, _ := os.ReadFile(filepath.Join(h.dir, "haproxy.log"))
		return "", fmt.Errorf("haproxy exited: %s", log)
	}
	if err == nil {
		h.worker.Store(pid)
	}
	return pid, err
}

// currentWorker reads the first PID listed under "# workers" in the
// master's "show proc" (old workers, still finishing requests, come after
// "# old workers").
func currentWorker(procs string) string {
	_, rest, ok := strings.Cut(procs, "# workers\n")
	if !ok {
		return ""
	}
	line, _, _ := strings.Cut(rest, "\n")
	if strings.HasPrefix(line, "#") {
		return ""
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}

// apply writes a new configuration and reloads gracefully when it changed:
// the old worker finishes its in-flight requests.
func (h *haproxy) apply(ctx context.Context, config string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if config == h.config {
		return nil
	}
	check := exec.CommandContext(ctx, "haproxy", "-c", "-q", "-f", "/dev/stdin")
	check.Stdin = strings.NewReader(config)
	if out, err := check.CombinedOutput(); err != nil {
		return fmt.Errorf("haproxy rejected the configuration: %v: %s", err, out)
	}
	if err := os.WriteFile(h.cfgPath, []byte(config), 0o644); err != nil {
		return err
	}
	if err := h.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
		return err
	}
	if _, err := h.waitWorker(ctx, h.worker.Load().(string)); err != nil {
		return err
	}
	h.config = config
	h.applied = map[string]server{}
	return nil
}

// has says whether the running configuration defines backend.
func (h *haproxy) has(backend string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Contains(h.config, "backend "+backend+"\n")
}

// command runs one runtime API command on the current worker.
func (h *haproxy) command(cmd string) (string, error) {
	return h.masterCommand("@!" + h.worker.Load().(string) + " " + cmd)
}

// masterCommand sends one command to the master CLI, which keeps a
// connection open after a command unless told to quit.
func (h *haproxy) masterCommand(cmd string) (string, error) {
	c, err := net.DialTimeout("unix", h.master, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+";quit\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	out := string(b)
	if strings.HasPrefix(out, "Can't find the target PID") {
		return "", errors.New(strings.TrimSpace(out))
	}
	return out, err
}

// stat is one row of "show stat".
type stat struct {
	proxy, server, status, addr string
	sessions                    int64
	checkStatus                 string
}

func (h *haproxy) stats() (map[string]map[string]stat, error) {
	out, err := h.command("show stat")
	if err != nil {
		return nil, err
	}
	res := map[string]map[string]stat{}
	sc := bufio.NewScanner(strings.NewReader(out))
	var idx map[string]int
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# ") {
			idx = map[string]int{}
			for i, name := range strings.Split(strings.TrimPrefix(line, "# "), ",") {
				idx[name] = i
			}
			continue
		}
		f := strings.Split(line, ",")
		if idx == nil || len(f) < len(idx)-1 {
			continue
		}
		get := func(k string) string {
			if i, ok := idx[k]; ok && i < len(f) {
				return f[i]
			}
			return ""
		}
		var n int64
		fmt.Sscan(get("stot"), &n)
		st := stat{proxy: get("pxname"), server: get("svname"), status: get("status"), addr: get("addr"), sessions: n, checkStatus: get("check_status")}
		if res[st.proxy] == nil {
			res[st.proxy] = map[string]stat{}
		}
		res[st.proxy][st.server] = st
	}
	return res, nil
}

// server is what the sandbox wants of one backend server.
type server struct {
	addr  string
	ready bool // false: drain (registered but not healthy, or deregistering)
}

// syncServers makes a backend's servers match want via the runtime API. It
// remembers what it set (HAProxy is changed by nothing else) and starts
// afresh after a reload, whose new worker has empty backends. Only what
// took is remembered: a command that failed is sent again on the next sync
// instead of being taken for done.
func (h *haproxy) syncServers(backend string, want map[string]server) []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	run := func(cmd string) bool {
		out, err := h.command(cmd)
		out = strings.TrimSpace(out)
		if err == nil && out != "" && !strings.HasPrefix(out, "New server registered") && !strings.HasPrefix(out, "Server deleted") {
			err = errors.New(out)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("haproxy %q: %w", cmd, err))
			return false
		}
		return true
	}
	prefix := backend + "/"
	for key, have := range h.applied {
		name, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		if w, ok := want[name]; ok && w.addr == have.addr {
			continue
		}
		run("set server " + key + " state maint")
		run("shutdown sessions server " + key)
		if run("del server " + key) {
			delete(h.applied, key)
		}
	}
	for name, w := range want {
		key := prefix + name
		have, ok := h.applied[key]
		if ok && have.addr != w.addr { // its deletion above failed: retried next time
			continue
		}
		if !ok && !run(fmt.Sprintf("add server %s %s", key, w.addr)) {
			continue
		}
		// Added (in maintenance, as HAProxy adds servers): until the state
		// below takes, remember the opposite of the wanted one so that the
		// next sync sets it again.
		h.applied[key] = server{addr: w.addr, ready: !w.ready}
		if !ok || have.ready != w.ready {
			state := "drain"
			if w.ready {
				state = "ready"
			}
			if !run("set server " + key + " state " + state) {
				continue
			}
		}
		h.applied[key] = w
	}
	return errs
}

// stop ends the master and its workers (their process group).
func (h *haproxy) stop() {
	if h == nil {
		return
	}
	motoserver.StopGroup(h.cmd, h.exited, syscall.SIGTERM, 5*time.Second)
}

func (h *haproxy) pid() int {
	select {
	case <-h.exited:
		return 0
	default:
		return h.cmd.Process.Pid
	}
}
