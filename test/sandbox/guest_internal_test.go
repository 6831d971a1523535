package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// testGuest is an instance's inside without a sandbox around it: its root,
// its service manager and (serve) its metadata service.
func testGuest(t *testing.T, meta metadata, serve bool) *guest {
	t.Helper()
	s := &Sandbox{opts: Options{MinuteSeconds: 3, Region: "us-east-1"}, Endpoint: "http://127.0.0.1:1"}
	g := &guest{s: s, in: &instance{id: "i-1", az: "us-east-1a", appPort: 1}, root: t.TempDir(), meta: meta}
	g.sd = &systemd{g: g, loaded: map[string]*unit{}, services: map[string]*service{}}
	for _, d := range []string{"etc/systemd/system", "var/log/journal"} {
		if err := os.MkdirAll(filepath.Join(g.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{"etc/passwd": "root:x:0:0:root:/root:/bin/bash\n", "etc/group": "root:x:0:\n"} {
		if err := os.WriteFile(filepath.Join(g.root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if serve {
		if err := g.serveMetadata(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { g.shutdown(time.Second, false) })
	return g
}

func imdsCall(t *testing.T, method, url string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestIMDSv2: with HttpTokens=required a request without a token is
// refused (401), as is one with a token IMDS never issued; a token needs a
// TTL header (400 without) and is refused through a proxy (403); with one,
// the instance's identity is served. With tokens optional, IMDSv1 works.
func TestIMDSv2(t *testing.T) {
	g := testGuest(t, metadata{tokensRequired: true, hopLimit: 2}, true)
	idURL := g.mdURL + "/latest/meta-data/instance-id"
	if code, _ := imdsCall(t, "GET", idURL, nil); code != http.StatusUnauthorized {
		t.Errorf("GET without a token: %d, want 401", code)
	}
	if code, _ := imdsCall(t, "GET", idURL, map[string]string{"X-aws-ec2-metadata-token": "forged"}); code != http.StatusUnauthorized {
		t.Errorf("GET with an unknown token: %d, want 401", code)
	}
	tokURL := g.mdURL + "/latest/api/token"
	if code, _ := imdsCall(t, "PUT", tokURL, nil); code != http.StatusBadRequest {
		t.Errorf("PUT without a TTL: %d, want 400", code)
	}
	ttl := map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"}
	if code, _ := imdsCall(t, "PUT", tokURL, map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.1"}); code != http.StatusForbidden {
		t.Errorf("PUT through a proxy: %d, want 403", code)
	}
	code, tok := imdsCall(t, "PUT", tokURL, ttl)
	if code != http.StatusOK || tok == "" {
		t.Fatalf("PUT token: %d %q", code, tok)
	}
	auth := map[string]string{"X-aws-ec2-metadata-token": tok}
	if code, body := imdsCall(t, "GET", idURL, auth); code != http.StatusOK || body != "i-1" {
		t.Errorf("GET instance-id with a token: %d %q, want 200 i-1", code, body)
	}
	if code, body := imdsCall(t, "GET", g.mdURL+"/latest/meta-data/placement/availability-zone", auth); body != "us-east-1a" {
		t.Errorf("GET availability zone: %d %q", code, body)
	}
	if code, _ := imdsCall(t, "GET", g.mdURL+"/latest/meta-data/iam/security-credentials/", auth); code != http.StatusNotFound {
		t.Errorf("credentials of an instance without a role: %d, want 404", code)
	}

	v1 := testGuest(t, metadata{hopLimit: 1}, true)
	if code, body := imdsCall(t, "GET", v1.mdURL+"/latest/meta-data/instance-id", nil); code != http.StatusOK || body != "i-1" {
		t.Errorf("IMDSv1 with tokens optional: %d %q", code, body)
	}
}

// TestIMDSRoleCredentials: the role's credentials carry the instance's
// access key, which the sandbox's DNS view recognises (dbview.go).
func TestIMDSRoleCredentials(t *testing.T) {
	g := testGuest(t, metadata{}, false)
	st := &imdsState{tokens: map[string]time.Time{}, role: "web"}
	if list, _ := g.metadataValue(st, "/latest/meta-data/iam/security-credentials/"); list != "web" {
		t.Errorf("role list %q, want web", list)
	}
	body, ok := g.metadataValue(st, "/latest/meta-data/iam/security-credentials/web")
	var c struct{ AccessKeyId, Expiration string }
	if !ok || json.Unmarshal([]byte(body), &c) != nil || c.AccessKeyId != instanceAccessKey || c.Expiration == "" {
		t.Errorf("credentials %q (%v), want the instance access key with an expiration", body, ok)
	}
}

func writeUnit(t *testing.T, g *guest, name, body string) {
	t.Helper()
	if err := os.WriteFile(g.sd.unitPath(name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUnitRestart: a service whose process dies is started again when its
// unit says Restart=always, and stays down with Restart=no.
func TestUnitRestart(t *testing.T) {
	g := testGuest(t, metadata{}, false)
	writeUnit(t, g, "always.service", "[Service]\nExecStart=/bin/sleep 600\nRestart=always\nRestartSec=1\n")
	writeUnit(t, g, "never.service", "[Service]\nExecStart=/bin/sleep 600\n")
	for _, u := range []string{"always", "never"} {
		if out, code := g.sd.systemctl([]string{"start", u}); code != 0 {
			t.Fatalf("systemctl start %s: %d %s", u, code, out)
		}
	}
	pidOf := func(name string) int {
		g.sd.mu.Lock()
		defer g.sd.mu.Unlock()
		if svc := g.sd.services[name]; svc != nil && svc.cmd != nil {
			return svc.cmd.Process.Pid
		}
		return 0
	}
	first, never := pidOf("always.service"), pidOf("never.service")
	if first == 0 || never == 0 {
		t.Fatalf("services not running: %d %d", first, never)
	}
	_ = syscall.Kill(first, syscall.SIGKILL)
	_ = syscall.Kill(never, syscall.SIGKILL)
	env.Until(t, "always.service restarted", 30*time.Second, func() (bool, string) {
		p := pidOf("always.service")
		return p != 0 && p != first, "not restarted yet"
	})
	if out, code := g.sd.systemctl([]string{"is-active", "never"}); code == 0 || strings.TrimSpace(out) != "failed" {
		t.Errorf("Restart=no after SIGKILL: is-active %d %q, want failed", code, out)
	}
	if p := pidOf("never.service"); p != 0 {
		t.Errorf("Restart=no: restarted as pid %d", p)
	}
}

// TestUnitUserAndEnvironment: a unit's User= must exist on the instance
// (systemd's 217/USER otherwise) and its EnvironmentFile reaches the
// process, after which the sandbox's port mapping applies.
func TestUnitUserAndEnvironment(t *testing.T) {
	g := testGuest(t, metadata{}, false)
	if err := os.MkdirAll(filepath.Join(g.root, "etc/app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(g.root, "etc/app/env"), []byte("GREETING=hello\nHAWEBAPP_PORT=8080\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(g.root, "tmp-out")
	writeUnit(t, g, "env.service", "[Service]\nUser=app\nEnvironmentFile=/etc/app/env\nExecStart=/bin/sh -c \"env > "+out+"\"\n")
	g.sd.systemctl([]string{"start", "env"})
	journal, _ := os.ReadFile(g.journalPath("env.service"))
	if !strings.Contains(string(journal), "217/USER") {
		t.Errorf("a unit whose User= does not exist started; journal:\n%s", journal)
	}
	if o, code := g.useradd([]string{"--system", "--no-create-home", "app"}); code != 0 {
		t.Fatalf("useradd: %d %s", code, o)
	}
	if _, code := g.useradd([]string{"app"}); code != 9 {
		t.Errorf("useradd of an existing user: exit %d, want 9", code)
	}
	u, err := g.sd.load("env.service")
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := g.sd.command(u)
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(cmd.Env, "\n")
	for _, want := range []string{"GREETING=hello", "USER=app", "HAWEBAPP_PORT=1", "AWS_EC2_METADATA_SERVICE_ENDPOINT="} {
		if !strings.Contains(env, want) {
			t.Errorf("service environment lacks %s:\n%s", want, env)
		}
	}
	if i, j := strings.Index(env, "HAWEBAPP_PORT=8080"), strings.LastIndex(env, "HAWEBAPP_PORT=1"); i > j {
		t.Errorf("the port mapping must come after the EnvironmentFile:\n%s", env)
	}
}

// TestMapPaths: the script's absolute paths under the instance's own
// directories move into its root; the image's (/usr/bin, /bin) and URLs
// do not.
func TestMapPaths(t *testing.T) {
	in := `install -d /opt/app /etc/app && curl -o /opt/app/bin "https://host/opt/x" --output=/var/x
cat > /etc/systemd/system/a.service <<'U'
EnvironmentFile=-/etc/app/env
ExecStart=/usr/local/bin/app /usr/bin/env /etcetera
U`
	want := `install -d R/opt/app R/etc/app && curl -o R/opt/app/bin "https://host/opt/x" --output=R/var/x
cat > R/etc/systemd/system/a.service <<'U'
EnvironmentFile=-R/etc/app/env
ExecStart=R/usr/local/bin/app /usr/bin/env /etcetera
U`
	if got := mapPaths(in, "R"); got != want {
		t.Errorf("mapPaths:\n%s\nwant:\n%s", got, want)
	}
}
