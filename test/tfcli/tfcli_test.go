package tfcli

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// fakeCLI is a shell script standing in for terraform: it prints its
// arguments and its process group, and on an interrupt says so and exits.
func fakeCLI(t *testing.T) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "terraform")
	script := `#!/bin/sh
trap 'echo interrupted; exit 130' INT
echo "args: $*"
echo "pgid: $(ps -o pgid= -p $$ | tr -d ' ') pid: $$"
echo "env: $FAKE_VAR"
if [ "$1" = "-chdir=/wait" ] || [ "$1" = "wait" ]; then
  while :; do sleep 0.05; done
fi
`
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(BinaryEnv, bin)
}

// The command runs Binary's client with -chdir first, only the given
// environment, in a process group of its own.
func TestCommandRunsTheClientInItsOwnGroup(t *testing.T) {
	fakeCLI(t)
	cmd, err := Command(t.Context(), "/some/root", []string{"FAKE_VAR=given"}, "plan", "-no-color")
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got := string(out)
	for _, want := range []string{"args: -chdir=/some/root plan -no-color\n", "env: given\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	var pgid, pid int
	for _, f := range strings.Fields(got[strings.Index(got, "pgid:"):]) {
		if n, err := strconv.Atoi(f); err == nil {
			if pgid == 0 {
				pgid = n
			} else if pid == 0 {
				pid = n
			}
		}
	}
	if pgid == 0 || pgid != pid {
		t.Errorf("process group %d, pid %d: the client must lead a group of its own\n%s", pgid, pid, got)
	}
	if pgid == syscall.Getpgrp() {
		t.Errorf("the client shares the test's process group %d", pgid)
	}
}

// Cancelling the context interrupts the client once (its graceful stop)
// rather than killing it.
func TestCommandInterruptsOnCancel(t *testing.T) {
	fakeCLI(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd, err := Command(ctx, "", nil, "wait")
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Cancel once the script has set its trap and said who it is.
	lines := bufio.NewScanner(stdout)
	var out strings.Builder
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(lines.Text(), "env:") {
			cancel()
		}
	}
	_ = cmd.Wait()
	if !strings.Contains(out.String(), "interrupted") {
		t.Errorf("the client was not interrupted gracefully:\n%s", out.String())
	}
}

// A client that is asked for and missing is an error naming the variable.
func TestCommandWithAMissingClient(t *testing.T) {
	t.Setenv(BinaryEnv, filepath.Join(t.TempDir(), "no-such-terraform"))
	if _, err := Command(t.Context(), "", nil, "version"); err == nil || !strings.Contains(err.Error(), BinaryEnv) {
		t.Errorf("err = %v, want one naming %s", err, BinaryEnv)
	}
}
