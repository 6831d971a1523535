package soak

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Options describe one load phase.
type Options struct {
	// Name labels the phase in results ("steady", "zone down"); default "load".
	Name string
	// URL is requested over and over: http://host[:port]/path.
	URL string
	// Resolve, when set, resolves URL's host the way a client does: on
	// every new connection, which goes to the first address answered (a
	// load balancer's DNS name answers its zones' nodes, rotating; see
	// sandbox.Client.Resolve). Unset: the host is dialled as given.
	Resolve func(ctx context.Context, host string) ([]string, error)
	// Concurrency is ab's -c; default 8.
	Concurrency int
	// Rate caps the load in requests a second (ab has no cap of its own:
	// the library paces the requests ab sends); 0: as fast as ab goes.
	// Failure budgets need a cap.
	Rate float64
	// Timeout, when set, is the client's patience, as a client with a
	// request timeout has: a request without a complete answer this long
	// after it went upstream fails ("receive: timeout") and its connection
	// is reset, which frees ab's slot. Without it a request held by a dead
	// load balancer node (one a zonal shift has not yet taken out of DNS)
	// holds its slot until the phase ends, and a few such hold all of them.
	// 0: wait until the phase ends.
	Timeout time.Duration
	// KeepAlive is ab's -k: requests share connections.
	KeepAlive bool
	// Headers are extra "Name: value" lines (ab's -H).
	Headers []string
	// Dir receives ab's files; default a new temporary directory, removed
	// at Stop.
	Dir string
	// MaxRequests is ab's -n, the most it may send; default 5,000,000 (ab
	// reserves 32 bytes of address space per request, touched as used).
	MaxRequests int
	// ABTimeoutSeconds is ab's -s; default 3600 (see abArgs).
	ABTimeoutSeconds int
	// Drain is how long Stop lets requests already sent finish before the
	// phase ends (no new request is sent meanwhile); what is still waiting
	// then is in flight at the end and counts as failed. 0: end at once.
	// A steady-state phase that must show zero failures sets it, so the
	// moment Stop is called is not mistaken for a failure.
	Drain time.Duration
}

