package test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	testenv "github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

const concurrencyConfig = `
terraform {
  required_providers {
    hawebapp = { source = "hawebapp/hawebapp" }
  }
}

provider "hawebapp" {}

variable "names" { type = list(string) }
variable "vpc_id" { type = string }
variable "app_subnet_ids" { type = list(string) }
variable "lb_subnet_ids" { type = list(string) }

resource "hawebapp_stack" "s" {
  for_each       = toset(var.names)
  name           = each.key
  vpc_id         = var.vpc_id
  app_subnet_ids = var.app_subnet_ids
  lb_subnet_ids  = var.lb_subnet_ids
  instances      = { image_id = "ami-12c6146b", user_data = "#!/bin/sh\necho ${each.key}\n" }
}
`

// TestConcurrentStacks applies ten stacks in one configuration (Terraform's
// default parallelism, 10) while a second configuration with one stack is
// applied at the same time against the same emulator. Every stack must
// converge with exactly its own children (tags through the API), every
// mutating call must name the children of one stack only (the recorder's
// request log), a refresh of the ten must cost ten times the refresh of
// the one, and destroying both at once must leave nothing.
func TestConcurrentStacks(t *testing.T) {
	// Against its own moto, with no load: runs beside the other moto-only
	// tests, after the sandbox tests under load (which run alone).
	t.Parallel()
	tg := newTarget(t)
	ctx := t.Context()
	rec, err := recorder.Start(tg.env["AWS_ENDPOINT_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	bodies := recordMutatingBodies(rec)
	env := map[string]string{}
	for k, v := range tg.env {
		env[k] = v
	}
	env["AWS_ENDPOINT_URL"] = rec.URL

	net := testenv.StackNetwork(t, tg.aws)
	prefix := stackName("cc")
	roots := map[string][]string{"ten": nil, "one": {prefix + "-b0"}}
	for i := range 10 {
		roots["ten"] = append(roots["ten"], fmt.Sprintf("%s-a%d", prefix, i))
	}
	opts := map[string]*terraform.Options{}
	for root, names := range roots {
		vars := e2e.NetworkVars(net)
		vars["names"] = names
		opts[root] = &terraform.Options{TerraformDir: writeRoot(t, concurrencyConfig), Vars: vars, EnvVars: env, NoColor: true, Logger: logger.Discard}
		terraform.InitContext(t, ctx, opts[root])
	}
	all := append(append([]string{}, roots["ten"]...), roots["one"]...)
	defer func() {
		start := time.Now()
		both(t, opts, func(o *terraform.Options) (string, error) { return terraform.DestroyContextE(t, background(), o) })
		t.Logf("destroying 10 + 1 stacks at once took %s", time.Since(start).Round(time.Second))
		for _, name := range all {
			assertNothingLeft(t, tg, name)
		}
	}()

	start := time.Now()
	both(t, opts, func(o *terraform.Options) (string, error) { return terraform.ApplyContextE(t, ctx, o) })
	t.Logf("applying 10 + 1 stacks at once took %s", time.Since(start).Round(time.Second))
	if t.Failed() {
		return
	}
	owners := stackOwners(t, opts)
	assertOwnChildren(t, tg, all)
	assertCallsTouchOneStack(t, bodies(), owners)

	// Refresh cost, counted by the recorder (the test's own SDK calls do
	// not pass through it).
	calls := map[string]int{}
	for _, root := range []string{"one", "ten"} {
		rec.Reset()
		terraform.RunTerraformCommandContext(t, ctx, opts[root], terraform.FormatArgs(opts[root], "plan", "-refresh-only", "-input=false", "-lock=false")...)
		calls[root] = len(rec.Calls())
		t.Logf("refresh of %s stack(s): %d calls: %s", root, calls[root], rec.Summary())
	}
	if calls["one"] == 0 || calls["ten"] != 10*calls["one"] {
		t.Errorf("a refresh of ten stacks cost %d calls, one stack %d: want exactly ten times", calls["ten"], calls["one"])
	}
}

// both runs f on every root at the same time and fails t with each error.
func both(t *testing.T, opts map[string]*terraform.Options, f func(*terraform.Options) (string, error)) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(opts))
	for root, o := range opts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := f(o); err != nil {
				errs <- fmt.Errorf("root %s: %w\n%s", root, err, tail(out, 30))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
