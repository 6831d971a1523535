package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// TestBootPathFollowsRenderedUserData: user data as the provider renders it
// saves the stack's variables to /etc/hawebapp/env; the sandbox writes that
// file into the instance's directory and starts the app with exactly what it
// holds, not with assignments the rest of the script makes (which are
// neither exported nor in the file).
func TestBootPathFollowsRenderedUserData(t *testing.T) {
	s := &Sandbox{opts: Options{Region: "us-east-1"}, dir: t.TempDir(), Endpoint: "http://127.0.0.1:1"}
	script := "#!/bin/bash\nHAWEBAPP_PORT=9999\nHAWEBAPP_EXTRA=not-exported\n/usr/local/bin/app &\n"
	vars := map[string]string{blueprint.VarStack: "shop", blueprint.VarPort: "8080", blueprint.VarDBName: "fruits", blueprint.VarRegion: "eu-west-1"}
	ud := blueprint.RenderUserData(script, vars)

	envs, err := s.instanceEnv(ud, "i-1", "us-east-1a")
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(s.dir, "i-1", "etc", "hawebapp", "env"))
	if err != nil {
		t.Fatalf("the boot step's env file was not written in the instance's directory: %v", err)
	}
	env := map[string]string{}
	for _, kv := range envs {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, v := range vars {
		if !strings.Contains(string(file), k+"="+v+"\n") {
			t.Errorf("env file lacks %s=%s:\n%s", k, v, file)
		}
		if env[k] != v {
			t.Errorf("the app starts with %s=%q, want %q (from the env file)", k, env[k], v)
		}
	}
	if _, ok := env["HAWEBAPP_EXTRA"]; ok {
		t.Errorf("an unexported assignment in the script reached the app: %v", envs)
	}
}
