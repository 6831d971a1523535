package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// Step names, for Replace and InsertAfter.
const (
	StepPrereqs   = "check prerequisites"
	StepBuild     = "build the provider"
	StepEndpoint  = "start moto"
	StepCLIConfig = "write the Terraform CLI config"
	StepCopy      = "copy the example"
	StepInit      = "terraform init"
	StepApply     = "terraform apply"
	StepOutputs   = "terraform output"
	StepPlanEmpty = "terraform plan (must be empty)"
	StepDestroy   = "terraform destroy"
)

// DefaultSteps is the demo: apply, empty plan, destroy against moto.
func DefaultSteps() []Step {
	return []Step{
		{StepPrereqs, CheckPrereqs},
		{StepBuild, BuildProvider},
		{StepEndpoint, StartMoto},
		{StepCLIConfig, WriteCLIConfig},
		{StepCopy, CopyExample},
		{StepInit, Terraform("init", "-input=false")},
		{StepApply, Terraform("apply", "-auto-approve", "-input=false")},
		{StepOutputs, ReadOutputs},
		{StepPlanEmpty, PlanEmpty},
		{StepDestroy, Terraform("destroy", "-auto-approve", "-input=false")},
	}
}

// CheckPrereqs reports every missing tool at once, each with what to do.
func CheckPrereqs(_ context.Context, r *Run) error {
	var missing []string
	if _, err := exec.LookPath("go"); err != nil {
		missing = append(missing, "go: install Go 1.26 or later")
	}
	if _, err := tfcli.Binary(); err != nil {
		missing = append(missing, "terraform: install Terraform CLI 1.11 or later and put it on PATH ("+err.Error()+")")
	}
	if err := motoserver.Check("python3"); err != nil {
		missing = append(missing, err.Error())
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing prerequisites:\n  - %s", strings.Join(missing, "\n  - "))
	}
	if m, err := tfcli.FindMirror(); err != nil {
		r.Logf("no local provider mirror (%v): terraform init will use the public registry", err)
	} else {
		r.Logf("hashicorp providers from the mirror %s", m)
	}
	return nil
}

// BuildProvider compiles the provider into WorkDir/bin.
func BuildProvider(ctx context.Context, r *Run) error {
	bin, err := tfcli.BuildProvider(ctx, r.RepoRoot, filepath.Join(r.WorkDir, "bin"))
	if err != nil {
		return err
	}
	r.ProviderBin = bin
	return nil
}

// UseProvider returns a step that uses an existing provider binary.
func UseProvider(bin string) func(context.Context, *Run) error {
	return func(_ context.Context, r *Run) error {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return fmt.Errorf("resolving %s: %w", bin, err)
		}
		r.ProviderBin = abs
		return nil
	}
}

// StartMoto starts a private moto server and points the run's environment at it.
func StartMoto(ctx context.Context, r *Run) error {
	s, err := motoserver.Start(ctx, motoserver.Options{})
	if err != nil {
		return err
	}
	r.Cleanup(func() {
		r.Logf("stopping moto (%s)", s.URL)
		s.Stop()
	})
	for k, v := range s.Env() {
		r.Env[k] = v
	}
	r.Logf("moto at %s", s.URL)
	return nil
}

// WriteCLIConfig writes the CLI config (dev_overrides + mirror) into WorkDir.
func WriteCLIConfig(_ context.Context, r *Run) error {
	path, err := tfcli.WriteConfig(r.WorkDir, filepath.Dir(r.ProviderBin))
	if err != nil {
		return err
	}
	r.CLIConfig = path
	r.Env["TF_CLI_CONFIG_FILE"] = path
	r.Env["TF_IN_AUTOMATION"] = "1"
	return nil
}

// CopyExample copies the example root into WorkDir, leaving out local state.
func CopyExample(_ context.Context, r *Run) error {
	src := r.Example
	if !filepath.IsAbs(src) {
		src = filepath.Join(r.RepoRoot, src)
	}
	dst := filepath.Join(r.WorkDir, filepath.Base(r.Example))
	if err := copyDir(src, dst); err != nil {
		return err
	}
	r.TerraformDir = dst
	r.Logf("working copy %s", dst)
	return nil
}

// Terraform returns a step that runs terraform with args in TerraformDir.
func Terraform(args ...string) func(context.Context, *Run) error {
	return func(ctx context.Context, r *Run) error {
		_, err := r.terraform(ctx, false, args...)
		return err
	}
}