func (o *Options) defaults() {
	if o.Name == "" {
		o.Name = "load"
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.MaxRequests <= 0 {
		o.MaxRequests = 5_000_000
	}
	if o.ABTimeoutSeconds <= 0 {
		o.ABTimeoutSeconds = 3600
	}
}

// Phase is a load phase under way: one ab process, running until Stop.
type Phase struct {
	opts    Options
	start   time.Time
	rec     *recorder
	tap     *tap
	cmd     *exec.Cmd
	out     strings.Builder
	exited  chan error
	dir     string
	tempDir bool
	gnuplot string
	stopc   chan struct{}
	// interrupted: ctx ended before Stop, and ab was interrupted then.
	interrupted atomic.Bool
}

// Start checks ab is there and starts it against o.URL.
func Start(ctx context.Context, o Options) (*Phase, error) {
	o.defaults()
	bin, err := FindAB()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("soak: parsing %q: %w", o.URL, err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("soak: %s: only http:// URLs (the library reads each request's status off the plain HTTP stream); soak the load balancer's HTTP listener", o.URL)
	}
	upstream := u.Host
	if u.Port() == "" {
		upstream = net.JoinHostPort(u.Hostname(), "80")
	}
	p := &Phase{opts: o, rec: &recorder{}, exited: make(chan error, 1), dir: o.Dir, stopc: make(chan struct{})}
	if p.dir == "" {
		if p.dir, err = os.MkdirTemp("", "soak-"); err != nil {
			return nil, fmt.Errorf("soak: %w", err)
		}
		p.tempDir = true
	}
	p.gnuplot = filepath.Join(p.dir, strings.ReplaceAll(o.Name, " ", "-")+".tsv")
	_ = os.Remove(p.gnuplot)
	if p.tap, err = newTap(upstream, p.rec, newPacer(o.Rate)); err != nil {
		return nil, err
	}
	p.tap.resolve = o.Resolve
	p.tap.timeout = o.Timeout
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	args := abArgs("http://"+p.tap.Addr()+path, u.Host, p.gnuplot, o)
	p.cmd = exec.Command(bin, args...)
	// Own process group: a terminal's Ctrl-C reaches the caller only, which
	// then stops ab with one interrupt (ab prints its report on SIGINT).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		p.tap.close()
		return nil, fmt.Errorf("soak: starting ab: %w", err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	go func() {
		select {
		case <-ctx.Done():
			p.interrupted.Store(true)
			_ = p.cmd.Process.Signal(os.Interrupt)
		case <-p.stopc:
		}
	}()
	return p, nil
}

// Started is when the phase began.
func (p *Phase) Started() time.Time { return p.start }

// Progress counts the phase's requests so far.
func (p *Phase) Progress() Progress { return p.rec.progress() }

// Since returns the requests sent at or after t, newest first.
func (p *Phase) Since(t time.Time) []Request { return p.rec.since(t) }

// Stop interrupts ab (it prints its report and writes its -g file), ends
// the phase (requests still waiting are in flight at the end) and returns
// the result. The error reports ab's failure to run, not failed requests.
func (p *Phase) Stop() (*Result, error) {
	p.drain()
	ab := &ABReport{Args: p.cmd.Args}
	var runErr error
	close(p.stopc)
	select {
	case err := <-p.exited:
		if p.interrupted.Load() {
			runErr = errors.New("soak: the phase's context ended before Stop")
		} else {
			ab.Exit = fmt.Sprintf("ab ended by itself (%v): %s", err, lastLine(p.out.String()))
		}
	default:
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
			runErr = errors.New("soak: ab did not stop within 10 s of its interrupt and was killed")
		}
	}
	end := time.Now()
	reqs, held := p.rec.freeze()
	p.tap.close()
	text := p.out.String()
	parseABOutput(text, ab)
	if lat, err := readGnuplot(p.gnuplot); err != nil {
		runErr = errors.Join(runErr, err)
	} else {
		ab.Latency = Summarize(lat)
	}
	if p.tempDir {
		_ = os.RemoveAll(p.dir)
	}
	r := newResult(p.opts.Name, p.opts.URL, p.start, end, reqs, held)
	r.Rate, r.Concurrency, r.AB = p.opts.Rate, p.opts.Concurrency, ab
	r.Sources = []string{
		"load: ab (" + strings.Join(ab.Args[1:], " ") + "), one process for the phase",
		"each request's outcome, status, reason, times and latency: the library's tap between ab and the URL (ab reports totals only)",
		"in flight at the end: requests the tap had sent with no answer when ab was interrupted",
		"AB: ab's own totals and its -g latencies (from the start of connecting, including time held by the pacer)",
	}
	if p.opts.Rate > 0 {
		r.Sources = append(r.Sources, fmt.Sprintf("rate: the library's pacer, %.0f requests a second (ab has no rate limit)", p.opts.Rate))
	}
	if ab.Exit == "" && !strings.Contains(text, "Complete requests") && runErr == nil {
		runErr = fmt.Errorf("soak: ab printed no report: %s", lastLine(text))
	}
	return r, runErr
}

// drain sends nothing more and waits, with backoff, up to Options.Drain
// for the requests already sent to end.
func (p *Phase) drain() {
	if p.opts.Drain <= 0 {
		return
	}
	p.tap.pace.stop()
	p.rec.stopSending()
	deadline := time.Now().Add(p.opts.Drain)
	for delay := 10 * time.Millisecond; p.rec.progress().Waiting > 0 && time.Now().Before(deadline); delay = min(delay*2, 250*time.Millisecond) {
		time.Sleep(min(delay, time.Until(deadline)))
	}
}

// Run is one phase of duration d.
func Run(ctx context.Context, o Options, d time.Duration) (*Result, error) {
	p, err := Start(ctx, o)
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return p.Stop()
}
