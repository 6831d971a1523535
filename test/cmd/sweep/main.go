// Command sweep deletes the hawebapp stacks that test runs left behind in
// the account (or emulator) the standard AWS environment points at:
//
//	go run ./test/cmd/sweep -prefix acc-
//
// Only stacks whose name starts with the prefix are touched, and a stack
// whose database has deletion protection on is reported, not deleted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sweep"
)

func main() {
	prefix := flag.String("prefix", "acc-", "sweep the stacks whose name starts with this")
	dryRun := flag.Bool("n", false, "only list the stacks that would be swept")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(1)
	}
	if *dryRun {
		stacks, err := sweep.Stacks(ctx, cfg, *prefix)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sweep:", err)
			os.Exit(1)
		}
		for _, s := range stacks {
			fmt.Println(s)
		}
		return
	}
	swept, err := sweep.All(ctx, cfg, *prefix)
	for _, s := range swept {
		fmt.Println("swept", s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(1)
	}
}
