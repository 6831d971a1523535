package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// markdownLink is an inline link's target: [text](target).
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestRelativeLinksResolve fails on a relative link in a Markdown file that
// points at nothing (a guide moved, a file renamed), and on a link in docs/
// that the Terraform Registry cannot follow: the Registry publishes only
// docs/ and serves its pages without the .md suffix, so a page there links
// only to other Registry pages, written without ".md", and names files of
// the repository (contributing/, test/) as text.
func TestRelativeLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".terraform", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".md") && !strings.HasSuffix(path, ".md.tmpl") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		registry := strings.HasPrefix(rel, "docs"+string(filepath.Separator)) ||
			strings.HasPrefix(rel, filepath.Join("examples", "templates")+string(filepath.Separator))
		for _, m := range markdownLink.FindAllSubmatch(b, -1) {
			target := string(m[1])
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			file, _, _ := strings.Cut(target, "#")
			dir := filepath.Dir(path)
			if registry {
				if strings.HasSuffix(file, ".md") {
					t.Errorf("%s links to %q: the Registry serves its pages without .md; drop the suffix", rel, target)
					continue
				}
				// A template renders into the same place under docs/.
				dir = strings.Replace(filepath.Dir(rel), filepath.Join("examples", "templates"), "docs", 1)
				dir = filepath.Join(root, dir)
				file += ".md"
			}
			if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
				t.Errorf("%s links to %q, which does not exist", rel, target)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no relative link found: the walk no longer reaches the Markdown files")
	}
}