// ReadOutputs prints the root's outputs and keeps them in r.Outputs.
func ReadOutputs(ctx context.Context, r *Run) error {
	out, err := r.terraform(ctx, true, "output", "-json")
	if err != nil {
		return err
	}
	var raw map[string]struct {
		Value     any  `json:"value"`
		Sensitive bool `json:"sensitive"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		return fmt.Errorf("reading terraform output -json: %w", err)
	}
	r.Outputs = map[string]any{}
	names := make([]string, 0, len(raw))
	for k, v := range raw {
		r.Outputs[k] = v.Value
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := raw[k].Value
		if raw[k].Sensitive {
			v = "(sensitive)"
		}
		b, _ := json.Marshal(v)
		fmt.Fprintf(r.Out, "    %s = %s\n", k, b)
	}
	return nil
}

// PlanEmpty runs `terraform plan -detailed-exitcode` and fails unless it
// exits 0 (no changes).
func PlanEmpty(ctx context.Context, r *Run) error {
	_, err := r.terraform(ctx, false, "plan", "-detailed-exitcode", "-input=false")
	var ee *exec.ExitError
	switch {
	case err == nil:
		r.Logf("second plan is empty")
		return nil
	case errors.As(err, &ee) && ee.ExitCode() == 2:
		return errors.New("the plan after apply is not empty (exit code 2): the provider reports drift on its own resources")
	default:
		return err
	}
}

// terraform runs the CLI with the run's environment in TerraformDir. Its
// full output goes to WorkDir/terraform.log; the progress lines (resources
// done, summaries, warnings and errors) are echoed, or everything when
// capture is set (then stdout is returned instead). On cancellation
// terraform gets one SIGINT (its own graceful stop) and, if still running
// after a grace period, SIGKILL.
func (r *Run) terraform(ctx context.Context, capture bool, args ...string) (string, error) {
	full := args
	if !isTerminal(os.Stdout) {
		full = append([]string{args[0], "-no-color"}, args[1:]...)
	}
	cmd, err := tfcli.Command(ctx, r.TerraformDir, r.environ(), full...)
	if err != nil {
		return "", err
	}

	logFile, err := os.OpenFile(filepath.Join(r.WorkDir, "terraform.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return "", fmt.Errorf("opening terraform log: %w", err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "\n$ terraform %s\n", strings.Join(args, " "))
	fmt.Fprintf(r.Out, "    $ terraform %s\n", strings.Join(args, " "))

	var out strings.Builder
	progress := &lineFilter{w: r.Out, keep: progressLine}
	if capture {
		cmd.Stdout = io.MultiWriter(&out, logFile)
	} else {
		cmd.Stdout = io.MultiWriter(logFile, progress)
	}
	cmd.Stderr = io.MultiWriter(logFile, r.ErrOut)
	err = cmd.Run()
	progress.Flush()
	if err != nil {
		return out.String(), fmt.Errorf("%w (full output in %s)", err, logFile.Name())
	}
	return out.String(), nil
}

// progressLine selects the lines of terraform's output the demo echoes.
func progressLine(line string) bool {
	for _, p := range []string{
		"Creation complete", "Destruction complete", "Modifications complete", "Still creating", "Still destroying",
		"Apply complete", "Destroy complete", "Plan:", "No changes", "Terraform has been successfully initialized",
		"Installing ", "Installed ", "Warning:", "Error:", "│",
	} {
		if strings.Contains(line, p) {
			return true
		}
	}
	return false
}

// lineFilter writes the complete lines that keep accepts, indented.
type lineFilter struct {
	w    io.Writer
	keep func(string) bool
	buf  []byte
}

func (f *lineFilter) Write(p []byte) (int, error) {
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(f.buf[:i])
		f.buf = f.buf[i+1:]
		if f.keep(line) {
			fmt.Fprintf(f.w, "    %s\n", line)
		}
	}
}

// Flush writes a last unterminated line.
func (f *lineFilter) Flush() {
	if len(f.buf) > 0 && f.keep(string(f.buf)) {
		fmt.Fprintf(f.w, "    %s\n", f.buf)
	}
	f.buf = nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// environ is the process environment without the caller's AWS_* settings
// (so a developer's profile or endpoint never leaks in), plus the run's,
// which win over the caller's (TF_CLI_CONFIG_FILE).
func (r *Run) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, mine := r.Env[k]; mine || strings.HasPrefix(k, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range r.Env {
		env = append(env, k+"="+v)
	}
	return env
}

// copyDir copies regular files of src into dst (recursively), skipping
// Terraform's local files.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if name == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if name == ".terraform.lock.hcl" || name == "terraform.tfvars" || strings.Contains(name, ".tfstate") || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("copying example: %w", err)
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("copying example: %w", err)
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
}
