package tfcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfig(t *testing.T) {
	cases := map[string]struct {
		mirror string
		want   []string
		absent []string
	}{
		"WithMirror": {
			mirror: "/opt/tf-plugins",
			want: []string{
				`"registry.terraform.io/hawebapp/hawebapp" = "/bin/dir"`,
				`path    = "/opt/tf-plugins"`,
				`include = ["registry.terraform.io/hashicorp/*"]`,
				`path    = "/work/providers"`,
			},
			absent: []string{"direct"},
		},
		"WithoutMirror": {
			want:   []string{`dev_overrides`, `direct {`, `exclude = ["registry.terraform.io/hawebapp/hawebapp"]`},
			absent: []string{"hashicorp/*"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Config("/bin/dir", "/work/providers", tc.mirror)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("config lacks %q:\n%s", w, got)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(got, a) {
					t.Errorf("config has %q:\n%s", a, got)
				}
			}
		})
	}
}

func TestFindMirrorFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(MirrorEnv, dir)
	if _, err := FindMirror(); err == nil {
		t.Fatalf("empty directory accepted as a mirror")
	}
	if err := os.MkdirAll(filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := FindMirror()
	if err != nil || got != dir {
		t.Fatalf("FindMirror() = %q, %v; want %q", got, err, dir)
	}
	path, err := WriteConfig(t.TempDir(), "bin")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), dir) {
		t.Errorf("written config does not use the mirror %s:\n%s", dir, b)
	}
}
