package ha

import (
	"context"
	"fmt"
	"maps"
	"os"
	"testing"

	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/scenario"
)

// clientTimeout is the impairment soak's request timeout (soak.Options.
// Timeout), a client's patience: the requests a dead zone's load balancer
// node holds fail after it instead of holding ab's few slots until the
// zone returns, so the load goes on through the outage. It is the phases'
// drain, which a healthy request never comes near.
const clientTimeout = drain

// zoneImpairment (suite 8): a zone loses power (scenario.ZoneImpairment);
// once Auto Scaling has been refused a launch there, the stack evacuates
// it, power returns, the stack takes it back.
func zoneImpairment(t *testing.T, s *stack) figures {
	return evacuation(t, s, scenario.ZoneImpairment())
}

// zoneGray (suite 9): a gray failure (scenario.GrayFailure); once Auto
// Scaling has replaced an instance there, the stack evacuates the zone, the
// fault ends, the zone returns.
func zoneGray(t *testing.T, s *stack) figures {
	return evacuation(t, s, scenario.GrayFailure())
}

// evacuation runs the evacuation scenario (test/scenario, shared with
// `make demo`) on the suite's stack: every requirement it saw broken is a
// test error. Sandbox only: on AWS the outage needs FIS (the breaker's
// ZoneDown stops instances, but launches there succeed, so "Auto Scaling
// has tried and failed" never happens).
func evacuation(t *testing.T, s *stack, f scenario.Fault) figures {
	if s.tg.Sandbox == nil {
		t.Skip(f.Name + ": needs AWS FIS (scenario \"AZ Availability: Power Interruption\", AWSFIS-Run-Network-Packet-Loss); " +
			"the breaker's ZoneDown stops instances but launches there succeed; runs in the sandbox")
		return figures{}
	}
	res, err := s.scenario(t).Evacuate(t.Context(), f, scenario.Options{Concurrency: concurrency, ClientTimeout: clientTimeout, Drain: drain,
		Settle: s.size.Settle, Tail: s.size.Tail, Recover: s.size.Recover})
	for _, msg := range res.Failures {
		t.Error(msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return figures{Suite: f.Name, Requests: res.Sent, Failed: res.Failed, Budget: -1, Note: res.Summary()}
}

// scenario is the stack as test/scenario drives it, within t: terraform
// runs and progress lines belong to t.
func (s *stack) scenario(t *testing.T) *scenario.Stack {
	return &scenario.Stack{AWS: s.tg.AWS, Sandbox: s.tg.Sandbox, Groups: s.st.AutoScalingGroupNames,
		TargetGroupARN: s.st.TargetGroupARN, LoadBalancerARN: s.st.LoadBalancerARN, URL: s.url,
		ScalingTarget: s.scalingTarget, MinuteSeconds: s.tg.MinuteSeconds,
		Terraform: stackTerraform{t, s.opts}, Logf: func(format string, args ...any) { t.Helper(); logf(t, format, args...) }}
}

// stackTerraform applies and plans the suite's examples/complete root
// with Terratest.
type stackTerraform struct {
	t    *testing.T
	opts *terraform.Options
}

func (tf stackTerraform) Apply(ctx context.Context, zones []string, endpoint string) error {
	// Kept in the stack's options: the next suite's plans must see it.
	tf.opts.Vars["evacuate_zones"] = zones
	opts := tf.opts
	if endpoint != "" {
		c := *tf.opts
		c.EnvVars = maps.Clone(tf.opts.EnvVars)
		c.EnvVars["AWS_ENDPOINT_URL"] = endpoint
		opts = &c
	}
	_, err := terraform.ApplyContextE(tf.t, ctx, opts)
	return err
}

func (tf stackTerraform) Changes(ctx context.Context) (bool, error) {
	code, err := terraform.PlanExitCodeContextE(tf.t, ctx, tf.opts)
	switch {
	case err != nil:
		return false, err
	case code == 0 || code == 2:
		return code == 2, nil
	default:
		return false, fmt.Errorf("terraform plan exited %d", code)
	}
}

// impairEnv runs TestZoneImpairment: the zone fault suites on a stack of
// their own. TestHA runs them on its shared stack (`make test`) since they
// passed three TestHA runs in a row on a loaded two-core machine, adding
// about two minutes.
const impairEnv = "HAWEBAPP_HA_IMPAIR"

// zoneFaultSuites are suites 8 and 9.
func zoneFaultSuites() []suite {
	return []suite{{"zone_impairment", zoneImpairment}, {"zone_gray", zoneGray}}
}

// TestZoneImpairment runs suites 8 and 9 on a stack of their own (sandbox
// only). HAWEBAPP_HA_IMPAIR=1 turns it on.
func TestZoneImpairment(t *testing.T) {
	if testing.Short() || os.Getenv(impairEnv) == "" {
		t.Skipf("zone fault suites on a stack of their own: set %s=1 (TestHA runs them on its shared stack)", impairEnv)
	}
	sz := sizeFromEnv(t, e2e.RealAWS())
	all := runStack(t, "impair", sz, zoneFaultSuites())
	report(t, sz, all)
}
