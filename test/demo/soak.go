package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/hawebapp/terraform-provider-hawebapp/test/breaker"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/scenario"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
)

// Step names of the sandbox soak.
const (
	StepSandbox     = "start the sandbox"
	StepWaitHealthy = "wait for healthy targets"
	StepSoak        = "soak (ab load, zone outage)"
	StepReport      = "report"
	StepPlanAfter   = "terraform plan after the soak (must be empty)"
)

// SoakOptions tune the soak. The zero value is the demo's.
type SoakOptions struct {
	// MinuteSeconds is how many real seconds one emulated minute lasts; default 3.
	MinuteSeconds float64
	// Concurrency is ab's -c while loaded; default 16.
	Concurrency int
	// Path is requested on the load balancer; default /fruits.
	Path string
	// Rate is the load in requests a second (the soak library paces ab);
	// 0: derived from the scaling policy's target (see rate). The failure
	// budget needs a rate, so there is no unpaced load here.
	Rate int
	// Slice is one progress line; default 5 s.
	Slice time.Duration
	// Load is how long the full load lasts; default 80 s.
	Load time.Duration
	// ZoneDown and ZoneUp are when Zone goes down and comes back; default 30 s and 60 s.
	ZoneDown, ZoneUp time.Duration
	// Zone is the zone taken down; default the stack's second zone.
	Zone string
	// CoolDown is the longest wait, after the load, for the scale-in; default 90 s.
	CoolDown time.Duration
	// LightRate is the requests a second during the cool-down; default 2.
	LightRate int
	// OutDir receives the report and the chart; default a new temporary directory.
	OutDir string
	// NoEvacuation leaves out the evacuation of an impaired zone after the
	// soak; Gray adds the evacuation of a gray zone after it.
	NoEvacuation, Gray bool
	// EvacuationRate is the evacuations' load in requests a second;
	// negative: the HA suites' (40% of the target-tracking target on the
	// instances in service). Default 50: the demo's target is calibrated
	// for its soak (hundreds a second), more than a loaded machine serves
	// without answers slower than the load balancer's timeouts.
	EvacuationRate float64
}

func (o *SoakOptions) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.MinuteSeconds <= 0 {
		o.MinuteSeconds = 3
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.Path == "" {
		o.Path = "/fruits"
	}
	if o.EvacuationRate == 0 {
		o.EvacuationRate = 50
	}
	if o.LightRate <= 0 {
		o.LightRate = 2
	}
	def(&o.Slice, 5*time.Second)
	def(&o.Load, 80*time.Second)
	def(&o.ZoneDown, 30*time.Second)
	def(&o.ZoneUp, 60*time.Second)
	def(&o.CoolDown, 90*time.Second)
}

// Soak drives the sandbox part of the demo; its methods are steps.
type Soak struct {
	Opts   SoakOptions
	Result SoakResult

	sb     *sandbox.Sandbox
	asg    *autoscaling.Client
	groups map[string]string // zone -> Auto Scaling group
	url    string            // the load balancer as the sandbox serves it
	start  time.Time
	lat    []float64

	mu      sync.Mutex // guards samples, notes and the log file
	samples []Sample
	notes   []string // sandbox log lines to echo with the next progress line
	log     *os.File
}

// NewSoak returns a soak with opts (defaults filled in).
func NewSoak(opts SoakOptions) *Soak {
	opts.defaults()
	return &Soak{Opts: opts}
}

// Steps is the whole demo: the default steps with the sandbox instead of a
// bare moto, and between the empty plan and the destroy: the soak, its
// report, the evacuation of an impaired zone (and of a gray one, with
// Gray) and a second empty plan.
func (s *Soak) Steps() []Step {
	steps := DefaultSteps()
	steps = Replace(steps, StepPrereqs, Step{StepPrereqs, s.CheckPrereqs})
	steps = Replace(steps, StepEndpoint, Step{StepSandbox, s.StartSandbox})
	after := []Step{{StepWaitHealthy, s.WaitHealthy}, {StepSoak, s.Run}, {StepReport, s.Report}}
	if !s.Opts.NoEvacuation {
		after = append(after, Step{StepImpairment, s.Evacuation(scenario.ZoneImpairment)})
	}
	if s.Opts.Gray {
		after = append(after, Step{StepGray, s.Evacuation(scenario.GrayFailure)})
	}
	return InsertAfter(steps, StepPlanEmpty, append(after, Step{StepPlanAfter, PlanEmpty})...)
}

