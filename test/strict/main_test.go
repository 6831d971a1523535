package strict

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
)

// motoURL is the one emulator the package's tests share; each test puts its
// own layer in front of it and keeps apart by names and VPCs.
var motoURL string

func TestMain(m *testing.M) { os.Exit(motoserver.RunShared(m, "test/strict", &motoURL)) }

// clients are raw SDK clients through a layer, without retries, so every
// answer the layer gives reaches the test.
type clients struct {
	cfg   aws.Config // for env.Network
	layer *Layer
	ec2   *ec2.Client
	elb   *elasticloadbalancingv2.Client
	asg   *autoscaling.Client
	iam   *iam.Client
	rds   *rds.Client
}

// through starts a layer with only the given rules on.
func through(t *testing.T, opts Options, rules ...Rule) clients {
	t.Helper()
	opts.Rules = map[Rule]bool{}
	for _, r := range rules {
		opts.Rules[r] = true
	}
	s, err := Start(motoURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	cfg := env.AWSConfig(s.URL)
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} } // each test sees the layer's answers as they are
	return clients{cfg: cfg, layer: s.Layer, ec2: ec2.NewFromConfig(cfg), elb: elasticloadbalancingv2.NewFromConfig(cfg),
		asg: autoscaling.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), rds: rds.NewFromConfig(cfg)}
}

// wantCode fails unless err is the AWS error code (and HTTP status, when not 0).
func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	var re *smithyhttp.ResponseError
	if status != 0 && (!errors.As(err, &re) || re.HTTPStatusCode() != status) {
		t.Fatalf("want HTTP %d for %s, got %v", status, code, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var errNotYet = errors.New("not yet")

func wantFired(t *testing.T, c clients, r Rule, atLeast int) {
	t.Helper()
	if got := c.layer.Fired()[r]; got < atLeast {
		t.Fatalf("%s fired %d times, want at least %d (%s)", r, got, atLeast, c.layer.Summary())
	}
}

// manualClock is the strict layer's clock (Options.Now) in tests of its
// state machines: it moves only when the test moves it, so a window holds
// exactly as long as the test says, however busy the machine.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newManualClock() *manualClock { return &manualClock{now: time.Now()} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// twoZones is the network most tests need: a VPC with subnets in zones a and b.
func twoZones(t *testing.T, c clients) env.Net {
	return env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
}

// newLB creates a load balancer in n's app subnets with the given security
// groups, and gives its ARN.
func newLB(t *testing.T, c clients, n env.Net, name string, groups ...string) *string {
	t.Helper()
	in := &elasticloadbalancingv2.CreateLoadBalancerInput{Name: aws.String(name), Subnets: n.App}
	if len(groups) > 0 {
		in.SecurityGroups = groups
	}
	lb, err := c.elb.CreateLoadBalancer(t.Context(), in)
	must(t, err)
	return lb.LoadBalancers[0].LoadBalancerArn
}

// onClock is through with the layer on a manualClock that the test moves.
func onClock(t *testing.T, opts Options, rules ...Rule) (clients, *manualClock) {
	t.Helper()
	clock := newManualClock()
	opts.Now = clock.Now
	return through(t, opts, rules...), clock
}
