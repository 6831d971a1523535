package bench

import (
	"fmt"
	"math"
	"strings"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
)

// Targets of the benchmark issue.
const (
	// RefreshBudget is the most AWS calls a no-change plan may make per
	// stack: the provider's refresh budget.
	RefreshBudget = cloud.RefreshCallBudget
	// ApplySpeedup, DestroySpeedup and PlanSpeedup are the least factors by
	// which hawebapp must beat the hand-written configuration.
	ApplySpeedup   = 30.0
	DestroySpeedup = 30.0
	PlanSpeedup    = 8.0
	// PeakMBOneStack and PeakMBFifty bound the provider's peak memory.
	PeakMBOneStack = 80.0
	PeakMBFifty    = 200.0
)

// Target is one goal and whether the benchmark met it.
type Target struct {
	Name     string `json:"name"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
	// Why explains a miss (empty when met).
	Why string `json:"why,omitempty"`
}

// Evaluate checks the results against the targets.
func Evaluate(r *Results) []Target {
	var out []Target
	for _, sp := range []struct {
		step   string
		factor float64
	}{{StepApply, ApplySpeedup}, {StepPlan, PlanSpeedup}, {StepDestroy, DestroySpeedup}} {
		hw, ok1 := r.stat(Hawebapp, sp.step)
		hand, ok2 := r.stat(Handwritten, sp.step)
		if !ok1 || !ok2 || hw.Median == 0 {
			continue
		}
		ratio := hand.Median / hw.Median
		t := Target{
			Name:     sp.step + " speed-up",
			Goal:     fmt.Sprintf(">= %.0fx faster than hand-written", sp.factor),
			Measured: fmt.Sprintf("%.1fx (%.2f s vs %.1f s)", ratio, hw.Median, hand.Median),
			Met:      ratio >= sp.factor,
		}
		if !t.Met {
			t.Why = speedWhy(r, hw, hand, sp.factor)
		}
		out = append(out, t)
	}

	var perStack []string
	refreshOK, linear := true, true
	var base float64
	for _, m := range r.Scale {
		if m.Config != Hawebapp || !m.Database || m.Step != StepPlan || m.Stacks == 0 {
			continue
		}
		per := float64(m.Calls) / float64(m.Stacks)
		if m.Stacks == 1 {
			base = per
		}
		perStack = append(perStack, fmt.Sprintf("%d stacks: %d (%.1f/stack)", m.Stacks, m.Calls, per))
		refreshOK = refreshOK && per <= RefreshBudget
		linear = linear && (base == 0 || per <= base*1.05)
	}
	if len(perStack) > 0 {
		t := Target{Name: "refresh calls", Goal: fmt.Sprintf("<= %d calls per stack, linear in stacks", RefreshBudget),
			Measured: strings.Join(perStack, "; "), Met: refreshOK && linear}
		if !t.Met {
			t.Why = "the no-change plan made more describe calls per stack than the budget, or the calls per stack grew with the number of stacks: see the breakdown by action"
		}
		out = append(out, t)
	}

	one, low := 0.0, math.Inf(1)
	for _, m := range r.Measurements {
		if m.Config == Hawebapp && m.ProviderPeakMB > 0 {
			one, low = max(one, m.ProviderPeakMB), min(low, m.ProviderPeakMB)
		}
	}
	t := Target{Name: "provider memory, 1 stack", Goal: fmt.Sprintf("< %.0f MB", PeakMBOneStack),
		Measured: fmt.Sprintf("%.0f MB (highest of all runs)", one), Met: one > 0 && one < PeakMBOneStack}
	if !t.Met {
		t.Why = fmt.Sprintf("the provider's peak resident set ranged from %.0f to %.0f MB over the runs. It is a Go process holding "+
			"the plugin framework and the AWS SDK clients of seven services; its peak depends on when Go's garbage collector "+
			"runs (by default the heap may double before a collection), so it varies from run to run", low, one)
	}
	out = append(out, t)

	largest, peak := 0, 0.0
	for _, m := range r.Scale {
		if m.Config == Hawebapp && m.Stacks >= largest {
			if m.Stacks > largest {
				peak = 0
			}
			largest, peak = m.Stacks, max(peak, m.ProviderPeakMB)
		}
	}
	if largest >= 50 {
		t := Target{Name: "provider memory, 50 stacks", Goal: fmt.Sprintf("< %.0f MB", PeakMBFifty),
			Measured: fmt.Sprintf("%.0f MB at %d stacks", peak, largest), Met: peak > 0 && peak < PeakMBFifty}
		if !t.Met {
			t.Why = "the provider's resident set at its peak (VmHWM) exceeded the bound with many stacks in one run"
		}
		out = append(out, t)
	}
	return out
}

// speedWhy explains a missed speed-up from what was measured: how much
// of hawebapp's time the emulator was busy, and how much is Terraform's
// own run (the no-change plan is its floor).
func speedWhy(r *Results, hw, hand Stat, factor float64) string {
	need := hand.Median / factor
	why := fmt.Sprintf("hawebapp's median %s takes %.2f s where the target allows %.2f s (%.1f s / %.0f). The emulator was busy %.2f s of it answering its %d calls",
		hw.Step, hw.Median, need, hand.Median, factor, hw.BusySeconds, hw.Calls)
	if plan, ok := r.stat(Hawebapp, StepPlan); ok && hw.Step != StepPlan {
		why += fmt.Sprintf("; a no-change plan (Terraform's and the provider's start-up, one refresh) takes %.2f s, and %s pays that plus its own phase", plan.Median, hw.Step)
	} else {
		why += "; the rest is Terraform's start-up (CLI, provider process, schema) and its state handling, which every run pays whatever the provider does"
	}
	why += "."
	if hw.Min*factor <= hand.Median {
		why += fmt.Sprintf(" Its fastest run (%.2f s) meets the target: the runs vary with the load of the shared 2-core machine.", hw.Min)
	}
	return why
}
