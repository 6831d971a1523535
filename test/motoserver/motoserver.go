// Package motoserver starts and stops a private moto AWS emulator for tests,
// demos and benchmarks. Each server listens on a free loopback port and is
// owned by the caller: Stop ends exactly the process Start made.
//
// The server runs moto_fixed.py (embedded), which carries the project's fixes
// for moto 5.2.1: the launch-template UserData crash, and the launch template
// version an Auto Scaling instance reports (the one it was launched from, as
// AWS reports it). Nothing outside test tooling knows about moto: clients
// only see an endpoint URL.
package motoserver

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

//go:embed moto_fixed.py
var launcherScript []byte

// Server is one running moto process.
type Server struct {
	// URL is the endpoint clients use, such as http://127.0.0.1:41234.
	URL  string
	Port int

	cmd     *exec.Cmd
	dir     string
	logPath string
	exited  chan struct{}
}

// Options tune Start. The zero value is fine.
type Options struct {
	// Python is the interpreter that has moto installed; default python3.
	Python string
	// StartTimeout bounds the wait for the server to answer; default 60s.
	StartTimeout time.Duration
}

// Start launches moto on a free port and returns once it answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Python == "" {
		opts.Python = "python3"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if err := Check(opts.Python); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hawebapp-moto-")
	if err != nil {
		return nil, fmt.Errorf("creating moto work directory: %w", err)
	}
	script := filepath.Join(dir, "moto_fixed.py")
	if err := os.WriteFile(script, launcherScript, 0o600); err != nil {
		return nil, fmt.Errorf("writing moto launcher: %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "moto.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating moto log: %w", err)
	}
	cmd := exec.Command(opts.Python, script, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so Stop can end moto and any child it spawned.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), "MOTO_ALLOW_NONEXISTENT_REGION=true")
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting moto (%s): %w", opts.Python, err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Port: port, cmd: cmd, dir: dir, logPath: logPath, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); logFile.Close(); close(s.exited) }()

	waitCtx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := s.waitReady(waitCtx); err != nil {
		log, _ := os.ReadFile(logPath)
		s.Stop()
		return nil, fmt.Errorf("moto did not become ready: %w\n%s", err, log)
	}
	return s, nil
}

// waitReady polls the moto API with exponential backoff until it answers.
func (s *Server) waitReady(ctx context.Context) error {
	delay := 50 * time.Millisecond
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return errors.New("moto exited during start-up")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

// PID is the moto process's ID (it leads its own process group).
func (s *Server) PID() int {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Reset drops every resource moto holds, so one server can serve many tests.
func (s *Server) Reset(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/moto-api/reset", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("resetting moto: %w", err)
	}
	resp.Body.Close()
	return nil
}

// Log returns what moto printed so far (for failure reports).
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// Stop ends the moto process group (SIGTERM, then SIGKILL) and removes its files.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	StopGroup(s.cmd, s.exited, syscall.SIGTERM, 5*time.Second)
	_ = os.RemoveAll(s.dir)
}

// StopGroup sends sig to the process group cmd leads (started with Setpgid)
// and waits for exited to close, escalating to SIGKILL after grace. A command
// that never started is left alone. The sandbox's HAProxy and PostgreSQL stop
// their process groups through it too.
func StopGroup(cmd *exec.Cmd, exited <-chan struct{}, sig syscall.Signal, grace time.Duration) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, sig)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}
}

// Env returns the environment an SDK client or Terraform needs to reach this server.
func (s *Server) Env() map[string]string {
	return ClientEnv(s.URL)
}

// ClientEnv is the standard AWS environment for an endpoint with dummy credentials.
func ClientEnv(endpoint string) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":      endpoint,
		"AWS_REGION":            "us-east-1",
		"AWS_DEFAULT_REGION":    "us-east-1",
		"AWS_ACCESS_KEY_ID":     "testing",
		"AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_SESSION_TOKEN":     "",
	}
}

// checked remembers Check's answer per Python interpreter: importing moto
// costs about half a CPU-second, and a sandbox test used to pay it three
// times per start (the prerequisite check, the sandbox's and the server's)
// for an answer that cannot change while the process runs.
var checked sync.Map // python path -> error (nil when moto imports)

// Check reports clearly when moto is not installed.
func Check(python string) error {
	if err, ok := checked.Load(python); ok {
		return asError(err)
	}
	var err error
	if out, runErr := exec.Command(python, "-c", "import moto, sys; sys.stdout.write(moto.__version__)").CombinedOutput(); runErr != nil {
		err = fmt.Errorf("moto is not importable by %s (install it with: pip install 'moto[server]==5.2.1'): %v: %s", python, runErr, out)
	}
	checked.Store(python, err)
	return err
}

func asError(v any) error {
	err, _ := v.(error)
	return err
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, fmt.Errorf("finding a free port: unexpected address %v", l.Addr())
	}
	return addr.Port, nil
}
