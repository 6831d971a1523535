package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/gruntwork-io/terratest/modules/logger"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	testenv "github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/leaks"
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
	// not pass through it): the calls served, since a call the strict
	// layer throttles (its token buckets may still be low from the apply)
	// is sent again by the SDK, which is AWS's refusal, not the provider's
	// cost.
	calls := map[string]int{}
	for _, root := range []string{"one", "ten"} {
		rec.Reset()
		terraform.RunTerraformCommandContext(t, ctx, opts[root], terraform.FormatArgs(opts[root], "plan", "-refresh-only", "-input=false", "-lock=false")...)
		calls[root] = len(rec.Served())
		t.Logf("refresh of %s stack(s): %d calls served, %d refused and sent again: %s",
			root, calls[root], len(rec.Calls())-calls[root], rec.Summary())
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

// writeRoot writes a root module with one main.tf to a new directory.
func writeRoot(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// mutatingCall is a recorded call that is not Describe*, List* or Get*,
// with the values of its request (form values or the JSON body).
type mutatingCall struct {
	call recorder.Call
	text string
}

var readOnly = regexp.MustCompile(`^(Describe|List|Get)`)

// recordMutatingBodies keeps the request of every mutating call passing
// through rec; the returned function lists them.
func recordMutatingBodies(rec *recorder.Recorder) func() []mutatingCall {
	var mu sync.Mutex
	var calls []mutatingCall
	rec.Before = func(c recorder.Call, _ http.ResponseWriter, r *http.Request) bool {
		if readOnly.MatchString(c.Action) || r.Body == nil {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		text := string(body)
		if form, err := url.ParseQuery(text); err == nil && r.Header.Get("X-Amz-Target") == "" {
			var vals []string
			for _, vs := range form {
				vals = append(vals, vs...)
			}
			text = strings.Join(vals, " ")
		}
		mu.Lock()
		calls = append(calls, mutatingCall{c, text})
		mu.Unlock()
		return false
	}
	return func() []mutatingCall {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(calls)
	}
}

// stackOwners maps the identifiers in every stack's state (IDs, ARNs,
// names) to the stack's name.
func stackOwners(t *testing.T, opts map[string]*terraform.Options) map[string]string {
	t.Helper()
	owners := map[string]string{}
	for _, o := range opts {
		var doc struct {
			Values struct {
				RootModule struct {
					Resources []struct {
						Values map[string]any `json:"values"`
					} `json:"resources"`
				} `json:"root_module"`
			} `json:"values"`
		}
		out := terraform.RunTerraformCommandAndGetStdoutContext(t, t.Context(), o, "show", "-json", "-no-color")
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("parsing terraform show -json: %v", err)
		}
		for _, r := range doc.Values.RootModule.Resources {
			name, _ := r.Values["name"].(string)
			for _, k := range []string{"load_balancer_arn", "http_listener_arn", "target_group_arn", "security_group_ids",
				"launch_template_id", "autoscaling_group_names", "instance_role_arn", "instance_profile"} {
				for _, s := range leaves(r.Values[k]) {
					owners[s] = name
				}
			}
		}
	}
	return owners
}

func leaves(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return nil
}

var instanceID = regexp.MustCompile(`\bi-[0-9a-f]+\b`)

var token = regexp.MustCompile(`[A-Za-z0-9_.-]+|arn:[^\s"&,]+`)

// assertCallsTouchOneStack: every mutating call names children (by ID, ARN
// or a name derived from the stack's) of exactly one stack.
func assertCallsTouchOneStack(t *testing.T, calls []mutatingCall, owners map[string]string) {
	t.Helper()
	names := map[string]bool{}
	for _, n := range owners {
		names[n] = true
	}
	if len(calls) == 0 {
		t.Fatal("the recorder saw no mutating call")
	}
	for _, c := range calls {
		touched := map[string]bool{}
		for _, tok := range token.FindAllString(c.text, -1) {
			if s, ok := owners[tok]; ok {
				touched[s] = true
			}
			for n := range names {
				if tok == n || strings.HasPrefix(tok, n+"-") {
					touched[n] = true
				}
			}
		}
		if len(touched) != 1 {
			t.Errorf("%s names children of %d stacks %v, want exactly one: %.300s", c.call, len(touched), sortedNames(touched), c.text)
		}
	}
	t.Logf("%d mutating calls, each on the children of one stack", len(calls))
}

func sortedNames(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// assertOwnChildren: through the API, every stack has exactly one load
// balancer, one target group, three zonal groups, two security groups and
// one launch template tagged with its name, and the same kinds of children
// as every other stack.
func assertOwnChildren(t *testing.T, tg *target, names []string) {
	t.Helper()
	ctx := t.Context()
	ec2c := ec2.NewFromConfig(tg.aws)
	var shape []string
	for _, name := range names {
		sgs, err := ec2c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: tagFilter(name)})
		if err != nil {
			t.Fatal(err)
		}
		lts, err := ec2c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{Filters: tagFilter(name)})
		if err != nil {
			t.Fatal(err)
		}
		got := []int{len(ownedLoadBalancers(ctx, t, tg, name)), len(ownedTargetGroups(ctx, t, tg, name)), len(ownedGroups(ctx, t, tg, name)),
			len(sgs.SecurityGroups), len(lts.LaunchTemplates)}
		if !slices.Equal(got, []int{1, 1, 3, 2, 1}) {
			t.Errorf("stack %s: load balancers, target groups, groups, security groups, launch templates tagged = %v, want [1 1 3 2 1]", name, got)
		}
		children, err := leaks.Find(ctx, tg.aws, name)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, c := range children {
			s = append(s, instanceID.ReplaceAllString(strings.ReplaceAll(c, name, "<stack>"), "<instance>"))
		}
		sort.Strings(s)
		if shape == nil {
			shape = s
		} else if !slices.Equal(s, shape) {
			t.Errorf("stack %s has children %q, stack %s has %q: want the same", name, s, names[0], shape)
		}
	}
}
