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
				`"hawebapp/hawebapp" = "/bin/dir"`,
				`path    = "/opt/tf-plugins"`,
				`include = ["hashicorp/*"]`,
				`path    = "/work/providers"`,
			},
			absent: []string{"direct"},
		},
		"WithoutMirror": {
			want:   []string{`dev_overrides`, `direct {`, `exclude = ["hawebapp/hawebapp"]`},
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
	if err := os.MkdirAll(filepath.Join(dir, "mirror.example", "hashicorp", "aws"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := FindMirror()
	if err != nil || got != dir {
		t.Fatalf("FindMirror() = %q, %v; want %q", got, err, dir)
	}
}

// TestMirrorViewServesEveryHost: a mirror laid out for one registry host
// is offered under every client's host, in both layouts, with links only
// where the clients follow them (the package level).
func TestMirrorViewServesEveryHost(t *testing.T) {
	mirror := t.TempDir()
	unpacked := filepath.Join(mirror, "one.example", "hashicorp", "aws", "5.100.0", "linux_amd64")
	if err := os.MkdirAll(unpacked, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(unpacked, "terraform-provider-aws"), []byte("bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	packed := filepath.Join(mirror, "one.example", "hashicorp", "random", "terraform-provider-random_3.0.0_linux_amd64.zip")
	if err := os.MkdirAll(filepath.Dir(packed), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(packed, []byte("zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	view, err := writeMirrorView(filepath.Join(t.TempDir(), "view"), mirror, []string{"two.example", "one.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"one.example", "two.example"} {
		for _, rel := range []string{"aws/5.100.0/linux_amd64/terraform-provider-aws", "random/terraform-provider-random_3.0.0_linux_amd64.zip"} {
			p := filepath.Join(view, host, "hashicorp", rel)
			if _, err := os.Stat(p); err != nil {
				t.Errorf("view lacks %s: %v", p, err)
			}
		}
		// Above the package level everything must be a real directory.
		for _, rel := range []string{"", "hashicorp", "hashicorp/aws", "hashicorp/aws/5.100.0", "hashicorp/random"} {
			fi, err := os.Lstat(filepath.Join(view, host, rel))
			if err != nil || !fi.IsDir() {
				t.Errorf("%s/%s is not a real directory (%v)", host, rel, err)
			}
		}
	}
}

func TestWriteConfigCoversEveryClientHost(t *testing.T) {
	mirror := t.TempDir()
	if err := os.MkdirAll(filepath.Join(mirror, "one.example", "hashicorp", "aws", "5.100.0", "linux_amd64"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Two fake clients with different default hosts.
	bins := t.TempDir()
	var clients []string
	for _, host := range []string{"one.example", "two.example"} {
		p := filepath.Join(bins, host)
		script := "#!/bin/sh\necho ' provider[" + host + "/hawebapp/probe]'\n"
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, p)
	}
	dir := t.TempDir()
	path, err := WriteConfigFor(dir, "bin", mirror, clients)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), filepath.Join(dir, "mirror")) {
		t.Errorf("config does not use the mirror view:\n%s", b)
	}
	for _, host := range []string{"one.example", "two.example"} {
		for _, p := range []string{
			filepath.Join(dir, "mirror", host, "hashicorp", "aws", "5.100.0", "linux_amd64"),
			filepath.Join(dir, "providers", host, "hawebapp", "hawebapp", LocalVersion),
		} {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("missing %s: %v", p, err)
			}
		}
	}
}
