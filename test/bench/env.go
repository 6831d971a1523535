// Package bench measures hawebapp_stack against the same architecture
// written by hand with hashicorp/aws (test/bench/handwritten): wall time
// of apply, a no-change plan and destroy, the AWS API calls each makes
// (counted by test/recorder between Terraform and a private moto server),
// the provider's peak resident memory, and how plan and apply grow with
// the number of stacks. `make bench` runs it through ./cmd/bench, which
// writes contributing/benchmarks.{md,json,png}.
package bench

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// Configurations under test: directories of test/bench.
const (
	Hawebapp    = "hawebapp"
	Handwritten = "handwritten"
)

// Env is one benchmark environment: a private moto server, the recording
// proxy in front of it, the provider build and the Terraform CLI config.
type Env struct {
	RepoRoot string
	WorkDir  string
	Moto     *motoserver.Server
	Rec      *recorder.Recorder
	busy     *busyMeter
	CLIRC    string
	Network  Network
	// Log receives terraform's output (default: WorkDir/terraform.log).
	LogPath string
}

// Setup builds the provider, starts moto (through test/motoserver) and the
// recorder, writes the CLI config and creates the network. Close undoes it.
func Setup(ctx context.Context, repoRoot, workDir string) (*Env, error) {
	e := &Env{RepoRoot: repoRoot, WorkDir: workDir, LogPath: filepath.Join(workDir, "terraform.log")}
	bin, err := tfcli.BuildProvider(ctx, repoRoot, filepath.Join(workDir, "bin"))
	if err != nil {
		return nil, err
	}
	if e.CLIRC, err = tfcli.WriteConfig(workDir, filepath.Dir(bin)); err != nil {
		return nil, err
	}
	if e.Moto, err = motoserver.Start(ctx, motoserver.Options{}); err != nil {
		return nil, err
	}
	if e.Rec, err = recorder.Start(e.Moto.URL); err != nil {
		e.Close()
		return nil, fmt.Errorf("starting the recorder: %w", err)
	}
	if e.busy, err = startBusyMeter(e.Rec.URL); err != nil {
		e.Close()
		return nil, fmt.Errorf("starting the busy meter: %w", err)
	}
	if err := e.ResetCloud(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// ResetCloud empties the emulator and creates a fresh network (not counted).
func (e *Env) ResetCloud(ctx context.Context) error {
	if err := e.Moto.Reset(ctx); err != nil {
		return err
	}
	n, err := CreateNetwork(ctx, e.Moto.URL)
	if err != nil {
		return err
	}
	e.Network = n
	e.Rec.Reset()
	return nil
}

// Close stops the recorder and moto.
func (e *Env) Close() {
	if e.busy != nil {
		e.busy.Stop()
	}
	if e.Rec != nil {
		e.Rec.Stop()
	}
	if e.Moto != nil {
		e.Moto.Stop()
	}
}

// Environ is what terraform runs with: the caller's environment without
// any AWS_* or TF_CLI_CONFIG_FILE setting, plus the recorder's endpoint,
// dummy credentials and the generated CLI config. Terraform reaches moto
// through the busy meter, then the recorder.
func (e *Env) Environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "TF_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range motoserver.ClientEnv(e.busy.URL) {
		env = append(env, k+"="+v)
	}
	return append(env, "TF_CLI_CONFIG_FILE="+e.CLIRC, "TF_IN_AUTOMATION=1")
}

// CopyConfig copies test/bench/<config> to WorkDir/<config>-<suffix>,
// leaving out Terraform's local files, and returns the copy's path.
func (e *Env) CopyConfig(config, suffix string) (string, error) {
	src := filepath.Join(e.RepoRoot, "test", "bench", config)
	dst := filepath.Join(e.WorkDir, config+"-"+suffix)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if strings.HasPrefix(d.Name(), ".terraform") || strings.HasPrefix(d.Name(), "terraform.tfstate") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("copying %s: %w", src, err)
	}
	return dst, nil
}
