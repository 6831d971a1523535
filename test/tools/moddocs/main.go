// Command moddocs writes the reference tables of a Terraform module's
// README (requirements, resources, inputs, outputs) from the module's own
// .tf files, between the README's generated-section markers, so the tables
// cannot say what the code does not (`make generate` runs it for every
// module under modules/; test/tools/check-docs.sh fails when a README is
// not what it writes).
//
//	go run ./test/tools/moddocs modules/network modules/web-app ...
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The generated section lies between these lines; the rest of the README is
// written by hand.
const (
	Begin = "<!-- BEGIN GENERATED: go run ./test/tools/moddocs (make generate); edit the .tf files, not this section -->"
	End   = "<!-- END GENERATED -->"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: moddocs <module dir>...")
		os.Exit(2)
	}
	for _, dir := range os.Args[1:] {
		if err := writeReadme(dir); err != nil {
			fmt.Fprintf(os.Stderr, "moddocs: %s: %v\n", dir, err)
			os.Exit(1)
		}
	}
}

// writeReadme replaces dir/README.md's generated section with the tables of
// the module in dir.
func writeReadme(dir string) error {
	mod, err := Load(dir)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "README.md")
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	updated, err := Splice(string(old), Render(mod))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if updated == string(old) {
		return nil
	}
	return os.WriteFile(path, []byte(updated), 0o644)
}

// Splice puts section between the markers of readme.
func Splice(readme, section string) (string, error) {
	b, e := strings.Index(readme, Begin), strings.Index(readme, End)
	if b < 0 || e < b {
		return "", fmt.Errorf("no generated section: add a line %q and, below it, a line %q where the tables go", Begin, End)
	}
	return readme[:b+len(Begin)] + "\n" + section + readme[e:], nil
}
