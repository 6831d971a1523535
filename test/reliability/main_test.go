// Package reliability breaks things on purpose: it answers a fraction of the
// provider's AWS calls with faults (test/recorder's Faults), and kills
// `terraform apply` and `terraform destroy` at chosen points, counted in the
// provider's own API calls, then proves the stack converges with no
// duplicate and no leak. `make test` runs it at CI size; `make reliability`
// (HAWEBAPP_RELIABILITY=full) at full size. See contributing/reliability.md.
package reliability

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/gruntwork-io/terratest/modules/random"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	testenv "github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// fullEnv selects the full-size campaign (make reliability).
const fullEnv = "HAWEBAPP_RELIABILITY"

// full reports whether the full-size campaign was asked for.
func full() bool { return os.Getenv(fullEnv) == "full" }

// cliConfig is the Terraform CLI configuration that points at the provider
// built once for all tests (TestMain).
var cliConfig string

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if os.Getenv("TF_ACC") == "" {
		return m.Run() // every test skips and says why
	}
	root, err := tfcli.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	work, err := os.MkdirTemp("", "hawebapp-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(work)
	bin, err := tfcli.BuildProvider(context.Background(), root, filepath.Join(work, "bin"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if cliConfig, err = tfcli.WriteConfig(work, filepath.Dir(bin)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// stackConfig is a full stack (three zones, database) whose user data is a
// variable, so an update is a zone-by-zone rollout.
const stackConfig = e2e.RootHeader + `variable "user_data" { type = string }

` + e2e.StackOpen + `  instances = {
    image_id  = "ami-12c6146b"
    port      = 8080
    user_data = var.user_data
  }
  capacity     = { min = 3, desired = 3, max = 6 }
  health_check = { path = "/health" }
  database = {
    engine              = "postgres"
    instance_class      = "db.t3.micro"
    multi_az            = true
    deletion_protection = false
    skip_final_snapshot = true
  }
}

output "load_balancer_arn" { value = hawebapp_stack.app.load_balancer_arn }
`

// env is one private AWS stand-in with one stack's Terraform root:
// Terraform -> recorder (faults, kills, counts) -> strict layer -> moto, or
// -> sandbox. The checks' own SDK calls bypass the recorder (aws), so the
// recorder counts only the provider's calls.
type env struct {
	name string
	dir  string
	rec  *recorder.Recorder
	aws  aws.Config
	sb   *sandbox.Sandbox // nil unless newSandboxEnv
	tf   []string         // Terraform's environment

	mu   sync.Mutex
	hook func(recorder.Call, http.ResponseWriter, *http.Request) bool
}

// newEnv starts moto behind the strict layer and the recorder, makes a
// three-zone network and writes the stack's root.
func newEnv(t *testing.T, prefix string) *env {
	t.Helper()
	requireAcc(t)
	return finishEnv(t, prefix, e2e.StartMoto(t), motoserver.ClientEnv)
}

// newSandboxEnv is newEnv on the sandbox (test/sandbox: a data plane that
// serves), with the strict layer in the sandbox's emulated time.
func newSandboxEnv(t *testing.T, prefix string) *env {
	t.Helper()
	requireAcc(t)
	const minuteSeconds = 3
	sb, _ := e2e.StartSandbox(t, minuteSeconds)
	e := finishEnv(t, prefix, sb.Endpoint, func(endpoint string) map[string]string {
		env := sb.Env()
		env["AWS_ENDPOINT_URL"] = endpoint
		return env
	})
	e.sb = sb
	return e
}

func requireAcc(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("reliability test: set TF_ACC=1 to run it (make test and make reliability do)")
	}
}

// finishEnv puts the recorder in front of endpoint, builds the network
// through endpoint directly and initialises the root.
func finishEnv(t *testing.T, prefix, endpoint string, clientEnv func(string) map[string]string) *env {
	t.Helper()
	rec, err := recorder.Start(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	e := &env{name: prefix + "-" + strings.ToLower(random.UniqueID()), dir: t.TempDir(), rec: rec,
		aws: testenv.AWSConfig(endpoint)}
	rec.Before = e.before
	e.tf = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1",
		"AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	for k, v := range clientEnv(rec.URL) {
		e.tf = append(e.tf, k+"="+v)
	}
	net := testenv.StackNetwork(t, e.aws)
	if err := os.WriteFile(filepath.Join(e.dir, "main.tf"), []byte(stackConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := fmt.Sprintf(`{"name": %q, "vpc_id": %q, "app_subnet_ids": %s, "lb_subnet_ids": %s}`,
		e.name, net.VPCID, jsonList(net.App), jsonList(net.LB))
	if err := os.WriteFile(filepath.Join(e.dir, "network.auto.tfvars.json"), []byte(vars), 0o644); err != nil {
		t.Fatal(err)
	}
	e.setUserData(t, "release one")
	if out, err := e.terraform(t, "init", "-input=false", "-no-color"); err != nil {
		t.Fatalf("terraform init: %v\n%s", err, out)
	}
	return e
}

// setUserData writes the user data the next apply uses; a change rolls the
// stack out zone by zone.
func (e *env) setUserData(t *testing.T, release string) {
	t.Helper()
	v := fmt.Sprintf(`{"user_data": %q}`, "#!/bin/sh\necho "+release+"\n")
	if err := os.WriteFile(filepath.Join(e.dir, "release.auto.tfvars.json"), []byte(v), 0o644); err != nil {
		t.Fatal(err)
	}
}

// before hands each call to the hook of the moment (faults or a kill).
func (e *env) before(c recorder.Call, w http.ResponseWriter, r *http.Request) bool {
	e.mu.Lock()
	hook := e.hook
	e.mu.Unlock()
	return hook != nil && hook(c, w, r)
}

func (e *env) setHook(h func(recorder.Call, http.ResponseWriter, *http.Request) bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hook = h
}

func jsonList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// background is for cleanups that run after t.Context() is cancelled.
func background() context.Context { return context.Background() }
