package release

import (
	"bytes"
	"debug/elf"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReleaseSnapshotBuild builds the provider and the example app for
// linux/amd64 as the release does (its env, flags and ldflags, with a
// snapshot version), and checks from the binaries' build information that
// those settings took effect, and that every -X names a variable the main
// package declares (the linker ignores an -X that names nothing).
func TestReleaseSnapshotBuild(t *testing.T) {
	c := loadConfig(t)
	const goos, goarch, version = "linux", "amd64", "0.0.0-SNAPSHOT-test"
	dir := t.TempDir()
	for _, id := range []string{"provider", "app"} {
		b := c.build(t, id)
		if !slices.Contains(b.platforms(), goos+"/"+goarch) {
			t.Fatalf("build %s does not include %s/%s", id, goos, goarch)
		}
		fields := map[string]any{"ProjectName": c.ProjectName, "Version": version, "Os": goos, "Arch": goarch}
		var ld []string
		for _, l := range b.Ldflags {
			ld = append(ld, render(t, l, fields))
		}
		ldflags := strings.Join(ld, " ")
		bin := filepath.Join(dir, render(t, b.Binary, fields))
		args := append(append([]string{"build"}, b.Flags...), "-ldflags", ldflags, "-o", bin, b.Main)
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		cmd.Env = append(append(os.Environ(), b.Env...), "GOOS="+goos, "GOARCH="+goarch)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		info, err := exec.Command("go", "version", "-m", bin).Output()
		if err != nil {
			t.Fatalf("go version -m %s: %v", bin, err)
		}
		// With -trimpath the build information leaves the ldflags out; their
		// effects are checked in the binary below.
		want := []string{"build\tGOOS=" + goos, "build\tGOARCH=" + goarch}
		for _, f := range b.Flags {
			want = append(want, "build\t"+f+"=true")
		}
		for _, e := range b.Env {
			want = append(want, "build\t"+e)
		}
		for _, w := range want {
			if !strings.Contains(string(info), w+"\n") {
				t.Errorf("build %s: the binary's build information lacks %q:\n%s", id, w, info)
			}
		}
		checkLdflags(t, id, bin, ldflags)
		for name := range xVars(ldflags) {
			if !declaresVar(t, filepath.Join(root, b.Main), name) {
				t.Errorf("build %s: -X main.%s names no package-level variable of %s", id, name, b.Main)
			}
		}
		t.Logf("build %s: %s (%s/%s)", id, filepath.Base(bin), goos, goarch)
	}
}

// checkLdflags checks the ldflags' effects in the linux binary: -s leaves
// out the symbol table, -w the DWARF sections, and each -X main.v=value is
// linked in (the build information leaves ldflags out under -trimpath).
// An -X naming no variable is linked in too, so declaresVar checks the name.
func checkLdflags(t *testing.T, id, bin, ldflags string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fields := strings.Fields(ldflags)
	for _, s := range f.Sections {
		if slices.Contains(fields, "-s") && s.Name == ".symtab" {
			t.Errorf("build %s: -s, but the binary has a symbol table", id)
		}
		if slices.Contains(fields, "-w") && (strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_")) {
			t.Errorf("build %s: -w, but the binary has DWARF section %s", id, s.Name)
		}
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range xVars(ldflags) {
		if !bytes.Contains(data, []byte(value)) {
			t.Errorf("build %s: -X main.%s=%s did not take: the value is not in the binary", id, name, value)
		}
	}
}

// xVars maps the main-package variables the ldflags set with -X to their values.
func xVars(ldflags string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`-X main\.(\w+)=(\S+)`).FindAllStringSubmatch(ldflags, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// declaresVar reports whether the package in dir declares a package-level
// variable name.
func declaresVar(t *testing.T, dir, name string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				if slices.ContainsFunc(s.(*ast.ValueSpec).Names, func(n *ast.Ident) bool { return n.Name == name }) {
					return true
				}
			}
		}
	}
	return false
}
