package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

const securityConfig = e2e.RootHeader + `variable "certificate_arn" { type = string }

resource "hawebapp_stack" "app" {
  name           = var.name
  vpc_id         = var.vpc_id
  app_subnet_ids = var.app_subnet_ids
  lb_subnet_ids  = var.lb_subnet_ids
  allowed_cidrs  = ["203.0.113.0/24", "198.51.100.0/24"]
  listener       = { certificate_arn = var.certificate_arn }
  instances      = { image_id = "ami-12c6146b", user_data = "#!/bin/sh\necho secure\n" }
  database       = { deletion_protection = false, skip_final_snapshot = true }
}
`

// TestSecurityDefaults applies a stack with a database and an HTTPS
// listener, with TF_LOG=trace on plan, apply and destroy, then checks the
// secure defaults through the AWS API (security_checks_test.go) and that
// the database password, read from Secrets Manager, is in neither the
// state file, the saved plan's JSON nor any of the trace logs.
func TestSecurityDefaults(t *testing.T) {
	// Against its own moto, with no load: runs beside the other moto-only
	// tests, after the sandbox tests under load (which run alone).
	t.Parallel()
	tg := newTarget(t)
	ctx := t.Context()
	name := stackName("sec")
	net := env.StackNetwork(t, tg.aws)
	dir, logs := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(securityConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := e2e.NetworkVars(net)
	vars["name"], vars["certificate_arn"] = name, env.Certificate(t, tg.aws, name+".example.com")
	opts := func(phase string) *terraform.Options {
		env := map[string]string{"TF_LOG": "trace", "TF_LOG_PATH": filepath.Join(logs, phase+".log")}
		for k, v := range tg.env {
			env[k] = v
		}
		return terraform.WithDefaultRetryableErrors(t, &terraform.Options{TerraformDir: dir, Vars: vars, EnvVars: env, NoColor: true,
			PlanFilePath: filepath.Join(dir, "tfplan")})
	}
	destroyed := false
	defer func() {
		if !destroyed {
			terraform.DestroyContext(t, background(), opts("cleanup"))
		}
	}()

	start := time.Now()
	terraform.InitContext(t, ctx, opts("init"))
	terraform.PlanContext(t, ctx, opts("plan"))
	planJSON := terraform.RunTerraformCommandAndGetStdoutContext(t, ctx, opts("show"), "show", "-json", filepath.Join(dir, "tfplan"))
	terraform.ApplyContext(t, ctx, opts("apply"))
	t.Logf("plan and apply took %s", time.Since(start).Round(time.Second))

	st := stackState(t, opts("state"))
	assertSecureStack(t, tg, name, st)
	password := databasePassword(t, tg, st.DBSecretARN)
	stateFile, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}

	terraform.DestroyContext(t, ctx, opts("destroy"))
	destroyed = true
	assertNothingLeft(t, tg, name)

	// Each place is read, and proved to be the right one by holding the
	// secret's ARN (state, plan) or the provider's own log lines (logs).
	places := map[string]string{"state file": string(stateFile), "terraform show -json of the plan": planJSON}
	for _, phase := range []string{"plan", "apply", "destroy"} {
		b, err := os.ReadFile(filepath.Join(logs, phase+".log"))
		if err != nil {
			t.Fatal(err)
		}
		places["TF_LOG=trace of "+phase] = string(b)
	}
	for place, text := range places {
		switch {
		case strings.Contains(text, password):
			t.Errorf("the database password is in the %s", place)
		case place == "state file" && !strings.Contains(text, st.DBSecretARN):
			t.Errorf("the state file does not hold the secret's ARN: not the stack's state")
		case strings.HasPrefix(place, "TF_LOG") && !strings.Contains(text, "hawebapp"):
			t.Errorf("the %s has no line of the provider: not a provider trace", place)
		}
	}
}

// databasePassword reads the database's master password from Secrets
// Manager (the RDS-managed secret is JSON with username and password).
func databasePassword(t *testing.T, tg *target, secretARN string) string {
	t.Helper()
	out, err := secretsmanager.NewFromConfig(tg.aws).GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)})
	if err != nil {
		t.Fatalf("reading the database secret %s: %v", secretARN, err)
	}
	var v struct{ Password string }
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil || len(v.Password) < 8 {
		t.Fatalf("the database secret holds no password of at least 8 characters (%v)", err)
	}
	return v.Password
}
