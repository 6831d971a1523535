package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"
)

// Options choose what Run measures.
type Options struct {
	// Runs is how many times each configuration is applied, planned and
	// destroyed (the two alternate); medians are reported.
	Runs int
	// Scale are the stack counts of hawebapp's scale series, each stack
	// with its database (a count of 1 reuses the comparison's median run).
	// HandScale are those of the series without databases, run for both
	// configurations: with moto 5.2.1, hashicorp/aws cannot hold two
	// database instances (see NoDBReason).
	Scale, HandScale []int
	// Configs limits the benchmark to some configurations (development);
	// empty means both.
	Configs []string
	Log     io.Writer
}

// Stat summarises the runs of one step of one configuration.
type Stat struct {
	Config string `json:"config"`
	Step   string `json:"step"`
	Stacks int    `json:"stacks"`
	Runs   int    `json:"runs"`
	// Median, Min and Max wall time in seconds.
	Median float64 `json:"median_seconds"`
	Min    float64 `json:"min_seconds"`
	Max    float64 `json:"max_seconds"`
	// Calls and ByAction are those of the median run.
	Calls    int            `json:"calls"`
	ByAction map[string]int `json:"calls_by_action"`
	// PeakMB is the highest provider peak over the runs.
	PeakMB float64 `json:"provider_peak_mb"`
	// BusySeconds is the median run's emulator busy time.
	BusySeconds float64 `json:"emulator_busy_seconds"`
}

// Results is everything a benchmark produces (contributing/benchmarks.json).
type Results struct {
	Date         time.Time     `json:"date"`
	Machine      Machine       `json:"machine"`
	Versions     Versions      `json:"versions"`
	Runs         int           `json:"runs"`
	Network      Network       `json:"network"`
	Stats        []Stat        `json:"comparison"`
	Scale        []Measurement `json:"scale"`
	Targets      []Target      `json:"targets"`
	Measurements []Measurement `json:"measurements"`
	TotalSeconds float64       `json:"total_seconds"`
}

// Run executes the comparison and the scale series in env.
func Run(ctx context.Context, env *Env, opts Options) (*Results, error) {
	if opts.Runs < 1 {
		opts.Runs = 1
	}
	start := time.Now()
	res := &Results{Date: start.UTC(), Runs: opts.Runs, Network: env.Network}
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, format+"\n", args...)
		}
	}

	configs := opts.Configs
	if len(configs) == 0 {
		configs = []string{Hawebapp, Handwritten}
	}
	roots := map[string]*Root{}
	for _, c := range configs {
		r, err := env.NewRoot(ctx, c, "compare", shortName(c), 1, true)
		if err != nil {
			return nil, err
		}
		roots[c] = r
	}
	res.Machine = DescribeMachine()
	res.Versions = DescribeVersions(ctx, env.RepoRoot, env.WorkDir)
	for run := 1; run <= opts.Runs; run++ {
		for _, c := range configs {
			r := roots[c]
			for _, step := range []func(context.Context, int) (Measurement, error){r.Apply, r.Plan, r.Destroy} {
				m, err := step(ctx, run)
				res.Measurements = append(res.Measurements, m)
				logf("run %d/%d %-11s %-7s %7.2fs %5d calls (emulator busy %6.2fs)  provider peak %4.0f MB", run, opts.Runs, c, m.Step, m.Seconds, m.Calls, m.EmulatorBusySeconds, m.ProviderPeakMB)
				if err != nil {
					return res, err
				}
				if m.PlanHasChanges != nil && *m.PlanHasChanges {
					return res, fmt.Errorf("%s: the plan after apply is not empty", c)
				}
			}
		}
	}
	res.Stats = summarise(res.Measurements)

	for _, sr := range []struct {
		config string
		db     bool
		counts []int
	}{{Hawebapp, true, opts.Scale}, {Hawebapp, false, opts.HandScale}, {Handwritten, false, opts.HandScale}} {
		if !slices.Contains(configs, sr.config) {
			continue
		}
		c := sr.config
		for _, n := range sr.counts {
			if n == 1 && sr.db {
				for _, step := range []string{StepApply, StepPlan} {
					res.Scale = append(res.Scale, medianRun(res.Measurements, c, step))
				}
				continue
			}
			if err := env.ResetCloud(ctx); err != nil {
				return res, err
			}
			r, err := env.NewRoot(ctx, c, fmt.Sprintf("scale%d-db%v", n, sr.db), shortName(c), n, sr.db)
			if err != nil {
				return res, err
			}
			for _, step := range []func(context.Context, int) (Measurement, error){r.Apply, r.Plan} {
				m, err := step(ctx, 1)
				res.Scale = append(res.Scale, m)
				logf("scale %3d db=%-5v %-11s %-7s %7.2fs %5d calls (emulator busy %6.2fs)  provider peak %4.0f MB", n, sr.db, c, m.Step, m.Seconds, m.Calls, m.EmulatorBusySeconds, m.ProviderPeakMB)
				if err != nil {
					return res, err
				}
			}
		}
	}
	res.Targets = Evaluate(res)
	res.TotalSeconds = time.Since(start).Seconds()
	return res, nil
}

