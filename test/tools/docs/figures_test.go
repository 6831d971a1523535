package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
)

// TestFiguresMatchTheirSource fails when a document quotes a number that
// has one source in the code (a budget, a timing, a floor) and the two
// differ: change the constant, and the document fails here until it says
// the same. Each pattern's first group is the quoted figure; every match
// in the file is checked, and a pattern that no longer matches fails too
// (the sentence was reworded: update the pattern with it).
func TestFiguresMatchTheirSource(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	for _, f := range []struct {
		file, source string
		pattern      *regexp.Regexp
		want         int
	}{
		{
			file: "README.md", source: "cloud.RefreshCallBudget",
			pattern: regexp.MustCompile(`no-change\s+plan\s+of\s+one\s+stack\s+makes\s+(\d+)\s+AWS\s+API\s+calls`),
			want:    cloud.RefreshCallBudget,
		},
	} {
		b, err := os.ReadFile(filepath.Join(root, f.file))
		if err != nil {
			t.Fatal(err)
		}
		matches := f.pattern.FindAllSubmatch(b, -1)
		if len(matches) == 0 {
			t.Errorf("%s no longer quotes %s (no match for %q): keep the figure, or update this check with the sentence", f.file, f.source, f.pattern)
		}
		for _, m := range matches {
			if got, _ := strconv.Atoi(string(m[1])); got != f.want {
				t.Errorf("%s says %d where %s is %d (%q): update %s", f.file, got, f.source, f.want, m[0], f.file)
			}
		}
	}
}

// TestClientVersionsMatchClientsEnv fails when a document names a client
// version other than the one CI runs (test/tools/clients.env is the one
// source): bump the version there, and every document that quotes the old
// one fails here until it is updated.
func TestClientVersionsMatchClientsEnv(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	envFile, err := os.ReadFile(filepath.Join(root, "test", "tools", "clients.env"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, m := range regexp.MustCompile(`HAWEBAPP_(TOFU_VERSION|TERRAFORM_VERSION|TERRAFORM_FLOOR):=([0-9.]+)`).FindAllSubmatch(envFile, -1) {
		want[string(m[1])] = string(m[2])
	}
	if len(want) != 3 {
		t.Fatalf("clients.env: found %v, want the three versions", want)
	}
	tofu := regexp.MustCompile(`OpenTofu (\d+\.\d+\.\d+)`)
	terraform := regexp.MustCompile(`Terraform (\d+\.\d+\.\d+)`)
	for _, file := range []string{"README.md", "contributing/clients.md"} {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tofu.FindAllSubmatch(b, -1) {
			if string(m[1]) != want["TOFU_VERSION"] {
				t.Errorf("%s names %q; CI runs OpenTofu %s (clients.env)", file, m[0], want["TOFU_VERSION"])
			}
		}
		// Terraform versions named are the client suite's, the floor, or
		// the one on PATH (the README's prerequisites say which).
		for _, m := range terraform.FindAllSubmatch(b, -1) {
			if v := string(m[1]); v != want["TERRAFORM_VERSION"] && v != want["TERRAFORM_FLOOR"] && !onPath(v) {
				t.Errorf("%s names %q; CI runs Terraform %s and the floor %s (clients.env)", file, m[0], want["TERRAFORM_VERSION"], want["TERRAFORM_FLOOR"])
			}
		}
	}
}

// onPath: the Terraform the machine ships (the README says which 1.11
// release `make test` runs under).
func onPath(v string) bool { return strings.HasPrefix(v, "1.11.") }
