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
	proxy "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// TestCreateAdoptsAfterLostAnswer loses the answer to the first attempt of
// every create call of a full stack: AWS makes the child, the connection is
// reset, and the SDK sends the call again, which AWS answers with its
// "already exists" code (InvalidGroup.Duplicate, EntityAlreadyExists ...).
// The stack is still created, each child once.
//
// CreateLoadBalancer and CreateListener keep their answers: AWS answers a
// repeat with identical settings with the existing child (ELBv2 API
// reference, CreateLoadBalancer and CreateListener: "If you attempt to
// create multiple ... with the same settings, each call succeeds"), while
// the emulator makes a second one, a duplicate AWS would not make.
func TestCreateAdoptsAfterLostAnswer(t *testing.T) {
	cfg := testConfig(t, nil)
	c, rec := recordedCloud(t)
	bp := blueprint.Build(fullSpec("lostans", newNetwork(t, cfg, 62)))
	var (
		mu   sync.Mutex
		lost = map[string]bool{}
	)
	rec.Before = func(call proxy.Call, w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(call.Action, "Create") || call.Action == "CreateLoadBalancer" || call.Action == "CreateListener" {
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
	defer destroy(t, New(cfg, nil), bp)
	if err != nil {
		t.Fatalf("create with lost answers: %v", err)
	}
	for _, action := range []string{"CreateSecurityGroup", "CreateRole", "CreateTargetGroup", "CreateDBInstance", "CreateAutoScalingGroup"} {
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
}

// nowhere is where a lost answer goes.
type nowhere struct{ h http.Header }

func (n nowhere) Header() http.Header         { return n.h }
func (n nowhere) Write(b []byte) (int, error) { return len(b), nil }
func (n nowhere) WriteHeader(int)             {}
