package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/test/scenario"
)

// Step names of the evacuation phases.
const (
	StepImpairment = "evacuate an impaired zone"
	StepGray       = "evacuate a gray zone"
)

// The evacuation phases' sizes: those of the HA suites at CI size
// (test/ha), so the demo shows what `make test` proves.
const (
	evacConcurrency = 4
	evacTimeout     = 10 * time.Second // a client's patience, and the drain
	evacSettle      = 3 * time.Second
	evacTail        = 10 * time.Second
	evacRecover     = 4 * time.Minute
)

// Evacuation returns the step that runs the evacuation scenario
// (test/scenario, the HA suites' zone_impairment and zone_gray) with fault
// on the demo's stack: the budget is printed before the load, the figures
// and the verdict after it.
func (s *Soak) Evacuation(fault func() scenario.Fault) func(context.Context, *Run) error {
	return func(ctx context.Context, r *Run) error {
		st, err := s.scenarioStack(ctx, r)
		if err != nil {
			return err
		}
		res, err := st.Evacuate(ctx, fault(), scenario.Options{Zone: s.Opts.Zone, Rate: max(s.Opts.EvacuationRate, 0), Concurrency: evacConcurrency,
			ClientTimeout: evacTimeout, Drain: evacTimeout, Settle: evacSettle, Tail: evacTail, Recover: evacRecover})
		var b strings.Builder
		writeEvacuation(&b, res, err)
		fmt.Fprint(r.Out, b.String())
		if err != nil {
			return err
		}
		if len(res.Failures) > 0 {
			return fmt.Errorf("%s: %d requirements broken", res.Fault, len(res.Failures))
		}
		return nil
	}
}

// writeEvacuation writes an evacuation's figures and verdict.
func writeEvacuation(b *strings.Builder, res *scenario.Result, err error) {
	ms := func(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }
	fmt.Fprintf(b, "    %-11s %s of zone %s at %.0f req/s; Auto Scaling had tried to replace there: %s\n", "evacuation", res.Fault, res.Zone, res.Rate, res.Tried)
	if res.EvacuationApply > 0 {
		fmt.Fprintf(b, "    %-11s apply start to StartZonalShift %s, to the shift in effect %s; evacuation apply %s (the zone still hit); return apply %s\n",
			"measured", ms(res.ToShiftCall), ms(res.ToShift), ms(res.EvacuationApply), ms(res.ReturnApply))
		fmt.Fprintf(b, "    %-11s %d sent, %d failed: %d before the shift (measured, not budgeted), %d after it (budget 0) of %d sent after\n",
			"requests", res.Sent, res.Failed, res.FailedBefore, res.FailedAfter, res.SentAfter)
		fmt.Fprintf(b, "    %-11s %d refused in %s while it was impaired; the surviving zones carried %d instances\n",
			"launches", res.LaunchesRefused, res.Zone, res.Surviving)
	}
	for _, f := range res.Failures {
		fmt.Fprintf(b, "    %-11s %s\n", "broken", f)
	}
	switch {
	case err != nil:
		fmt.Fprintf(b, "    %-11s FAIL: %v\n", "verdict", err)
	case len(res.Failures) > 0:
		fmt.Fprintf(b, "    %-11s FAIL: %d requirements broken\n", "verdict", len(res.Failures))
	default:
		b.WriteString("    verdict     PASS: shift first, no failure after it, no launch into the evacuated zone, every process resumed on return\n")
	}
}

// scenarioStack is the demo's stack as test/scenario drives it.
func (s *Soak) scenarioStack(ctx context.Context, r *Run) (*scenario.Stack, error) {
	lb, err := s.loadBalancerARN(ctx)
	if err != nil {
		return nil, err
	}
	cfg := s.awsConfig()
	tgs, err := elb.NewFromConfig(cfg).DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(lb)})
	if err != nil {
		return nil, fmt.Errorf("describing the load balancer's target groups: %w", err)
	}
	if len(tgs.TargetGroups) != 1 {
		return nil, fmt.Errorf("the load balancer has %d target groups, want 1", len(tgs.TargetGroups))
	}
	target, err := s.scalingTarget(ctx)
	if err != nil {
		return nil, err
	}
	return &scenario.Stack{AWS: cfg, Sandbox: s.sb, Groups: s.groups, LoadBalancerARN: lb, TargetGroupARN: aws.ToString(tgs.TargetGroups[0].TargetGroupArn),
		URL: s.url, ScalingTarget: target, MinuteSeconds: s.Opts.MinuteSeconds, Terraform: &runTerraform{r: r},
		Logf: func(format string, args ...any) {
			fmt.Fprintf(r.Out, "    %s %s\n", time.Now().UTC().Format("15:04:05.0"), fmt.Sprintf(format, args...))
		}}, nil
}

// runTerraform applies and plans the demo's root with evacuate_zones.
type runTerraform struct {
	r     *Run
	zones []string
}

// zonesArgs sets evacuate_zones while a zone is evacuated; with none it
// leaves the example's default (null), which the demo's later plans use
// too, so they stay empty after the zone returns.
func (tf *runTerraform) zonesArgs() []string {
	if len(tf.zones) == 0 {
		return nil
	}
	b, _ := json.Marshal(tf.zones)
	return []string{"-var", "evacuate_zones=" + string(b)}
}

func (tf *runTerraform) Apply(ctx context.Context, zones []string, endpoint string) error {
	tf.zones = zones
	if endpoint != "" {
		prev := tf.r.Env["AWS_ENDPOINT_URL"]
		tf.r.Env["AWS_ENDPOINT_URL"] = endpoint
		defer func() { tf.r.Env["AWS_ENDPOINT_URL"] = prev }()
	}
	_, err := tf.r.terraform(ctx, false, append([]string{"apply", "-auto-approve", "-input=false"}, tf.zonesArgs()...)...)
	return err
}

func (tf *runTerraform) Changes(ctx context.Context) (bool, error) {
	_, err := tf.r.terraform(ctx, false, append([]string{"plan", "-detailed-exitcode", "-input=false"}, tf.zonesArgs()...)...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &ee) && ee.ExitCode() == 2:
		return true, nil
	default:
		return false, err
	}
}