// shortName names a configuration's stacks (its scale stacks get -00, -01 ...).
func shortName(config string) string {
	if config == Hawebapp {
		return "hw"
	}
	return "hand"
}

func summarise(ms []Measurement) []Stat {
	var out []Stat
	for _, c := range []string{Hawebapp, Handwritten} {
		for _, step := range []string{StepApply, StepPlan, StepDestroy} {
			var runs []Measurement
			for _, m := range ms {
				if m.Config == c && m.Step == step {
					runs = append(runs, m)
				}
			}
			if len(runs) == 0 {
				continue
			}
			med := medianRun(ms, c, step)
			s := Stat{Config: c, Step: step, Stacks: med.Stacks, Runs: len(runs), Median: med.Seconds, Min: runs[0].Seconds, Max: runs[0].Seconds,
				Calls: med.Calls, ByAction: med.ByAction, BusySeconds: med.EmulatorBusySeconds}
			for _, m := range runs {
				s.Min, s.Max, s.PeakMB = min(s.Min, m.Seconds), max(s.Max, m.Seconds), max(s.PeakMB, m.ProviderPeakMB)
			}
			out = append(out, s)
		}
	}
	return out
}

// medianRun is the run of a step with the median wall time (the lower
// middle one for an even count).
func medianRun(ms []Measurement, config, step string) Measurement {
	var runs []Measurement
	for _, m := range ms {
		if m.Config == config && m.Step == step {
			runs = append(runs, m)
		}
	}
	if len(runs) == 0 {
		return Measurement{Config: config, Step: step}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Seconds < runs[j].Seconds })
	return runs[(len(runs)-1)/2]
}

// stat finds the summary of a configuration's step.
func (r *Results) stat(config, step string) (Stat, bool) {
	for _, s := range r.Stats {
		if s.Config == config && s.Step == step {
			return s, true
		}
	}
	return Stat{}, false
}

// scalePoint finds a scale measurement.
func (r *Results) scalePoint(config, step string, stacks int, db bool) (Measurement, bool) {
	for _, m := range r.Scale {
		if m.Config == config && m.Step == step && m.Stacks == stacks && m.Database == db {
			return m, true
		}
	}
	return Measurement{}, false
}

// NoDBReason says why the hand-written scale series runs without databases.
const NoDBReason = "moto 5.2.1 gives every RDS instance the same DbiResourceId, and hashicorp/aws reads a database " +
	"instance back by that ID, so a second hand-written database in the same emulator fails (\"couldn't find resource\"). " +
	"The hand-written scale series therefore runs without the database (no DB security group, subnet group, instance or " +
	"role policy), and hawebapp is measured the same way beside it for a like-for-like comparison."
