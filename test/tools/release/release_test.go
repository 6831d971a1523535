// Package release checks the release build in `make test`: goreleaser is not
// a dependency of this module and CI has no tag to release, so a broken
// .goreleaser.yml or workflow would only show on the first tag. These tests
// read both files, check what the registry and the examples rely on, and
// build the provider and the example app for one platform with the release's
// own flags.
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
	"text/template"

	"gopkg.in/yaml.v3"
)

var root = filepath.Join("..", "..", "..")

// config is the part of .goreleaser.yml the checks read.
type config struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Builds      []build
	Archives    []struct {
		ID           string   `yaml:"id"`
		IDs          []string `yaml:"ids"`
		Formats      []string `yaml:"formats"`
		NameTemplate string   `yaml:"name_template"`
	}
	Checksum struct {
		IDs          []string    `yaml:"ids"`
		NameTemplate string      `yaml:"name_template"`
		Algorithm    string      `yaml:"algorithm"`
		ExtraFiles   []extraFile `yaml:"extra_files"`
	}
	Signs []struct {
		ID        string   `yaml:"id"`
		Artifacts string   `yaml:"artifacts"`
		IDs       []string `yaml:"ids"`
		Args      []string `yaml:"args"`
	}
	Release struct {
		GitHub     struct{ Owner, Name string } `yaml:"github"`
		ExtraFiles []extraFile                  `yaml:"extra_files"`
	}
}

type build struct {
	ID      string   `yaml:"id"`
	Main    string   `yaml:"main"`
	Binary  string   `yaml:"binary"`
	Env     []string `yaml:"env"`
	Flags   []string `yaml:"flags"`
	Ldflags []string `yaml:"ldflags"`
	Goos    []string `yaml:"goos"`
	Goarch  []string `yaml:"goarch"`
	Ignore  []struct{ Goos, Goarch string }
}

type extraFile struct {
	Glob         string `yaml:"glob"`
	NameTemplate string `yaml:"name_template"`
}

func readYAML(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s is not valid YAML: %v", name, err)
	}
}

func loadConfig(t *testing.T) config {
	t.Helper()
	var c config
	readYAML(t, ".goreleaser.yml", &c)
	return c
}

func (c config) build(t *testing.T, id string) build {
	t.Helper()
	for _, b := range c.Builds {
		if b.ID == id {
			return b
		}
	}
	t.Fatalf(".goreleaser.yml has no build %q", id)
	return build{}
}

// render expands a goreleaser name template with the fields it may use;
// a field the check does not know fails, so a template change is seen here.
func render(t *testing.T, tmpl string, fields map[string]any) string {
	t.Helper()
	tp, err := template.New("").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		t.Fatalf("template %q: %v", tmpl, err)
	}
	var b strings.Builder
	if err := tp.Execute(&b, fields); err != nil {
		t.Fatalf("template %q: %v", tmpl, err)
	}
	return b.String()
}

// platforms is every goos/goarch pair a build produces (goreleaser builds
// the product of the lists, less the ignored pairs).
func (b build) platforms() []string {
	var out []string
	for _, os := range b.Goos {
		for _, arch := range b.Goarch {
			if !slices.ContainsFunc(b.Ignore, func(i struct{ Goos, Goarch string }) bool { return i.Goos == os && i.Goarch == arch }) {
				out = append(out, os+"/"+arch)
			}
		}
	}
	return out
}

