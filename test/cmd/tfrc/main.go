// Command tfrc writes a Terraform CLI configuration that uses a locally
// built hawebapp provider (dev_overrides) and the machine's filesystem
// mirror for hashicorp/* providers, then prints the export line to use it:
//
//	go build -o "$PWD/bin/terraform-provider-hawebapp" .
//	eval "$(go run ./test/cmd/tfrc -provider-dir "$PWD/bin" -out "$PWD/bin")"
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

func main() {
	providerDir := flag.String("provider-dir", "bin", "directory holding terraform-provider-hawebapp")
	out := flag.String("out", "bin", "directory to write terraform.rc into")
	flag.Parse()
	path, err := tfcli.WriteConfig(*out, *providerDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tfrc:", err)
		os.Exit(1)
	}
	if _, err := tfcli.FindMirror(); err != nil {
		fmt.Fprintf(os.Stderr, "tfrc: %v; hashicorp providers will come from the public registry\n", err)
	}
	fmt.Printf("export TF_CLI_CONFIG_FILE=%q\n", path)
}
