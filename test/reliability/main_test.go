// Package reliability breaks things on purpose: it answers a fraction of the
// provider's AWS calls with faults (test/recorder's Faults), and kills
// `terraform apply` and `terraform destroy` at chosen points, counted in the
// provider's own API calls, then proves the stack converges with no
// duplicate and no leak. `make test` runs it at CI size; `make reliability`
// (HAWEBAPP_RELIABILITY=full) at full size. See contributing/reliability.md.
package reliability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// fullEnv selects the full-size campaign (make reliability).
const fullEnv = "HAWEBAPP_RELIABILITY"

// full reports whether the full-size campaign was asked for.
func full() bool { return os.Getenv(fullEnv) == "full" }

// cliConfig is the Terraform CLI configuration that points at the provider
// built once for all tests (TestMain).
var cliConfig string

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Getenv("TF_ACC") == "" {
		return m.Run() // every test skips and says why
	}
	root, err := tfcli.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	work, err := os.MkdirTemp("", "hawebapp-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(work)
	bin, err := tfcli.BuildProvider(context.Background(), root, filepath.Join(work, "bin"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if cliConfig, err = tfcli.WriteConfig(work, filepath.Dir(bin)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
