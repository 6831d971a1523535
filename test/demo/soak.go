package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
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
	// Rate is the load in requests a second (ab runs in one-second rounds);
	// 0: derived from the scaling policy's target (see rate); -1: as fast as
	// ab goes.
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
// bare moto, and the soak, its report and a second empty plan between the
// empty plan and the destroy.
func (s *Soak) Steps() []Step {
	steps := DefaultSteps()
	steps = Replace(steps, StepPrereqs, Step{StepPrereqs, s.CheckPrereqs})
	steps = Replace(steps, StepEndpoint, Step{StepSandbox, s.StartSandbox})
	return InsertAfter(steps, StepPlanEmpty,
		Step{StepWaitHealthy, s.WaitHealthy}, Step{StepSoak, s.Run}, Step{StepReport, s.Report}, Step{StepPlanAfter, PlanEmpty})
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
	cfg, err := sandbox.AWSConfig(ctx, sb.Endpoint, sb.Env()["AWS_REGION"])
	if err != nil {
		return err
	}
	s.asg = autoscaling.NewFromConfig(cfg)
	r.Logf("sandbox at %s (one emulated minute = %gs; log %s)", sb.Endpoint, s.Opts.MinuteSeconds, f.Name())
	return nil
}

// Run is the soak: ab in one-second rounds at Rate (a progress line per
// Slice), the zone down and back in the middle, then a light load until
// the groups have scaled back in (or CoolDown has passed).
func (s *Soak) Run(ctx context.Context, r *Run) error {
	o := s.Opts
	s.mu.Lock()
	s.start = time.Now()
	s.mu.Unlock()
	sctx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	initial := s.takeSample(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); s.sampleEvery(sctx, 2*time.Second) }()
	defer func() { stopSampling(); wg.Wait() }()

	res := &s.Result
	res.URL, res.Concurrency, res.Zones, res.Zone = s.url+o.Path, o.Concurrency, sortedZones(s.groups), o.Zone
	rate, why := s.rate(ctx)
	res.Rate = rate
	r.Logf("ab -c %d on %s, %s; %s down at %s, back at %s; load stops at %s",
		o.Concurrency, res.URL, why, o.Zone, o.ZoneDown, o.ZoneUp, o.Load)
	zone := func(down bool) error {
		if err := s.sb.Client().Fail(ctx, sandbox.Failure{Kind: "zone", Zone: o.Zone, Down: down}); err != nil {
			return err
		}
		what := "zone " + o.Zone + " back"
		if down {
			what = "zone " + o.Zone + " down"
		}
		res.Events = append(res.Events, Event{At: time.Since(s.start), What: what})
		fmt.Fprintf(r.Out, "    >>> %s\n", what)
		return nil
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	down, up, cooling, idle := false, false, false, 0
	var slice abSlice
	for {
		at := time.Since(s.start)
		if !down && at >= o.ZoneDown {
			if err := zone(true); err != nil {
				return err
			}
			down = true
		}
		if down && !up && (at >= o.ZoneUp || at >= o.Load) {
			if err := zone(false); err != nil {
				return err
			}
			up = true
		}
		if !cooling && at >= o.Load {
			s.flush(r, &slice, "load")
			cooling = true
			res.Events = append(res.Events, Event{At: at, What: "load stops"})
			fmt.Fprintf(r.Out, "    >>> load stops: %d requests a second until the groups scale in\n", o.LightRate)
		}
		if cooling && (at >= o.Load+o.CoolDown || at >= o.Load+2*o.Slice && s.scaledIn(initial)) {
			s.flush(r, &slice, "cool-down")
			break
		}
		var round abSlice
		if cooling {
			round = runAB(ctx, r.WorkDir, res.URL, 1, o.LightRate, 1)
		} else {
			round = runAB(ctx, r.WorkDir, res.URL, o.Concurrency, rate, 1)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		slice.add(round)
		if round.Complete > 0 {
			idle = 0
		} else if idle++; idle >= 10 {
			return fmt.Errorf("ten rounds in a row completed no request: %v", round.Err)
		}
		if round.End.Sub(slice.Start) >= o.Slice-500*time.Millisecond {
			s.flush(r, &slice, map[bool]string{true: "cool-down", false: "load"}[cooling])
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	res.Duration = time.Since(s.start)
	res.Latency = Summarize(s.lat)
	s.lat = nil
	return nil
}

// rate is the load in requests a second: Opts.Rate when set, else one that
// makes target tracking tell the story, from the policy's target T, the
// zones Z and the emulated minute m. A per-target minute count of (2Z-1)T
// over Z instances scales each zone from one to two instances; with a zone
// lost, the 2(Z-1) instances left see more than T and the surviving zones
// scale out again; after the zone is back, the count falls below 0.9T and
// the groups scale in.
func (s *Soak) rate(ctx context.Context) (int, string) {
	if s.Opts.Rate > 0 {
		return s.Opts.Rate, fmt.Sprintf("%d requests a second", s.Opts.Rate)
	}
	if s.Opts.Rate < 0 {
		return 0, "as fast as it goes"
	}
	names := make([]string, 0, len(s.groups))
	for _, g := range s.groups {
		names = append(names, g)
	}
	out, err := s.asg.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String(names[0]), PolicyTypes: []string{"TargetTrackingScaling"}})
	if err != nil || len(out.ScalingPolicies) == 0 || out.ScalingPolicies[0].TargetTrackingConfiguration == nil {
		return 0, fmt.Sprintf("as fast as it goes (no target-tracking policy found: %v)", err)
	}
	cfg := out.ScalingPolicies[0].TargetTrackingConfiguration
	if cfg.PredefinedMetricSpecification == nil || cfg.PredefinedMetricSpecification.PredefinedMetricType != "ALBRequestCountPerTarget" {
		return 0, "as fast as it goes (the policy does not track requests per target)"
	}
	target, zones := aws.ToFloat64(cfg.TargetValue), len(s.groups)
	rate := int(float64(2*zones-1) * target / s.Opts.MinuteSeconds)
	return rate, fmt.Sprintf("%d requests a second (target tracking: %.0f requests per target per minute; one minute = %gs)", rate, target, s.Opts.MinuteSeconds)
}

// flush records the rounds gathered in sl as one slice, prints its line and
// empties sl.
func (s *Soak) flush(r *Run, sl *abSlice, phase string) {
	if sl.Start.IsZero() {
		return
	}
	st := s.record(*sl, phase)
	s.progress(r, st, sl.Err)
	*sl = abSlice{}
}

// record adds a slice to the result.
func (s *Soak) record(sl abSlice, phase string) SliceStat {
	res := &s.Result
	lat := Summarize(sl.Latencies)
	st := SliceStat{From: sl.Start.Sub(s.start), To: sl.End.Sub(s.start), Phase: phase,
		Requests: sl.Complete, Failures: sl.Failures(), P50: lat.P50, P99: lat.P99}
	res.Slices = append(res.Slices, st)
	res.Requests += sl.Complete
	res.Failed += sl.Failed
	res.Non2xx += sl.Non2xx
	if sl.Err != nil && sl.Complete == 0 {
		res.SliceErrors++
	}
	s.lat = append(s.lat, sl.Latencies...)
	return st
}

// progress prints the sandbox's notes since the last slice and a line for st.
func (s *Soak) progress(r *Run, st SliceStat, err error) {
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
	var zones strings.Builder
	for _, z := range s.Result.Zones {
		c := last.Zones[z]
		fmt.Fprintf(&zones, " %s %d/%d", shortZone(z), c.Healthy, c.Desired)
	}
	line := fmt.Sprintf("    t=%4.0fs %-9s %6.0f req/s %5d failed  p50 %5.0f ms  p99 %6.0f ms |%s healthy/desired",
		st.To.Seconds(), st.Phase, st.RPS(), st.Failures, st.P50, st.P99, zones.String())
	if err != nil {
		line += "  (" + err.Error() + ")"
	}
	fmt.Fprintln(r.Out, line)
}
