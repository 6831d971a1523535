package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// Steps measured.
const (
	StepApply   = "apply"
	StepPlan    = "plan"
	StepDestroy = "destroy"
)

// Measurement is one terraform command.
type Measurement struct {
	Config string `json:"config"`
	Step   string `json:"step"`
	Stacks int    `json:"stacks"`
	// Database is whether each stack had its database.
	Database bool    `json:"database"`
	Run      int     `json:"run"`
	Seconds  float64 `json:"seconds"`
	// Calls are the AWS API calls terraform's providers made, counted by
	// the recorder; ByAction breaks them down by "service:Action".
	Calls     int            `json:"calls"`
	ByService map[string]int `json:"calls_by_service"`
	ByAction  map[string]int `json:"calls_by_action"`
	// EmulatorBusySeconds is the wall time during which at least one call
	// was waiting for the emulator's answer.
	EmulatorBusySeconds float64 `json:"emulator_busy_seconds"`
	// ProviderPeakMB is the highest VmHWM of any provider process the
	// command started (PeakByProvider per provider binary).
	ProviderPeakMB    float64            `json:"provider_peak_mb"`
	PeakByProvider    map[string]float64 `json:"provider_peak_mb_by_provider"`
	ProviderProcesses int                `json:"provider_processes"`
	// PlanHasChanges is set for plans: true when the no-change plan was not empty.
	PlanHasChanges *bool `json:"plan_has_changes,omitempty"`
}

// Root is a working copy of one configuration with its variables.
type Root struct {
	Config   string
	Dir      string
	Stacks   int
	Database bool
	env      *Env
}

// NewRoot copies config to the work directory, writes its variables
// (name, stack_count, database and the network) and runs terraform init
// when it needs providers other than hawebapp (not measured).
func (e *Env) NewRoot(ctx context.Context, config, suffix, name string, stacks int, database bool) (*Root, error) {
	dir, err := e.CopyConfig(config, suffix)
	if err != nil {
		return nil, err
	}
	vars, _ := json.MarshalIndent(map[string]any{
		"name": name, "stack_count": stacks, "database": database, "vpc_id": e.Network.VPCID, "subnet_ids": e.Network.SubnetIDs,
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars.json"), vars, 0o644); err != nil {
		return nil, fmt.Errorf("writing variables: %w", err)
	}
	r := &Root{Config: config, Dir: dir, Stacks: stacks, Database: database, env: e}
	// hawebapp alone is served by dev_overrides: nothing to install.
	if config != Hawebapp {
		if _, err := r.terraform(ctx, "init", "-input=false"); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Apply measures `terraform apply`.
func (r *Root) Apply(ctx context.Context, run int) (Measurement, error) {
	return r.measure(ctx, StepApply, run, "apply", "-auto-approve", "-input=false")
}

// Plan measures `terraform plan -detailed-exitcode` and records whether
// it found changes (exit code 2).
func (r *Root) Plan(ctx context.Context, run int) (Measurement, error) {
	m, err := r.measure(ctx, StepPlan, run, "plan", "-detailed-exitcode", "-input=false")
	var ee *exec.ExitError
	changes := false
	if errors.As(err, &ee) && ee.ExitCode() == 2 {
		changes, err = true, nil
	}
	m.PlanHasChanges = &changes
	return m, err
}

// Destroy measures `terraform destroy`.
func (r *Root) Destroy(ctx context.Context, run int) (Measurement, error) {
	return r.measure(ctx, StepDestroy, run, "destroy", "-auto-approve", "-input=false")
}

func (r *Root) measure(ctx context.Context, step string, run int, args ...string) (Measurement, error) {
	r.env.Rec.Reset()
	r.env.busy.Take()
	var mem *memSampler
	start := time.Now()
	_, err := r.terraformWith(ctx, func(pid int) { mem = startMemSampler(pid) }, args...)
	elapsed := time.Since(start)
	m := Measurement{Config: r.Config, Step: step, Stacks: r.Stacks, Database: r.Database, Run: run, Seconds: elapsed.Seconds(), EmulatorBusySeconds: r.env.busy.Take().Seconds(),
		ByService: map[string]int{}, ByAction: map[string]int{}}
	if mem != nil {
		m.PeakByProvider, m.ProviderProcesses = mem.Stop()
		for _, v := range m.PeakByProvider {
			m.ProviderPeakMB = max(m.ProviderPeakMB, v)
		}
	}
	for _, c := range r.env.Rec.Calls() {
		m.Calls++
		m.ByService[c.Service]++
		m.ByAction[c.String()]++
	}
	return m, err
}

func (r *Root) terraform(ctx context.Context, args ...string) (string, error) {
	return r.terraformWith(ctx, nil, args...)
}

// terraformWith runs terraform in the root, appending its output to the
// log; started, when set, gets terraform's PID as soon as it runs.
func (r *Root) terraformWith(ctx context.Context, started func(pid int), args ...string) (string, error) {
	cmd, err := tfcli.Command(ctx, r.Dir, r.env.Environ(), append([]string{args[0], "-no-color"}, args[1:]...)...)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting terraform %s: %w", args[0], err)
	}
	if started != nil {
		started(cmd.Process.Pid)
	}
	err = cmd.Wait()
	if f, ferr := os.OpenFile(r.env.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); ferr == nil {
		fmt.Fprintf(f, "\n$ (%s) terraform %s\n%s", filepath.Base(r.Dir), strings.Join(args, " "), out.String())
		f.Close()
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 2 && args[0] == "plan" {
			return out.String(), err
		}
		return out.String(), fmt.Errorf("terraform %s in %s: %w\n%s", args[0], r.Dir, err, tail(out.String(), 30))
	}
	return out.String(), nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// SortedActions lists a breakdown as "service:Action=n", most calls first.
func SortedActions(by map[string]int) []string {
	keys := env.KeysByCount(by)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s=%d", k, by[k])
	}
	return out
}
