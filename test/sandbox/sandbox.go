// Package sandbox is a local AWS with a real data plane, for tests, demos and
// soaks when no AWS account is at hand.
//
// Layer 1 is one HTTP endpoint in front of a private moto server: every AWS
// call passes through untouched, except the few where moto is fake in ways a
// load test notices (target health, instance refresh, ASG notifications,
// scaling activities); those the sandbox answers itself.
//
// Layer 2 is made of real parts: HAProxy serves each load balancer listener,
// one process of the example app (examples/app) runs per instance an Auto
// Scaling group launches, and a PostgreSQL server stands in for each RDS
// instance, with the password its managed secret holds.
//
// The data plane learns about resources by reconciling from moto's state on
// every tick, so it follows whatever created them (a test's SDK calls,
// Terraform with hashicorp/aws, the hawebapp provider). Nothing outside test
// tooling knows about the sandbox: clients only see AWS_ENDPOINT_URL.
//
// Time is compressed: one emulated minute lasts Options.MinuteSeconds real
// seconds, and instance boot, health-check intervals, grace periods, warmups,
// deregistration delays and scaling evaluations scale with it.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/zonalshift"
)

// Options tune Start. The zero value is fine.
type Options struct {
	// MinuteSeconds is how many real seconds one emulated AWS minute lasts; default 3.
	MinuteSeconds float64
	// BootSeconds is an instance's emulated boot time before its app starts; default 20.
	BootSeconds float64
	// AppBinary is the example app to run per instance; default: built from examples/app.
	AppBinary string
	// Region the data plane reconciles; default us-east-1.
	Region string
	// Port for the endpoint; 0 picks a free one.
	Port int
	// Logf receives the sandbox's log lines; default: the standard logger.
	Logf func(format string, args ...any)
	// Python has moto installed; default python3.
	Python string
	// Wrap, when set, wraps the endpoint's handler (the admin API, the
	// sandbox's own answers and moto behind them), e.g. with test/strict.
	// The data plane's own calls go to moto directly and are not wrapped.
	Wrap func(http.Handler) http.Handler
	// Downloads adds files the instances can download, by URL path on any
	// host (downloads.go); the example app's release asset is always there.
	Downloads map[string]string
	// PracticeRunMinutes is how many emulated minutes an ARC practice run
	// shifts traffic for; default 30, as ARC's (autoshift.go).
	PracticeRunMinutes float64
}

// Sandbox is one running local AWS with its data plane.
type Sandbox struct {
	// Endpoint is the AWS endpoint URL, such as http://127.0.0.1:40123.
	Endpoint string

	opts  Options
	dir   string
	moto  *motoserver.Server
	aws   *awsClients
	rp    *httputil.ReverseProxy
	srv   *http.Server
	hap   *haproxy
	start time.Time

	// zonalShifts serves the ARC zonal shift API, which moto lacks; the
	// data plane drains the targets of a zone a load balancer is shifted
	// away from (zonalshift.go).
	zonalShifts *zonalshift.Emulator
	dl          *downloads // what instances download (downloads.go)

	pushMu        sync.Mutex // serialises pushes to HAProxy (see pushServers)
	mu            sync.Mutex
	instances     map[string]*instance
	lbs           map[string]*loadBalancer
	tgs           map[string]*targetGroup
	dbs           map[string]*database
	zonesDown     map[string]bool
	refreshes     map[string][]*refresh
	notifications map[string]map[string]notificationConfig // ASG -> topic ARN -> config
	activities    map[string][]activity
	dbPasswords   map[string]string // DB identifier -> MasterUserPassword seen on CreateDBInstance
	tracking      map[string]*trackingState
	ltCache       map[string]string // launch template id/version -> user data
	replacing     map[string]string // unhealthy instance -> the replacement launched first (reconcile loop only)
	practiceSeen  map[string]string // practice run ID -> status last recorded (reconcile loop only; autoshift.go)
	faults        zoneFaults        // zone impairments and gray failures (impair.go, gray.go)
	lbNodes       lbNodes           // a node per zone of each load balancer (lbnodes.go)

	evMu   sync.Mutex // guards events (taken without, or after, mu)
	events []Event

	cancel  context.CancelFunc
	wg      sync.WaitGroup // the reconcile and minute loops
	bg      sync.WaitGroup // probes and terminations: Stop waits for them too
	stopped atomic.Bool
	stopMu  sync.Once
}

