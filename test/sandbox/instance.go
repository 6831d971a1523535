package sandbox

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
)

// instance is one EC2 instance of an Auto Scaling group: a process of the
// example app behind a "network interface" (nic) the sandbox controls for
// failure injection.
type instance struct {
	id, asg, az string
	nic         *nic
	appPort     int
	env         []string
	binary      string
	logPath     string
	launched    time.Time // first seen in moto: the grace period and warmup count from here
	started     time.Time // the app process last started (real time)

	mu        sync.Mutex
	cmd       *exec.Cmd
	exited    chan struct{}
	state     string // booting, running, stopped (app killed), draining, terminated
	goneSince time.Time
	frozen    bool   // its zone lost power: the app's process group is SIGSTOPped
	guest     *guest // runs the user data and its services (boot.go); nil: the app alone
}

func newInstance(id, asg, az, binary, dir string, env []string) (*instance, error) {
	appPort, err := motoserver.FreePort()
	if err != nil {
		return nil, err
	}
	n, err := newNIC(appPort)
	if err != nil {
		return nil, err
	}
	return &instance{id: id, asg: asg, az: az, nic: n, appPort: appPort, binary: binary, env: env,
		logPath: filepath.Join(dir, id+".log"), launched: time.Now(), state: "booting"}, nil
}

// URL is where the instance answers, as its private IP would.
func (in *instance) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", in.nic.port) }

// boot waits the emulated boot time, then starts the app, unless the
// instance was terminated meanwhile.
func (in *instance) boot(ctx context.Context, delay time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(delay):
	}
	if in.guest != nil {
		in.guest.boot()
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state != "booting" {
		return
	}
	if err := in.startLocked(); err != nil {
		in.state = "stopped"
		return
	}
	in.state = "running"
}

func (in *instance) startLocked() error {
	logFile, err := os.OpenFile(in.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(in.binary)
	cmd.Env = append(append(os.Environ(), in.env...), "HAWEBAPP_PORT="+strconv.Itoa(in.appPort), "HAWEBAPP_LISTEN_HOST=127.0.0.1")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Own process group (Stop reaches any child) and SIGKILL if the sandbox dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(exited) }()
	in.cmd, in.exited, in.started = cmd, exited, time.Now()
	if in.frozen {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGSTOP)
	}
	return nil
}

// powerOff and powerOn are a zone's power loss and return, for one
// instance: its app stops dead (SIGSTOP to its process group: no answer, no
// FIN, no RST) and its network freezes (see nic.setPower); on return the
// connections that were open are reset, as a rebooted host's would be, and
// the app carries on.
func (in *instance) powerOff() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.nic.setPower(false)
	if in.frozen {
		return
	}
	in.frozen = true
	if in.cmd != nil {
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGSTOP)
	}
	in.guest.freeze(true)
}

func (in *instance) powerOn() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.frozen && in.cmd != nil {
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGCONT)
	}
	in.frozen = false
	in.guest.freeze(false)
	in.nic.setPower(true)
}

// inGrace says whether the group's health-check grace period still covers
// the instance. AWS counts it from launch and users size it to cover boot
// plus the app's start; the sandbox compresses the boot, but the app's start
// (exec, connecting to PostgreSQL) takes real time, so the period also lasts
// until the app has run for appStartFloor, or a slow start on a loaded
// machine is mistaken for a broken instance and replaced.
func (in *instance) inGrace(grace time.Duration) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case time.Since(in.launched) < grace, in.state == "booting":
		return true
	}
	started := in.started
	if _, t := in.guest.pid(); t.After(started) {
		started = t
	}
	if started.IsZero() {
		return false // the app never started: nothing left to wait for
	}
	return time.Since(started) < appStartFloor
}

// kill ends the app abruptly (failure injection); the instance stays
// "running" as far as EC2 knows, as a crashed service would.
func (in *instance) kill() {
	in.mu.Lock()
	cmd, exited := in.cmd, in.exited
	if in.state == "running" {
		in.state = "stopped"
	}
	in.mu.Unlock()
	if cmd != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	if in.guest != nil {
		in.guest.sd.killAll(true, 0)
	}
}

