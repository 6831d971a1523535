package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