// Start launches moto, HAProxy and the endpoint, and begins reconciling.
// Stop (or ctx's cancellation) ends every process it started.
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	if opts.MinuteSeconds <= 0 {
		opts.MinuteSeconds = 3
	}
	if opts.BootSeconds <= 0 {
		opts.BootSeconds = 20
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.PracticeRunMinutes <= 0 {
		opts.PracticeRunMinutes = 30
	}
	if opts.Logf == nil {
		opts.Logf = log.Printf
	}
	if err := Check(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hawebapp-sandbox-")
	if err != nil {
		return nil, err
	}
	s := &Sandbox{opts: opts, dir: dir, start: time.Now(),
		instances: map[string]*instance{}, lbs: map[string]*loadBalancer{}, tgs: map[string]*targetGroup{},
		dbs: map[string]*database{}, zonesDown: map[string]bool{}, refreshes: map[string][]*refresh{},
		notifications: map[string]map[string]notificationConfig{}, activities: map[string][]activity{},
		dbPasswords: map[string]string{}, tracking: map[string]*trackingState{}, ltCache: map[string]string{},
		replacing: map[string]string{}, practiceSeen: map[string]string{}}
	if err := s.launch(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Sandbox) launch(ctx context.Context) error {
	if s.opts.AppBinary == "" {
		bin, err := buildApp(ctx, s.dir)
		if err != nil {
			return err
		}
		s.opts.AppBinary = bin
	}
	moto, err := motoserver.Start(ctx, motoserver.Options{Python: s.opts.Python})
	if err != nil {
		return err
	}
	s.moto = moto
	if s.dl, err = startDownloads(s.downloadFile, s.logf); err != nil {
		return err
	}
	motoURL, _ := url.Parse(moto.URL)
	s.rp = httputil.NewSingleHostReverseProxy(motoURL)
	s.zonalShifts = zonalshift.New(s.rp, zonalshift.Options{Clock: emulatedClock{s}, Region: s.opts.Region,
		PracticeRunDuration: time.Duration(s.opts.PracticeRunMinutes * float64(time.Minute))})
	if s.aws, err = newAWSClients(ctx, moto.URL, s.opts.Region); err != nil {
		return err
	}
	if s.hap, err = startHAProxy(ctx, filepath.Join(s.dir, "haproxy")); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", s.opts.Port))
	if err != nil {
		return fmt.Errorf("sandbox endpoint: %w", err)
	}
	s.Endpoint = "http://" + ln.Addr().String()
	var h http.Handler = s
	if s.opts.Wrap != nil {
		h = s.opts.Wrap(s)
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()

	// The loops outlive Start's ctx (a test's ctx may be short): Stop ends them.
	lctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.reconcileLoop(lctx) }()
	go func() { defer s.wg.Done(); s.minuteLoop(lctx) }()
	return nil
}

// Stop ends every process the sandbox started (instances, HAProxy,
// PostgreSQL, moto) by PID and removes its files. Safe to call twice.
func (s *Sandbox) Stop() {
	s.stopMu.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		if s.srv != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = s.srv.Shutdown(sctx)
			cancel()
		}
		s.mu.Lock()
		insts := make([]*instance, 0, len(s.instances))
		for _, in := range s.instances {
			insts = append(insts, in)
		}
		dbs := make([]*database, 0, len(s.dbs))
		for _, db := range s.dbs {
			dbs = append(dbs, db)
		}
		for _, tg := range s.tgs {
			tg.stopProbes()
		}
		s.mu.Unlock()
		s.bg.Wait()
		var wg sync.WaitGroup
		for _, in := range insts {
			wg.Add(1)
			go func() { defer wg.Done(); in.terminate(time.Second) }()
		}
		for _, db := range dbs {
			wg.Add(1)
			go func() { defer wg.Done(); db.stop() }()
		}
		wg.Wait()
		s.closeLBNodes()
		s.hap.stop()
		s.dl.close()
		s.moto.Stop()
		_ = os.RemoveAll(s.dir)
		s.stopped.Store(true)
	})
}

// Env is the environment an SDK client, Terraform or the provider needs to
// use the sandbox: endpoint, region and dummy credentials.
func (s *Sandbox) Env() map[string]string {
	env := motoserver.ClientEnv(s.Endpoint)
	env["AWS_REGION"], env["AWS_DEFAULT_REGION"] = s.opts.Region, s.opts.Region
	return env
}

// Client is the admin API client for this sandbox.
func (s *Sandbox) Client() *Client { return NewClient(s.Endpoint) }

// MotoLog returns what moto printed, for failure reports.
func (s *Sandbox) MotoLog() string { return s.moto.Log() }

// emu converts an emulated AWS duration into the real one.
func (s *Sandbox) emu(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.opts.MinuteSeconds / 60)
}

// logf logs until Stop returns (a test's t.Logf must not be called after it ends).
func (s *Sandbox) logf(format string, args ...any) {
	if !s.stopped.Load() {
		s.opts.Logf("sandbox: "+format, args...)
	}
}

// Check says what is missing on this machine to run a sandbox, or nil.
func Check() error {
	var errs []error
	if err := motoserver.Check("python3"); err != nil {
		errs = append(errs, err)
	}
	if _, err := exec.LookPath("haproxy"); err != nil {
		errs = append(errs, errors.New("haproxy is not installed (Debian: apt-get install haproxy)"))
	}
	return errors.Join(errs...)
}

// buildApp compiles the example app once per sandbox (the go build cache
// makes repeats cheap).
func buildApp(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "app")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/hawebapp/terraform-provider-hawebapp/examples/app")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the example app (run from inside the module): %w\n%s", err, out)
	}
	return bin, nil
}
