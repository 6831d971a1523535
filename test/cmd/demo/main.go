// Command demo is `make demo`: it starts the sandbox (a local AWS with a
// real data plane), applies examples/minimal through it, prints the URL,
// soaks the app with ab (test/soak) while a zone goes down and comes back,
// holds the failures to the budget computed from the stack's settings before
// the run (and names each failure window's cause from the sandbox's record),
// shows the scale-out and scale-in the load caused, prints a report
// (requests, failures by reason, latency percentiles, the budget and the
// verdict, instances per zone over time, scaling activities) with a PNG
// chart; then, under a new load through the load balancer's per-zone
// nodes, impairs the zone (power lost, launches there refused) until Auto
// Scaling has tried to replace there, evacuates it (evacuate_zones), lets
// power return and takes it back, with the budget printed before and the
// figures and verdict after (test/scenario, the HA suites' zone_impairment;
// -gray adds their zone_gray); then destroys and stops everything. It exits
// 1 when the soak is over budget or the evacuation breaks a requirement.
//
//	go run ./test/cmd/demo [-example examples/minimal] [-keep] [-provider-bin path]
//	                       [-quick] [-rate 0] [-concurrency 16] [-load 80s] [-minute 3] [-zone us-east-1b] [-out dir]
//	                       [-no-evacuation] [-gray] [-evacuation-rate 50]
//
// -quick is the short demo against a bare moto: apply, empty plan, destroy.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/demo"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

func main() {
	example := flag.String("example", "examples/minimal", "example root to apply, relative to the repository")
	keep := flag.Bool("keep", false, "keep the working directory (provider binary, CLI config, state, logs)")
	providerBin := flag.String("provider-bin", "", "use this terraform-provider-hawebapp binary instead of building one")
	quick := flag.Bool("quick", false, "only apply, check the empty plan and destroy, against a bare moto (no sandbox, no soak)")
	var o demo.SoakOptions
	flag.IntVar(&o.Concurrency, "concurrency", 16, "ab concurrency while the load lasts")
	flag.IntVar(&o.Rate, "rate", 0, "load in requests a second (0: derived from the scaling policy's target)")
	flag.DurationVar(&o.Load, "load", 80*time.Second, "how long the full load lasts")
	flag.DurationVar(&o.ZoneDown, "zone-down", 30*time.Second, "when, into the soak, the zone goes down")
	flag.DurationVar(&o.ZoneUp, "zone-up", 60*time.Second, "when, into the soak, the zone comes back")
	flag.DurationVar(&o.CoolDown, "cool-down", 90*time.Second, "longest wait for the scale-in after the load")
	flag.Float64Var(&o.MinuteSeconds, "minute", 3, "real seconds per emulated AWS minute in the sandbox")
	flag.StringVar(&o.Zone, "zone", "", "zone to take down (default: the stack's second zone)")
	flag.BoolVar(&o.NoEvacuation, "no-evacuation", false, "leave out the evacuation of an impaired zone after the soak")
	flag.BoolVar(&o.Gray, "gray", false, "also evacuate a zone with a gray failure (half its new connections reset) after the impaired one")
	flag.Float64Var(&o.EvacuationRate, "evacuation-rate", 50, "the evacuations' load in requests a second (-1: the HA suites', 40% of the scaling target)")
	flag.StringVar(&o.OutDir, "out", "", "directory for the report and the chart (default: a new temporary directory)")
	flag.Parse()
	os.Exit(run(*example, *keep, *providerBin, *quick, o))
}

func run(example string, keep bool, providerBin string, quick bool, o demo.SoakOptions) int {
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
	soak := demo.NewSoak(o)
	steps := soak.Steps()
	if quick {
		steps = demo.DefaultSteps()
	}
	if providerBin != "" {
		steps = demo.Replace(steps, demo.StepBuild, demo.Step{Name: "use the given provider binary", Run: demo.UseProvider(providerBin)})
	}
	err = r.Execute(ctx, steps)
	if soak.Result.Chart != "" {
		fmt.Printf("report and chart: %s\n", soak.Result.Chart)
	}
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
