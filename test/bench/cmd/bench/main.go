// Command bench measures hawebapp_stack against the same stack written by
// hand with hashicorp/aws, against a fresh private moto server, and writes
// contributing/benchmarks.md, contributing/benchmarks.json and contributing/benchmarks.png
// (`make bench`).
//
//	go run ./test/bench/cmd/bench [-runs 3] [-scale 1,10,50] [-hand-scale 1,10] [-out contributing] [-keep]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/bench"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

func main() {
	runs := flag.Int("runs", 3, "runs of apply, no-change plan and destroy per configuration (medians are reported)")
	scale := flag.String("scale", "1,10,50", "stack counts of hawebapp's scale series")
	handScale := flag.String("hand-scale", "1,10", "stack counts of the hand-written configuration's scale series")
	out := flag.String("out", "contributing", "directory for benchmarks.{md,json,png}, relative to the repository")
	keep := flag.Bool("keep", false, "keep the working directory (states, terraform.log)")
	configs := flag.String("configs", "", "comma-separated configurations to run (development; default both)")
	render := flag.String("render", "", "only re-render benchmarks.md and .png in -out from this benchmarks.json")
	flag.Parse()
	if *render != "" {
		os.Exit(rerender(*render, *out))
	}
	os.Exit(run(*runs, *scale, *handScale, *out, *configs, *keep))
}

func run(runs int, scale, handScale, out, configs string, keep bool) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "bench:", err); return 1 }

	hw, err := parseCounts(scale)
	if err != nil {
		return fail(err)
	}
	hand, err := parseCounts(handScale)
	if err != nil {
		return fail(err)
	}
	root, err := tfcli.RepoRoot()
	if err != nil {
		return fail(err)
	}
	work, err := os.MkdirTemp("", "hawebapp-bench-")
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	fmt.Printf("==> building the provider, starting moto and the recorder (work directory %s)\n", work)
	env, err := bench.Setup(ctx, root, work)
	if err != nil {
		return fail(err)
	}
	opts := bench.Options{Runs: runs, Scale: hw, HandScale: hand, Log: os.Stdout}
	if configs != "" {
		opts.Configs = strings.Split(configs, ",")
	}
	res, err := bench.Run(ctx, env, opts)
	env.Close()
	if err != nil {
		fmt.Printf("working directory kept: %s (terraform.log)\n", work)
		return fail(err)
	}
	dir := out
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	if err := bench.WriteOutputs(dir, res); err != nil {
		return fail(err)
	}
	if keep {
		fmt.Printf("working directory kept: %s\n", work)
	} else {
		_ = os.RemoveAll(work)
	}

	fmt.Printf("\n%-28s %-28s %-50s %s\n", "target", "goal", "measured", "")
	missed := 0
	for _, t := range res.Targets {
		status := "met"
		if !t.Met {
			status, missed = "MISSED", missed+1
		}
		fmt.Printf("%-28s %-28s %-50s %s\n", t.Name, t.Goal, t.Measured, status)
	}
	for _, t := range res.Targets {
		if !t.Met {
			fmt.Printf("\nMISSED %s: %s\n", t.Name, t.Why)
		}
	}
	fmt.Printf("\nwrote %s/benchmarks.{md,json,png} in %s; %d of %d targets met\n",
		out, time.Since(start).Round(time.Second), len(res.Targets)-missed, len(res.Targets))
	return 0
}

// rerender rewrites the report and chart from saved results (after a
// change to their layout), without running anything.
func rerender(from, out string) int {
	b, err := os.ReadFile(from)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	var res bench.Results
	if err := json.Unmarshal(b, &res); err != nil {
		fmt.Fprintln(os.Stderr, "bench: reading", from+":", err)
		return 1
	}
	res.Targets = bench.Evaluate(&res)
	if err := bench.WriteOutputs(out, &res); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("stack count %q: want a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}