// StartSandbox starts the sandbox and points terraform at it. Its log goes
// to WorkDir/sandbox.log; scaling decisions and health replacements are
// also echoed with the soak's progress.
func (s *Soak) StartSandbox(ctx context.Context, r *Run) error {
	f, err := os.Create(filepath.Join(r.WorkDir, "sandbox.log"))
	if err != nil {
		return err
	}
	s.log = f
	r.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		_ = s.log.Close()
	})
	logf := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		s.mu.Lock()
		defer s.mu.Unlock()
		fmt.Fprintf(s.log, "%s %s\n", time.Now().Format("15:04:05.000"), line)
		if !s.start.IsZero() && (strings.Contains(line, "target tracking") || strings.Contains(line, "failed ELB health checks")) {
			s.notes = append(s.notes, line)
		}
	}
	// The demo runs against the strict layer too (HAWEBAPP_STRICT selects its rules).
	strictOpts, err := strict.FromEnv()
	if err != nil {
		return err
	}
	hook := &strict.Hook{Options: strictOpts.Emulated(s.Opts.MinuteSeconds)}
	sb, err := sandbox.Start(ctx, sandbox.Options{MinuteSeconds: s.Opts.MinuteSeconds, Logf: logf, Wrap: hook.Wrap})
	if err != nil {
		return err
	}
	s.sb = sb
	r.Cleanup(func() { logf("strict rules %v fired: %s", hook.Layer.Enabled(), hook.Layer.Summary()) })
	r.Cleanup(func() {
		r.Logf("stopping the sandbox (%s)", sb.Endpoint)
		sb.Stop()
	})
	for k, v := range sb.Env() {
		r.Env[k] = v
	}
	s.asg = autoscaling.NewFromConfig(s.awsConfig())
	r.Logf("sandbox at %s (one emulated minute = %gs; log %s)", sb.Endpoint, s.Opts.MinuteSeconds, f.Name())
	return nil
}

// Run is the soak: the budget for losing a zone, computed from the
// stack's settings before any load; then ab as one continuous process at
// Rate with the zone down and back in the middle (a progress line per
// Slice); then a light load until the groups have scaled back in (or
// CoolDown has passed). The verdict against the budget is given by Report.
func (s *Soak) Run(ctx context.Context, r *Run) error {
	o := s.Opts
	res := &s.Result
	res.URL, res.Concurrency, res.Zones, res.Zone = s.url+o.Path, o.Concurrency, sortedZones(s.groups), o.Zone
	rate, why := s.rate(ctx)
	res.Rate = rate
	if err := s.budget(ctx, r); err != nil {
		return err
	}
	r.Logf("ab -c %d on %s, %s; %s down at %s, back at %s; load stops at %s",
		o.Concurrency, res.URL, why, o.Zone, o.ZoneDown, o.ZoneUp, o.Load)

	s.mu.Lock()
	s.start = time.Now()
	s.mu.Unlock()
	sctx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	initial := s.takeSample(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); s.sampleEvery(sctx, time.Second) }()
	defer func() { stopSampling(); wg.Wait() }()

	// Ending a phase must not fail the requests it has sent: each gets up
	// to the load balancer's idle timeout to end (after it the load
	// balancer answers 504 anyway), with nothing new sent meanwhile.
	_, idle := s.sb.LoadBalancerTimeouts()
	load, err := soak.Start(ctx, soak.Options{Name: "load", URL: res.URL, Concurrency: o.Concurrency, Rate: float64(rate), Drain: idle})
	if err != nil {
		return err
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	down, up, sliceStart := false, false, load.Started()
	for time.Since(s.start) < o.Load && ctx.Err() == nil {
		at := time.Since(s.start)
		if !down && at >= o.ZoneDown {
			if err := s.zone(ctx, r, true); err != nil {
				_, _ = load.Stop()
				return err
			}
			down = true
		}
		if down && !up && at >= o.ZoneUp {
			if err := s.zone(ctx, r, false); err != nil {
				_, _ = load.Stop()
				return err
			}
			up = true
		}
		sliceStart = s.tick(ctx, r, "load", load, sliceStart, tick)
	}
	if down && !up {
		if err := s.zone(ctx, r, false); err != nil {
			return err
		}
	}
	if res.Load, err = load.Stop(); err != nil {
		return err
	}
	res.Events = append(res.Events, Event{At: time.Since(s.start), What: "load stops"})
	fmt.Fprintf(r.Out, "    >>> load stops: %d requests a second until the groups scale in\n", o.LightRate)
	fmt.Fprintf(r.Out, "    load phase: %s\n", res.Load.Summary())

	cool, err := soak.Start(ctx, soak.Options{Name: "cool-down", URL: res.URL, Concurrency: 1, Rate: float64(o.LightRate), Drain: idle})
	if err != nil {
		return err
	}
	coolStart := time.Now()
	sliceStart = coolStart
	for ctx.Err() == nil && time.Since(coolStart) < o.CoolDown && !(time.Since(coolStart) >= 2*o.Slice && s.scaledIn(initial)) {
		sliceStart = s.tick(ctx, r, "cool-down", cool, sliceStart, tick)
	}
	if res.Cool, err = cool.Stop(); err != nil {
		return err
	}
	fmt.Fprintf(r.Out, "    cool-down phase: %s\n", res.Cool.Summary())
	if ctx.Err() != nil {
		return ctx.Err()
	}
	res.Duration = time.Since(s.start)
	res.Slices = append(phaseSlices(res.Load, s.start, o.Slice, "load"), phaseSlices(res.Cool, s.start, o.Slice, "cool-down")...)
	evs, err := s.sb.Client().Events(ctx)
	if err != nil {
		return err
	}
	res.EventLog = evs
	res.judge(s.start, evs)
	return nil
}

