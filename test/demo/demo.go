// Package demo runs an example root end to end against a private moto
// server: check prerequisites, build the provider, start moto (through
// test/motoserver), write the Terraform CLI config, copy the example, init,
// apply, show outputs, prove the second plan is empty, destroy.
//
// A run is a list of named steps sharing one *Run; callers may replace,
// insert or drop steps: Soak.Steps (`make demo`) swaps the moto step for the
// sandbox and adds the ab soak, its report and a second empty plan between
// apply and destroy. Cleanups registered by steps run in reverse order
// whatever happens, including on Ctrl-C.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Step is one stage of a run.
type Step struct {
	Name string
	Run  func(ctx context.Context, r *Run) error
}

// Run is the state the steps share.
type Run struct {
	// RepoRoot is the repository (the provider's main package).
	RepoRoot string
	// Example is the directory of the root to apply (relative to RepoRoot,
	// or absolute).
	Example string
	// WorkDir holds the provider binary, the CLI config and the example copy.
	WorkDir string

	// Set by the steps.
	ProviderBin   string
	CLIConfig     string
	TerraformDir  string
	Env           map[string]string // AWS_* and TF_* for terraform
	Outputs       map[string]any
	Out, ErrOut   io.Writer
	cleanups      []func()
	stepDurations []stepTime
}

type stepTime struct {
	name string
	d    time.Duration
	err  error
}

// Cleanup registers f to run when the run ends, in reverse order.
func (r *Run) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// Logf prints a progress line.
func (r *Run) Logf(format string, args ...any) {
	fmt.Fprintf(r.Out, "==> "+format+"\n", args...)
}

// Execute runs the steps in order, stopping at the first failure or when
// ctx is cancelled, then runs the cleanups and prints a timing summary.
func (r *Run) Execute(ctx context.Context, steps []Step) (err error) {
	if r.Out == nil {
		r.Out = os.Stdout
	}
	if r.ErrOut == nil {
		r.ErrOut = os.Stderr
	}
	if r.Env == nil {
		r.Env = map[string]string{}
	}
	defer func() {
		for i := len(r.cleanups) - 1; i >= 0; i-- {
			r.cleanups[i]()
		}
		r.summary(err)
	}()
	for _, s := range steps {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted before %s: %w", s.Name, ctx.Err())
		}
		r.Logf("%s", s.Name)
		start := time.Now()
		serr := s.Run(ctx, r)
		r.stepDurations = append(r.stepDurations, stepTime{s.Name, time.Since(start), serr})
		if serr != nil {
			if ctx.Err() != nil && !errors.Is(serr, ctx.Err()) {
				serr = fmt.Errorf("%w (interrupted)", serr)
			}
			return fmt.Errorf("%s: %w", s.Name, serr)
		}
	}
	return nil
}

func (r *Run) summary(err error) {
	var b strings.Builder
	b.WriteString("\nsteps:\n")
	var total time.Duration
	for _, s := range r.stepDurations {
		status := "ok"
		if s.err != nil {
			status = "FAILED"
		}
		fmt.Fprintf(&b, "  %-32s %8s  %s\n", s.name, s.d.Round(100*time.Millisecond), status)
		total += s.d
	}
	fmt.Fprintf(&b, "  %-32s %8s\n", "total", total.Round(100*time.Millisecond))
	if err != nil {
		fmt.Fprintf(&b, "demo failed: %v\n", err)
	} else {
		b.WriteString("demo passed\n")
	}
	fmt.Fprint(r.Out, b.String())
}

// Replace returns steps with the step named name replaced by s.
func Replace(steps []Step, name string, s Step) []Step {
	out := make([]Step, 0, len(steps))
	for _, st := range steps {
		if st.Name == name {
			st = s
		}
		out = append(out, st)
	}
	return out
}

// InsertAfter returns steps with s inserted after the step named name.
func InsertAfter(steps []Step, name string, s ...Step) []Step {
	out := make([]Step, 0, len(steps)+len(s))
	for _, st := range steps {
		out = append(out, st)
		if st.Name == name {
			out = append(out, s...)
		}
	}
	return out
}
