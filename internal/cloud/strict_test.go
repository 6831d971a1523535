package cloud

// Tests behind the strict layer (test/strict), which answers as AWS does
// where the emulator is forgiving: lost answers to creates, attributes a
// partition lacks, targets gone mid-wait; and the helpers they share.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	proxy "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
)

// behindStrict puts a strict layer with opts in front of the package's
// emulator and returns a cloud whose calls go through it, recorded.
func behindStrict(t *testing.T, opts strict.Options) (*Cloud, *proxy.Recorder, *strict.Server) {
	t.Helper()
	layer, err := strict.Start(endpoint, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(layer.Stop)
	c, rec := recordedCloudTo(t, layer.URL)
	return c, rec, layer
}

// createInOrder creates bp's parts named by keys, in that order, each with
// the references of those before it, and deletes what it created, in
// reverse, when the test ends. The strict layer's summary, when given,
// goes with a failure.
func createInOrder(ctx context.Context, t *testing.T, c *Cloud, bp blueprint.Blueprint, keys []string, layer *strict.Server) engine.Refs {
	t.Helper()
	refs := engine.Refs{}
	t.Cleanup(func() {
		for i := len(keys) - 1; i >= 0; i-- {
			if o, ok := refs[keys[i]]; ok {
				p, _ := bp.Part(keys[i])
				if err := c.Delete(context.Background(), p, o); err != nil {
					t.Errorf("deleting %s: %v", keys[i], err)
				}
			}
		}
	})
	for _, key := range keys {
		p, _ := bp.Part(key)
		o, err := c.Create(ctx, p, refs)
		if err != nil {
			if layer != nil {
				t.Fatalf("creating %s: %v (strict layer: %s)", key, err, layer.Layer.Summary())
			}
			t.Fatalf("creating %s: %v", key, err)
		}
		refs[key] = o
	}
	return refs
}

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

// TestLoadBalancerAttributesUnknownToPartition applies a load balancer in a
// partition without ARC zonal shift: AWS refuses the key
// zonal_shift.config.enabled as "not recognized" (ValidationError), even
// when false (the strict layer's lb-attributes rule, told the partition
// lacks it). Left false, the attribute is never written; turned on, the key
// is dropped, the rest written, and the apply goes on with the attribute
// reported as AWS has it.
func TestLoadBalancerAttributesUnknownToPartition(t *testing.T) {
	cfg := testConfig(t, nil)
	c, rec, layer := behindStrict(t, strict.Options{Rules: map[strict.Rule]bool{strict.LBAttributes: true},
		UnknownLBAttributes: []string{attrZonalShift}})
	var (
		mu      sync.Mutex
		written []string // the form bodies of ModifyLoadBalancerAttributes
	)
	rec.Before = func(call proxy.Call, _ http.ResponseWriter, r *http.Request) bool {
		if call.Action == "ModifyLoadBalancerAttributes" {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			mu.Lock()
			written = append(written, string(b))
			mu.Unlock()
		}
		return false
	}
	ctx := t.Context()
	spec := fullSpec("lb-partition", env.Network(t, cfg))
	bp := blueprint.Build(spec)
	keys := []string{blueprint.KeyALBSecurityGroup, blueprint.KeyLoadBalancer}
	refs := createInOrder(ctx, t, c, bp, keys, layer)
	mu.Lock()
	for _, body := range written {
		if strings.Contains(body, "zonal_shift") {
			t.Errorf("zonal shift left off, yet written: %s", body)
		}
	}
	if len(written) == 0 {
		t.Errorf("drop_invalid_header_fields (AWS's default false, the stack's true) never written")
	}
	written = nil
	mu.Unlock()

	spec.EnableZonalShift = true
	p, _ := blueprint.Build(spec).Part(blueprint.KeyLoadBalancer)
	o, err := c.Update(ctx, p, refs[blueprint.KeyLoadBalancer], refs)
	if err != nil {
		t.Fatalf("turning on an attribute the partition lacks: %v", err)
	}
	if got := layer.Layer.Fired()[strict.LBAttributes]; got != 1 {
		t.Errorf("lb-attributes fired %d times, want 1 (the one refused key)", got)
	}
	if !strings.Contains(strings.Join(o.Drift, "; "), attrZonalShift+" false, want true") {
		t.Errorf("drift %v, want the attribute AWS did not take", o.Drift)
	}
}

// TestTargetHealthInstanceGoneMidWait terminates an instance between the
// listing of a group's instances and the read of their target health, as
// happens when Auto Scaling replaces one during a wait. AWS refuses a
// DescribeTargetHealth that names a terminated instance (InvalidTarget,
// modelled by the strict layer's invalid-target rule); the wait must look
// again instead of failing.
func TestTargetHealthInstanceGoneMidWait(t *testing.T) {
	cfg, n := testNetwork(t)
	c, _, layer := behindStrict(t, strict.Options{Rules: map[strict.Rule]bool{strict.InvalidTarget: true}})
	ctx := t.Context()
	elbc, ec2c := elb.NewFromConfig(cfg), ec2.NewFromConfig(cfg)
	tg, err := elbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("gone-mid-wait"), Port: aws.Int32(8080),
		Protocol: elbtypes.ProtocolEnumHttp, VpcId: aws.String(n.VPCID)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	t.Cleanup(func() {
		_, _ = elbc.DeleteTargetGroup(context.Background(), &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)})
	})
	run, err := ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(testImage), InstanceType: ec2types.InstanceTypeT3Small,
		MinCount: aws.Int32(2), MaxCount: aws.Int32(2), SubnetId: aws.String(appSubnets(n)[0].ID)})
	if err != nil {
		t.Fatal(err)
	}
	live, gone := aws.ToString(run.Instances[0].InstanceId), aws.ToString(run.Instances[1].InstanceId)
	if _, err := elbc.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(arn),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(live)}, {Id: aws.String(gone)}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = ec2c.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: []string{live}})
	})
	listed := []string{live, gone} // what the group listed, in service
	if _, err := ec2c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{gone}}); err != nil {
		t.Fatal(err)
	}
	rounds := 0
	err = poll(ctx, "targets healthy", func(ctx context.Context) (bool, string, error) {
		rounds++
		if rounds > 1 {
			listed = []string{live} // the next listing no longer has it
		}
		return autoScalingGroups{c}.allHealthy(ctx, arn, listed)
	})
	if err != nil {
		t.Fatalf("wait ended by an instance terminated mid-wait: %v (strict layer: %s)", err, layer.Layer.Summary())
	}
}