// zone takes the soak's zone down or brings it back, and records when.
// The failure counts from the sandbox's own record of when every instance
// of the zone had lost power (not from when it was asked: the budget's
// detection starts once the targets are dead, and a request sent between
// the ask and the power loss was simply in flight at the failure).
func (s *Soak) zone(ctx context.Context, r *Run, down bool) error {
	brk := breaker.NewSandbox(s.sb.Client())
	change := brk.ZoneUp
	if down {
		change = brk.ZoneDown
	}
	if err := change(ctx, s.Opts.Zone); err != nil {
		return err
	}
	res := &s.Result
	what := "zone " + s.Opts.Zone + " back"
	if down {
		what = "zone " + s.Opts.Zone + " down"
		evs, err := s.sb.Client().Events(ctx)
		if err != nil {
			return err
		}
		e, ok := sandbox.LastEvent(evs, sandbox.EventZoneDown, func(e sandbox.Event) bool { return e.Zone == s.Opts.Zone })
		if !ok {
			return fmt.Errorf("the sandbox took zone %s down but its event log does not say when", s.Opts.Zone)
		}
		res.DownAt = e.At
	}
	res.Events = append(res.Events, Event{At: time.Since(s.start), What: what})
	fmt.Fprintf(r.Out, "    >>> %s\n", what)
	return nil
}

// tick is one turn of a phase's loop: a progress line for the phase once
// its slice started at sliceStart has lasted Slice, then a wait for the
// next tick (or ctx's end). It returns the start of the current slice.
func (s *Soak) tick(ctx context.Context, r *Run, phase string, p *soak.Phase, sliceStart time.Time, tick *time.Ticker) time.Time {
	if time.Since(sliceStart) >= s.Opts.Slice {
		s.progress(r, phase, p.Since(sliceStart), time.Since(sliceStart))
		sliceStart = time.Now()
	}
	select {
	case <-ctx.Done():
	case <-tick.C:
	}
	return sliceStart
}

// progress prints the sandbox's notes since the last line and a line for
// the requests sent in the last slice (reqs, newest first, over d).
func (s *Soak) progress(r *Run, phase string, reqs []soak.Request, d time.Duration) {
	s.mu.Lock()
	notes := s.notes
	s.notes = nil
	var last Sample
	if len(s.samples) > 0 {
		last = s.samples[len(s.samples)-1]
	}
	s.mu.Unlock()
	for _, n := range notes {
		fmt.Fprintf(r.Out, "    %s\n", n)
	}
	st := sliceOf(reqs, phase, 0, d)
	waiting := 0
	for _, q := range reqs {
		if q.Outcome == "" {
			waiting++
		}
	}
	var zones strings.Builder
	for _, z := range s.Result.Zones {
		c := last.Zones[z]
		fmt.Fprintf(&zones, " %s %d/%d", shortZone(z), c.Healthy, c.Desired)
	}
	fmt.Fprintf(r.Out, "    t=%4.0fs %-9s %6.0f req/s %5d failed %4d waiting  p50 %5.0f ms  p99 %6.0f ms |%s healthy/desired\n",
		time.Since(s.start).Seconds(), phase, st.RPS(), st.Failures, waiting, st.P50, st.P99, zones.String())
}

// sliceOf summarises reqs as one slice from..to (durations since the soak's
// start): failures are failed and in-flight-at-the-end requests (not those
// still waiting in a running phase).
func sliceOf(reqs []soak.Request, phase string, from, to time.Duration) SliceStat {
	st := SliceStat{From: from, To: to, Phase: phase, Requests: len(reqs)}
	var ms []float64
	for _, q := range reqs {
		if q.Outcome == soak.Failed || q.Outcome == soak.InFlight {
			st.Failures++
		}
		if q.Status != 0 {
			ms = append(ms, float64(q.Latency())/float64(time.Millisecond))
		}
	}
	l := soak.Summarize(ms)
	st.P50, st.P99 = l.P50, l.P99
	return st
}

// phaseSlices cuts a phase's requests into slices of d, by sending time.
func phaseSlices(r *soak.Result, start time.Time, d time.Duration, phase string) []SliceStat {
	if r == nil {
		return nil
	}
	var out []SliceStat
	from := r.Start.Sub(start)
	end := r.End.Sub(start)
	i := 0
	for t := from; t < end; t += d {
		to := min(t+d, end)
		var reqs []soak.Request
		for ; i < len(r.Requests) && r.Requests[i].Sent.Sub(start) < to; i++ {
			reqs = append(reqs, r.Requests[i])
		}
		out = append(out, sliceOf(reqs, phase, t, to))
	}
	return out
}
