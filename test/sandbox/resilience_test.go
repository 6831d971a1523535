package sandbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

const failOpenPercent = "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"

// TestFailOpenBelowThreshold: three of four targets fail their checks (too
// slow to answer within the check's timeout, yet alive). With the
// threshold off (AWS's default) the load balancer sends only to the healthy
// one; with 50% it fails open and the slow ones serve too; off again, it
// stops.
func TestFailOpenBelowThreshold(t *testing.T) {
	ctx := context.Background()
	// Six-second minutes: the load balancer's idle timeout (6 s) outlasts
	// the slow answers (3 s), which outlast a check's timeout (2 s).
	sb := startSandbox(t, sandbox.Options{MinuteSeconds: 6})
	s := newStack(t, sb, stackSpec{name: "failopen", zones: []string{"us-east-1a"}, perZone: 4})
	ids := s.waitHealthy(4)
	url := s.url()
	healthy, slow := ids[0], ids[1:]
	for _, id := range slow {
		if err := sb.Client().Fail(ctx, sandbox.Failure{Kind: "slow", ID: id, MS: 3000}); err != nil {
			t.Fatal(err)
		}
	}
	env.Until(t, "three slow targets unhealthy", 90*time.Second, func() (bool, string) {
		h := s.health()
		n := 0
		for _, id := range slow {
			if h[id].State == elbtypes.TargetHealthStateEnumUnhealthy {
				n++
			}
		}
		return n == 3 && h[healthy].State == elbtypes.TargetHealthStateEnumHealthy, describeHealth(h)
	})
	onlyHealthy := func(what string) {
		t.Helper()
		env.Until(t, what, 60*time.Second, func() (bool, string) {
			for i := 0; i < 8; i++ {
				st, served, err := get(url + "/fruits")
				if err != nil || st != 200 || served != healthy {
					return false, "served by " + served
				}
			}
			return true, ""
		})
	}
	onlyHealthy("only the healthy target served (threshold off: one healthy target is enough)")

	setFailOpen(t, s, "50")
	env.Until(t, "a slow target served (25% healthy is below 50%: fail open)", 90*time.Second, func() (bool, string) {
		st, served, err := get(url + "/fruits")
		if err != nil || st != 200 {
			return false, "request failed"
		}
		return slices.Contains(slow, served), "served by " + served
	})

	setFailOpen(t, s, "off")
	onlyHealthy("only the healthy target served again (threshold off)")
}

func setFailOpen(t *testing.T, s *stack, percent string) {
	t.Helper()
	if _, err := s.elb.ModifyTargetGroupAttributes(context.Background(), &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(s.tgARN),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String(failOpenPercent), Value: aws.String(percent)}}}); err != nil {
		t.Fatal(err)
	}
}
