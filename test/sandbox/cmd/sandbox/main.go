// Command sandbox runs a local AWS with a real data plane in the foreground
// until interrupted. Point any SDK, Terraform or the provider at the printed
// endpoint (AWS_ENDPOINT_URL). With SANDBOX_ENV_FILE=<path> it also writes
// the client environment there as KEY=VALUE lines once ready.
//
//	go run ./test/sandbox/cmd/sandbox -minute 3
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

func main() {
	minute := flag.Float64("minute", 3, "real seconds per emulated AWS minute")
	boot := flag.Float64("boot", 20, "emulated instance boot time in seconds")
	port := flag.Int("port", 0, "endpoint port (0 picks a free one)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sb, err := sandbox.Start(ctx, sandbox.Options{MinuteSeconds: *minute, BootSeconds: *boot, Port: *port})
	if err != nil {
		log.Fatalf("sandbox: %v", err)
	}
	defer sb.Stop()

	env := sb.Env()
	var lines strings.Builder
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Fprintf(&lines, "%s=%s\n", k, env[k])
	}
	if path := os.Getenv("SANDBOX_ENV_FILE"); path != "" {
		if err := os.WriteFile(path, []byte(lines.String()), 0o600); err != nil {
			log.Printf("sandbox: writing %s: %v", path, err)
			return
		}
	}
	fmt.Printf("sandbox ready: %s (admin: %s/_sandbox/state)\n%s", sb.Endpoint, sb.Endpoint, lines.String())
	<-ctx.Done()
	fmt.Println("sandbox stopping")
}
