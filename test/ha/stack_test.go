package ha

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"

	"github.com/hawebapp/terraform-provider-hawebapp/test/breaker"
	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/scenario"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// stackAddress is the stack in examples/complete.
const stackAddress = "module.web_app.hawebapp_stack.this"

// workDirEnv keeps the stages' files (the example's copy, its state, the
// saved options) in a folder that outlives the run, so a later run can
// skip stages (SKIP_deploy=1 SKIP_teardown=1 ...). Default: a temporary
// folder removed with the test.
const workDirEnv = "HAWEBAPP_HA_WORKDIR"

// stack is an examples/complete stack that is up, with what the suites
// read from it through the AWS API.
type stack struct {
	tg    *e2e.Target
	opts  *terraform.Options
	name  string
	st    e2e.StackValues
	url   string // the load balancer's HTTP URL, as the soak reaches it
	zones []string
	// settings are the stack's own health check, deregistration delay and
	// load balancer timeouts (soak.SettingsFromAWS), in the target's time.
	settings soak.Settings
	// scalingTarget is the target-tracking target: requests per target and
	// AWS minute.
	scalingTarget float64
	brk           breaker.Breaker
	size          size
}

// completeVars are examples/complete's variables for a run: the sandbox
// compresses time, so its target-tracking target is lowered to what a
// two-core machine can load twice over; on AWS the example's default stays.
func completeVars(tg *e2e.Target, name string) map[string]any {
	vars := map[string]any{"name": name}
	if !tg.Real {
		vars["scaling_target"] = sandboxScalingTarget
	}
	return vars
}

// sandboxScalingTarget is the sandbox runs' target-tracking target,
// requests per target and emulated minute.
const sandboxScalingTarget = 10

// exampleScalingTarget is examples/complete's default scaling_target.
const exampleScalingTarget = 500

// stageDir is where the stages keep their files.
func stageDir(t *testing.T, tg *e2e.Target, suite string) string {
	t.Helper()
	base := os.Getenv(workDirEnv)
	if base == "" {
		for _, stage := range []string{"deploy", "teardown"} {
			if os.Getenv("SKIP_"+stage) != "" {
				t.Fatalf("SKIP_%s needs %s (the folder the stack's state is kept in across runs)", stage, workDirEnv)
			}
		}
		return t.TempDir()
	}
	if !tg.Real && os.Getenv("SKIP_deploy") != "" {
		t.Fatalf("SKIP_deploy: the sandbox lives only as long as one run, so a stack cannot outlive it; skip stages against real AWS (%s=1)", e2e.RealAWSEnv)
	}
	dir := filepath.Join(base, suite)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// deploy applies examples/complete through the provider and saves the
// options for the later stages.
func deploy(t *testing.T, tg *e2e.Target, dir string) {
	t.Helper()
	name := e2e.StackName("ha")
	opts := e2e.TreeOptionsIn(t, filepath.Join(dir, "tree"), "examples/complete", completeVars(tg, name), tg.Env)
	test_structure.SaveTerraformOptions(t, dir, opts)
	test_structure.SaveString(t, dir, "name", name)
	// A new stack: the attributes kept from an earlier one are stale.
	test_structure.CleanupTestData(t, test_structure.FormatTestDataPath(dir, "stack.json"))
	start := time.Now()
	terraform.InitAndApplyContext(t, t.Context(), opts)
	t.Logf("init and apply of examples/complete (%s) took %s", name, time.Since(start).Round(time.Second))
}

// savedOptions are the deploy stage's options, with this run's
// environment (a fresh provider build and CLI config).
func savedOptions(t *testing.T, tg *e2e.Target, dir string) (*terraform.Options, string) {
	t.Helper()
	opts := test_structure.LoadTerraformOptions(t, dir)
	opts.EnvVars = tg.Env
	return opts, test_structure.LoadString(t, dir, "name")
}

// teardown destroys the stack and proves, with the one leak checker
// (test/leaks), that nothing of it is left.
func teardown(t *testing.T, tg *e2e.Target, dir string) {
	t.Helper()
	opts, name := savedOptions(t, tg, dir)
	start := time.Now()
	terraform.DestroyContext(t, e2e.Background(), opts)
	t.Logf("destroy took %s", time.Since(start).Round(time.Second))
	e2e.AssertNothingLeft(t, tg, name)
}

// openStack reads the stack the deploy stage made: its state, its
// settings and its URL, and picks the breaker for the target.
func openStack(t *testing.T, tg *e2e.Target, dir string, sz size) *stack {
	t.Helper()
	ctx := t.Context()
	opts, name := savedOptions(t, tg, dir)
	s := &stack{tg: tg, opts: opts, name: name, size: sz, scalingTarget: exampleScalingTarget}
	if !tg.Real {
		s.scalingTarget = sandboxScalingTarget
	}
	s.st = stackValues(t, opts, dir)
	for z := range s.st.AutoScalingGroupNames {
		s.zones = append(s.zones, z)
	}
	sort.Strings(s.zones)
	var err error
	s.settings, err = soak.SettingsFromAWS(ctx, elb.NewFromConfig(tg.AWS), s.st.TargetGroupARN, s.st.LoadBalancerARN)
	if err != nil {
		t.Fatal(err)
	}
	s.settings.TimeScale = tg.TimeScale()
	if tg.Sandbox != nil {
		// The sandbox compresses time but keeps real-time floors (a check's
		// timeout, the load balancer's timeouts): the budgets take them as
		// inputs, before any load runs.
		tm := tg.Sandbox.Timing()
		s.settings.TimeScale = tm.Scale
		s.settings.Floors = soak.Floors{HealthCheckInterval: tm.HealthCheckInterval, HealthCheckTimeout: tm.HealthCheckTimeout,
			ConnectTimeout: tm.ConnectTimeout, IdleTimeout: tm.IdleTimeout}
		s.url = sandboxURL(t, tg, s.st.LoadBalancerARN)
		s.brk = breaker.NewSandbox(tg.Sandbox.Client())
	} else {
		s.url = terraform.OutputContext(t, ctx, opts, "url")
		s.brk = breaker.NewAWS(tg.AWS, terraform.OutputContext(t, ctx, opts, "vpc_id"), appSubnets(t, s))
	}
	return s
}

// stackValues reads the stack's attributes from the state once per stack
// and keeps them with the stages' data: `terraform show` in a root that
// holds hashicorp/aws costs a minute on a loaded machine.
func stackValues(t *testing.T, opts *terraform.Options, dir string) e2e.StackValues {
	t.Helper()
	var st e2e.StackValues
	path := test_structure.FormatTestDataPath(dir, "stack.json")
	if test_structure.IsTestDataPresent(t, path) {
		test_structure.LoadTestData(t, path, &st)
		return st
	}
	e2e.StateResource(t, opts, stackAddress, &st)
	test_structure.SaveTestData(t, path, true, st)
	return st
}

// sandboxURL is where the sandbox serves the load balancer (its DNS name
// resolves nowhere on this machine).
func sandboxURL(t *testing.T, tg *e2e.Target, arn string) string {
	t.Helper()
	st, err := tg.Sandbox.Client().State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, lb := range st.LoadBalancers {
		if lb.ARN == arn && lb.URL != "" {
			return lb.URL
		}
	}
	t.Fatalf("the sandbox serves no load balancer %s: %+v", arn, st.LoadBalancers)
	return ""
}

// appSubnets are the stack's application subnets per zone, from its groups.
func appSubnets(t *testing.T, s *stack) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for zone, g := range s.groups(t.Context(), t) {
		for _, id := range splitComma(aws.ToString(g.VPCZoneIdentifier)) {
			out[zone] = append(out[zone], id)
		}
	}
	return out
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// realTime turns AWS time into the target's real time.
func (s *stack) realTime(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.tg.TimeScale())
}

