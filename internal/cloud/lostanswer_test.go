package cloud

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	proxy "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
)

// TestCreateAdoptsAfterLostAnswer loses the answer to the first attempt of
// every create call of a full stack: AWS makes the child, the connection is
// reset, and the SDK sends the call again, which AWS answers with its
// "already exists" code (InvalidGroup.Duplicate, EntityAlreadyExists ...).
// The stack is still created, each child once.
//
// ELBv2's creates are idempotent instead (ELBv2 API reference,
// CreateLoadBalancer, CreateTargetGroup, CreateListener): the repeat
// answers the child the first attempt made. The emulator does not (it makes
// a second load balancer or listener), so the calls pass through the strict
// layer's idempotent-create rule, which answers as AWS does.
func TestCreateAdoptsAfterLostAnswer(t *testing.T) {
	cfg := testConfig(t, nil)
	c, rec, layer := behindStrict(t, strict.Options{Rules: map[strict.Rule]bool{strict.IdempotentCreate: true}})
	bp := blueprint.Build(fullSpec("lostans", env.Network(t, cfg)))
	var (
		mu   sync.Mutex
		lost = map[string]bool{}
	)
	rec.Before = func(call proxy.Call, w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(call.Action, "Create") {
			return false
		}
		mu.Lock()
		first := !lost[call.Action]
		lost[call.Action] = true
		mu.Unlock()
		if !first {
			return false
		}
		rec.Forward(nowhere{http.Header{}}, r) // AWS does the call ...
		proxy.Drop(w)                          // ... and its answer never arrives
		return true
	}
	obs, err := applyE(t, c, bp)
	defer func() {
		// A duplicate the stack does not know of (a second listener using
		// the target group) would hold the destroy's deletes until their
		// deadline: after a failure, the stack stays in this run's emulator.
		if !t.Failed() {
			destroy(t, New(cfg, nil), bp)
		}
	}()
	if err != nil {
		t.Fatalf("create with lost answers: %v", err)
	}
	for _, action := range []string{"CreateSecurityGroup", "CreateRole", "CreateLoadBalancer", "CreateTargetGroup", "CreateListener",
		"CreateDBInstance", "CreateAutoScalingGroup"} {
		if !lost[action] {
			t.Errorf("no answer to %s was lost (%s)", action, rec.Summary())
		}
	}
	groups, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + blueprint.TagStack), Values: []string{bp.Stack}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.SecurityGroups) != 3 {
		t.Errorf("%d security groups of the stack, want 3", len(groups.SecurityGroups))
	}
	tgs, err := elb.NewFromConfig(cfg).DescribeTargetGroups(t.Context(), &elb.DescribeTargetGroupsInput{
		LoadBalancerArn: aws.String(obs[blueprint.KeyLoadBalancer].ARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tgs.TargetGroups) != 1 {
		t.Errorf("%d target groups behind the load balancer, want 1", len(tgs.TargetGroups))
	}
	lbName := ""
	for _, p := range bp.Parts {
		if p.Key == blueprint.KeyLoadBalancer {
			lbName = p.Name
		}
	}
	lbs, err := elb.NewFromConfig(cfg).DescribeLoadBalancers(t.Context(), &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, lb := range lbs.LoadBalancers {
		if aws.ToString(lb.LoadBalancerName) == lbName {
			named++
		}
	}
	if named != 1 {
		t.Errorf("%d load balancers named %s, want 1", named, lbName)
	}
	ls, err := elb.NewFromConfig(cfg).DescribeListeners(t.Context(), &elb.DescribeListenersInput{
		LoadBalancerArn: aws.String(obs[blueprint.KeyLoadBalancer].ARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.Listeners) != 1 { // the spec has no certificate: HTTP only
		t.Errorf("%d listeners on the load balancer, want 1", len(ls.Listeners))
	}
	// The load balancer's, the target group's and the listener's repeats.
	if n := layer.Layer.Fired()[strict.IdempotentCreate]; n < 3 {
		t.Errorf("idempotent-create answered %d repeated creates, want at least 3 (%s)", n, layer.Layer.Summary())
	}
}

// nowhere is where a lost answer goes.
type nowhere struct{ h http.Header }

func (n nowhere) Header() http.Header         { return n.h }
func (n nowhere) Write(b []byte) (int, error) { return len(b), nil }
func (n nowhere) WriteHeader(int)             {}
