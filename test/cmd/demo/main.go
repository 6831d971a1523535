// Command demo applies examples/minimal to a private moto server, prints its
// outputs, proves the second plan is empty and destroys it (`make demo`).
//
//	go run ./test/cmd/demo [-example examples/minimal] [-keep] [-provider-bin path]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hawebapp/terraform-provider-hawebapp/test/demo"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

func main() {
	example := flag.String("example", "examples/minimal", "example root to apply, relative to the repository")
	keep := flag.Bool("keep", false, "keep the working directory (provider binary, CLI config, state)")
	providerBin := flag.String("provider-bin", "", "use this terraform-provider-hawebapp binary instead of building one")
	flag.Parse()
	os.Exit(run(*example, *keep, *providerBin))
}

func run(example string, keep bool, providerBin string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root, err := tfcli.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	work, err := os.MkdirTemp("", "hawebapp-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	r := &demo.Run{RepoRoot: root, Example: example, WorkDir: work}
	steps := demo.DefaultSteps()
	if providerBin != "" {
		steps = demo.Replace(steps, demo.StepBuild, demo.Step{Name: "use the given provider binary", Run: demo.UseProvider(providerBin)})
	}
	err = r.Execute(ctx, steps)
	if keep || err != nil {
		fmt.Printf("working directory kept: %s\n", work)
	} else {
		_ = os.RemoveAll(work)
	}
	if err != nil {
		return 1
	}
	return 0
}
