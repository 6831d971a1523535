package sandbox_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestSuspendedReplaceUnhealthy: a group whose ReplaceUnhealthy process is
// suspended keeps its unhealthy instance (an evacuated zone's group must
// not launch into the zone), while another group, with the process
// running, replaces its own: asserted once the other's replacement is
// healthy, so the sandbox has had its chance to replace both.
func TestSuspendedReplaceUnhealthy(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	s := newStack(t, sb, stackSpec{name: "suspend", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1, healthCheckType: "ELB", grace: 60, deregDelay: 5})
	s.waitHealthy(2)
	held, running := s.instances("us-east-1a"), s.instances("us-east-1b")
	if _, err := s.asg.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(s.groups["us-east-1a"]),
		ScalingProcesses: []string{"ReplaceUnhealthy"}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range append(slices.Clone(held), running...) {
		if err := sb.Client().Fail(ctx, sandbox.Failure{Kind: "instance", ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	env.Until(t, "us-east-1b's instance replaced by a healthy one", 60*time.Second, func() (bool, string) {
		h := s.health()
		ids := s.instances("us-east-1b")
		for _, id := range ids {
			if !slices.Contains(running, id) && h[id].State == elbtypes.TargetHealthStateEnumHealthy {
				return true, ""
			}
		}
		return false, fmt.Sprintf("us-east-1b %v; %s", ids, describeHealth(h))
	})
	if got := s.instances("us-east-1a"); !slices.Equal(got, held) {
		t.Fatalf("us-east-1a (ReplaceUnhealthy suspended) has %v, want only its unhealthy %v", got, held)
	}
	if h := s.health()[held[0]]; h.State != elbtypes.TargetHealthStateEnumUnhealthy {
		t.Fatalf("us-east-1a's %s is %s, want unhealthy (nothing proves the suspension held back a replacement)", held[0], h.State)
	}
}
