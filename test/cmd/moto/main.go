// Command moto runs a private moto AWS emulator through the project's
// launcher (test/motoserver) until interrupted, and prints the environment
// that points Terraform and the AWS SDKs at it:
//
//	go run ./test/cmd/moto            # then, in another shell, paste the exports
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := motoserver.Start(ctx, motoserver.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "moto:", err)
		os.Exit(1)
	}
	defer s.Stop()
	env := s.Env()
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("export %s=%q\n", k, env[k])
	}
	fmt.Fprintln(os.Stderr, "# moto is running; press Ctrl-C to stop it")
	<-ctx.Done()
}