// rateFor is the load, in requests a second, that puts perTarget requests
// per target and AWS minute on targets targets.
func (s *stack) rateFor(perTarget float64, targets int) float64 {
	return perTarget * float64(targets) / s.tg.MinuteSeconds
}

// logf logs with the suite's time.
func logf(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("%s %s", time.Now().UTC().Format("15:04:05.0"), fmt.Sprintf(format, args...))
}

// groups are the stack's zonal Auto Scaling groups by zone, as AWS
// describes them now (test/scenario's reads, failing t).
func (s *stack) groups(ctx context.Context, t *testing.T) map[string]astypes.AutoScalingGroup {
	t.Helper()
	g, err := s.scenario(t).GroupsByZone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// health is the target group's view: instance ID -> target state.
func (s *stack) health(ctx context.Context, t *testing.T) map[string]string {
	t.Helper()
	h, err := s.scenario(t).Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// fleet is the stack's instances in service, by zone.
type fleet = scenario.Fleet

// inService lists each zone's InService instances.
func (s *stack) inService(ctx context.Context, t *testing.T) fleet {
	t.Helper()
	f, err := s.scenario(t).InService(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// steady reports whether every group runs its desired capacity, InService,
// with every such instance a healthy target, and says what is not so.
func (s *stack) steady(ctx context.Context, t *testing.T) (bool, string) {
	t.Helper()
	ok, why, err := s.scenario(t).Steady(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ok, why
}

// waitSteady waits, with backoff, until the stack is steady and every
// instance in service reaches the database.
func (s *stack) waitSteady(t *testing.T, within time.Duration) {
	t.Helper()
	if err := s.scenario(t).WaitSteady(t.Context(), within); err != nil {
		t.Fatal(err)
	}
}

// activitiesSince logs the groups' scaling activities that started at or
// after since (DescribeScalingActivities): what the groups did while
// something was broken, for the reader of a failed budget.
func (s *stack) activitiesSince(ctx context.Context, t *testing.T, since time.Time) []string {
	t.Helper()
	c := autoscaling.NewFromConfig(s.tg.AWS)
	var out []string
	for _, name := range s.st.AutoScalingGroupNames {
		res, err := c.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(name)})
		if err != nil {
			t.Errorf("describing the scaling activities of %s: %v", name, err)
			continue
		}
		for _, a := range res.Activities {
			if a.StartTime != nil && !a.StartTime.Before(since) {
				out = append(out, fmt.Sprintf("%s +%s %s: %s", name, a.StartTime.Sub(since).Round(100*time.Millisecond),
					aws.ToString(a.Description), aws.ToString(a.Cause)))
			}
		}
	}
	sort.Strings(out)
	return out
}
