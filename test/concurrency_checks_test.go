package test

import (
	"encoding/json"
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

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/leaks"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

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