// TestReleaseConfig checks what the Terraform registry reads (zips named
// <project>_<version>_<os>_<arch>, one SHA256SUMS of them and the manifest,
// signed with the GPG key) and that the example app's asset is the file the
// examples' default app_release_url downloads.
func TestReleaseConfig(t *testing.T) {
	c := loadConfig(t)
	const project = "terraform-provider-hawebapp"
	if c.Version != 2 || c.ProjectName != project {
		t.Fatalf(".goreleaser.yml: version %d, project_name %q; want 2 and %q", c.Version, c.ProjectName, project)
	}
	fields := map[string]any{"ProjectName": project, "Version": "1.2.3", "Os": "linux", "Arch": "amd64"}
	provider := c.build(t, "provider")
	if got := render(t, provider.Binary, fields); got != project+"_v1.2.3" {
		t.Errorf("provider binary %q, want %s_v<version> (Terraform runs terraform-provider-<name>_v<version>)", got, project)
	}
	app := c.build(t, "app")
	if provider.Main != "." || app.Main != "./examples/app" {
		t.Errorf("builds' main: provider %q, app %q; want . and ./examples/app", provider.Main, app.Main)
	}
	var zip, binary bool
	for _, a := range c.Archives {
		switch {
		case slices.Equal(a.IDs, []string{"provider"}):
			zip = slices.Equal(a.Formats, []string{"zip"}) && render(t, a.NameTemplate, fields) == project+"_1.2.3_linux_amd64"
		case slices.Equal(a.IDs, []string{"app"}):
			binary = slices.Equal(a.Formats, []string{"binary"}) && render(t, a.NameTemplate, fields) == appAsset(t, c)
		}
	}
	if !zip {
		t.Errorf("no zip archive of the provider build named %s_<version>_<os>_<arch>", project)
	}
	if !binary {
		t.Errorf("no plain-binary archive of the app build named as the examples' default app_release_url (%s)", appAsset(t, c))
	}
	if got := render(t, c.Checksum.NameTemplate, fields); got != project+"_1.2.3_SHA256SUMS" || c.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum file %q (%s), want %s_<version>_SHA256SUMS (sha256)", got, c.Checksum.Algorithm, project)
	}
	if !slices.Equal(c.Checksum.IDs, []string{"provider"}) {
		t.Errorf("checksum ids %v: the registry's SHA256SUMS holds the provider's zips only", c.Checksum.IDs)
	}
	manifest := project + "_1.2.3_manifest.json"
	for what, files := range map[string][]extraFile{"checksum": c.Checksum.ExtraFiles, "release": c.Release.ExtraFiles} {
		if !slices.ContainsFunc(files, func(f extraFile) bool {
			return f.Glob == "terraform-registry-manifest.json" && render(t, f.NameTemplate, fields) == manifest
		}) {
			t.Errorf("%s extra_files lack terraform-registry-manifest.json as %s", what, manifest)
		}
	}
	var signed bool
	for _, s := range c.Signs {
		args := strings.Join(s.Args, " ")
		signed = signed || s.Artifacts == "checksum" && strings.Contains(args, "--detach-sign") && strings.Contains(args, "{{ .Env.GPG_FINGERPRINT }}")
	}
	if !signed {
		t.Error("the checksum file is not signed (detached) with the key GPG_FINGERPRINT names")
	}
	b, err := os.ReadFile(filepath.Join(root, "terraform-registry-manifest.json"))
	if err != nil || !bytes.Contains(b, []byte(`"protocol_versions": ["6.0"]`)) {
		t.Errorf("terraform-registry-manifest.json must declare protocol 6.0 (the provider serves protocol 6): %s %v", b, err)
	}
}

// appAsset is the file name every example's default app_release_url
// downloads, after checking that each URL is this project's latest release.
func appAsset(t *testing.T, c config) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "examples", "*", "variables.tf"))
	if err != nil {
		t.Fatal(err)
	}
	def := regexp.MustCompile(`(?s)variable "app_release_url" \{.*?default\s*=\s*"([^"]+)"`)
	prefix := "https://github.com/" + c.Release.GitHub.Owner + "/" + c.Release.GitHub.Name + "/releases/latest/download/"
	asset := ""
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := def.FindSubmatch(b)
		if m == nil {
			continue
		}
		url := string(m[1])
		if !strings.HasPrefix(url, prefix) {
			t.Errorf("%s: app_release_url default %s is not an asset of %s's latest release (%s...)", f, url, c.Release.GitHub.Name, prefix)
			continue
		}
		if name := strings.TrimPrefix(url, prefix); asset == "" {
			asset = name
		} else if name != asset {
			t.Errorf("%s: app_release_url default names %s, another example %s", f, name, asset)
		}
	}
	if asset == "" {
		t.Fatal("no example declares app_release_url with a default")
	}
	return asset
}

// TestReleasePlatformsBuild: every platform the release names is one the Go
// of go.mod can build (`go tool dist list`), so a tag never fails on a port
// Go dropped.
func TestReleasePlatformsBuild(t *testing.T) {
	c := loadConfig(t)
	out, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	known := strings.Fields(string(out))
	logGoVersion(t)
	for _, b := range c.Builds {
		if len(b.platforms()) == 0 {
			t.Errorf("build %s names no platform", b.ID)
		}
		for _, p := range b.platforms() {
			if !slices.Contains(known, p) {
				t.Errorf("build %s: %s is not a platform Go builds (go tool dist list); remove it or add it to ignore", b.ID, p)
			}
		}
	}
}

// logGoVersion says which Go answered, and whether it is go.mod's.
func logGoVersion(t *testing.T) {
	t.Helper()
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\S+)`).FindSubmatch(mod)
	got, _ := exec.Command("go", "env", "GOVERSION").Output()
	if want == nil || strings.TrimSpace(string(got)) != "go"+string(want[1]) {
		t.Logf("go on PATH is %s, go.mod says %s: the platforms are checked against the former", bytes.TrimSpace(got), want)
	}
}

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