// recover restarts a killed app.
func (in *instance) recover() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state != "stopped" {
		return nil
	}
	// A booted instance's services come back; the baked-in app only on an
	// instance that ran it (a failed boot has nothing to restart).
	if in.guest != nil && (in.guest.sd.restartKilled() || in.cmd == nil) {
		in.state = "running"
		return nil
	}
	if err := in.startLocked(); err != nil {
		return err
	}
	in.state = "running"
	return nil
}

// terminate stops the app the way EC2 shutdown does: SIGTERM (the app
// drains), SIGKILL after grace; then the nic goes.
func (in *instance) terminate(grace time.Duration) {
	in.mu.Lock()
	cmd, exited, frozen := in.cmd, in.exited, in.frozen
	in.state = "terminated"
	in.mu.Unlock()
	if cmd != nil && frozen {
		grace = 0 // a host without power runs no shutdown
	}
	if cmd != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(grace):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGCONT)
			<-exited
		}
	}
	in.guest.shutdown(grace, frozen)
	in.nic.close()
}

func (in *instance) snapshot() (state string, pid int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd != nil {
		select {
		case <-in.exited:
		default:
			pid = in.cmd.Process.Pid
		}
	}
	if pid == 0 {
		pid, _ = in.guest.pid()
	}
	return in.state, pid
}

// nic forwards TCP from the instance's address to its app, and can lose
// power (a zone outage: new connections are held unanswered, bytes already
// on established ones stop flowing both ways, health checks time out) or
// delay (a slow instance) new connections. A dead app resets connections, as
// a closed port does.
type nic struct {
	ln        net.Listener
	port      int
	appPort   int
	blackhole atomic.Bool
	delayMs   atomic.Int64
	gray      atomic.Pointer[grayFault] // its zone's gray failure (gray.go)

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	on    chan struct{} // closed while powered; replaced at power loss
}

func newNIC(appPort int) (*nic, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	on := make(chan struct{})
	close(on)
	n := &nic{ln: ln, port: ln.Addr().(*net.TCPAddr).Port, appPort: appPort, conns: map[net.Conn]struct{}{}, on: on}
	go n.serve()
	return n, nil
}

// setPower switches the nic off (nothing moves) or back on: the connections
// that lived through the outage are reset, since the host behind them lost
// their state.
func (n *nic) setPower(up bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	powered := !n.blackhole.Load()
	switch {
	case !up && powered:
		n.blackhole.Store(true)
		n.on = make(chan struct{})
	case up && !powered:
		for c := range n.conns {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
		}
		n.blackhole.Store(false)
		close(n.on)
	}
}

// powered blocks while the nic has no power.
func (n *nic) powered() {
	n.mu.Lock()
	on := n.on
	n.mu.Unlock()
	<-on
}

func (n *nic) serve() {
	for {
		c, err := n.ln.Accept()
		if err != nil {
			return
		}
		n.track(c, true)
		go n.handle(c)
	}
}

func (n *nic) track(c net.Conn, add bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if add {
		n.conns[c] = struct{}{}
	} else {
		delete(n.conns, c)
	}
}

func (n *nic) handle(c net.Conn) {
	defer n.track(c, false)
	defer c.Close()
	if n.blackhole.Load() {
		_, _ = io.Copy(io.Discard, c) // hold until the client gives up
		return
	}
	if d := n.delayMs.Load(); d > 0 {
		time.Sleep(time.Duration(d) * time.Millisecond)
	}
	if n.gray.Load().drops(c) {
		return
	}
	app, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.appPort), time.Second)
	if err != nil {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, like a closed port
		}
		return
	}
	defer app.Close()
	n.track(app, true)
	defer n.track(app, false)
	done := make(chan struct{}, 2)
	go func() { n.pipe(app, c); closeWrite(app); done <- struct{}{} }()
	go func() { n.pipe(c, app); closeWrite(c); done <- struct{}{} }()
	<-done
	<-done
}

// pipe copies src to dst, holding every chunk while the power is off.
func (n *nic) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			n.powered()
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

func (n *nic) close() {
	_ = n.ln.Close()
	n.setPower(true) // releases and resets what a power loss held
	n.mu.Lock()
	defer n.mu.Unlock()
	for c := range n.conns {
		_ = c.Close()
	}
}
