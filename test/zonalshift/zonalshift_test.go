package zonalshift_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	testenv "github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/zonalshift"
)

var motoURL string

func TestMain(m *testing.M) { os.Exit(motoserver.RunShared(m, "test/zonalshift", &motoURL)) }

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	cfg   aws.Config // for testenv.Network
	clock *fakeClock
	em    *zonalshift.Emulator
	arc   *arczonalshift.Client
	elb   *elb.Client
	ec2   *ec2.Client
}

func newEnv(t *testing.T) env { return newEnvWith(t, zonalshift.Options{}) }

// newEnvWith is newEnv with options (the clock is the env's own).
func newEnvWith(t *testing.T, opts zonalshift.Options) env {
	t.Helper()
	u, _ := url.Parse(motoURL)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	opts.Clock = clock
	em := zonalshift.New(httputil.NewSingleHostReverseProxy(u), opts)
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	cfg := testenv.AWSConfig(srv.URL)
	cfg.RetryMaxAttempts = 1
	return env{cfg: cfg, clock: clock, em: em, arc: arczonalshift.NewFromConfig(cfg), elb: elb.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg)}
}

// offAndOn makes two load balancers for a test of what AWS refuses:
// prefix-off with its zonal shift integration off, prefix-on with it on.
func (e env) offAndOn(t *testing.T, prefix string) (off, on string) {
	t.Helper()
	return e.loadBalancer(t, prefix+"-off", false), e.loadBalancer(t, prefix+"-on", true)
}

// loadBalancer makes an ALB in two zones, with zonal shift on or off.
func (e env) loadBalancer(t *testing.T, name string, enabled bool) string {
	t.Helper()
	ctx := context.Background()
	net := testenv.Network(t, e.cfg, "us-east-1a", "us-east-1b")
	lb, err := e.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(name), Subnets: net.App})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	_, err = e.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("zonal_shift.config.enabled"), Value: aws.String(fmt.Sprint(enabled))}}})
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

func (e env) zoneID(t *testing.T, name string) string {
	t.Helper()
	out, err := e.ec2.DescribeAvailabilityZones(context.Background(), &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{name}})
	if err != nil || len(out.AvailabilityZones) != 1 {
		t.Fatalf("zone %s: %v", name, err)
	}
	return aws.ToString(out.AvailabilityZones[0].ZoneId)
}

func TestStartListUpdateCancel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	arn := e.loadBalancer(t, "zs-life", true)
	az := e.zoneID(t, "us-east-1b")
	start := e.clock.Now()
	out, err := e.arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(arn),
		AwayFrom: aws.String(az), ExpiresIn: aws.String("72h"), Comment: aws.String("test")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != zstypes.ZonalShiftStatusActive || !aws.ToTime(out.ExpiryTime).Equal(start.Add(72*time.Hour)) {
		t.Fatalf("started shift: status %s expiry %v, want ACTIVE at %v", out.Status, aws.ToTime(out.ExpiryTime), start.Add(72*time.Hour))
	}
	list, err := e.arc.ListZonalShifts(ctx, &arczonalshift.ListZonalShiftsInput{ResourceIdentifier: aws.String(arn)})
	if err != nil || len(list.Items) != 1 || aws.ToString(list.Items[0].AwayFrom) != az {
		t.Fatalf("list: %v %+v", err, list)
	}
	mr, err := e.arc.GetManagedResource(ctx, &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(arn)})
	if err != nil || mr.AppliedWeights[az] != 0 || len(mr.ZonalShifts) != 1 || mr.ZonalShifts[0].AppliedStatus != zstypes.AppliedStatusApplied {
		t.Fatalf("managed resource: %v %+v", err, mr)
	}
	// A second shift on the same load balancer conflicts.
	_, err = e.arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(arn),
		AwayFrom: aws.String(e.zoneID(t, "us-east-1a")), ExpiresIn: aws.String("1h"), Comment: aws.String("second")})
	var ce *zstypes.ConflictException
	if !errors.As(err, &ce) || ce.Reason != zstypes.ConflictExceptionReasonZonalShiftAlreadyExists {
		t.Fatalf("second shift: %v, want ConflictException ZonalShiftAlreadyExists", err)
	}
	e.clock.Add(10 * time.Hour)
	up, err := e.arc.UpdateZonalShift(ctx, &arczonalshift.UpdateZonalShiftInput{ZonalShiftId: out.ZonalShiftId, ExpiresIn: aws.String("72h")})
	if err != nil || !aws.ToTime(up.ExpiryTime).Equal(e.clock.Now().Add(72*time.Hour)) {
		t.Fatalf("update: %v expiry %v", err, up)
	}
	if _, err := e.arc.CancelZonalShift(ctx, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: out.ZonalShiftId}); err != nil {
		t.Fatal(err)
	}
	_, err = e.arc.CancelZonalShift(ctx, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: out.ZonalShiftId})
	if !errors.As(err, &ce) || ce.Reason != zstypes.ConflictExceptionReasonZonalShiftStatusNotActive {
		t.Fatalf("second cancel: %v, want ConflictException ZonalShiftStatusNotActive", err)
	}
	canceled, err := e.arc.ListZonalShifts(ctx, &arczonalshift.ListZonalShiftsInput{ResourceIdentifier: aws.String(arn), Status: zstypes.ZonalShiftStatusCanceled})
	if err != nil || len(canceled.Items) != 1 {
		t.Fatalf("canceled list: %v %+v", err, canceled)
	}
}

func TestShiftExpiresInEmulatedTime(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	arn := e.loadBalancer(t, "zs-expiry", true)
	_, err := e.arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(arn),
		AwayFrom: aws.String(e.zoneID(t, "us-east-1a")), ExpiresIn: aws.String("90m"), Comment: aws.String("expiry")})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(89 * time.Minute)
	if n := len(e.em.Active()); n != 1 {
		t.Fatalf("%d active shifts before expiry, want 1", n)
	}
	e.clock.Add(time.Minute)
	list, err := e.arc.ListZonalShifts(ctx, &arczonalshift.ListZonalShiftsInput{ResourceIdentifier: aws.String(arn)})
	if err != nil || len(list.Items) != 0 {
		t.Fatalf("active after expiry: %v %+v", err, list.Items)
	}
	expired, err := e.arc.ListZonalShifts(ctx, &arczonalshift.ListZonalShiftsInput{ResourceIdentifier: aws.String(arn), Status: zstypes.ZonalShiftStatusExpired})
	if err != nil || len(expired.Items) != 1 {
		t.Fatalf("expired list: %v %+v", err, expired.Items)
	}
}

func TestRefusesWhatAWSRefuses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	off, on := e.offAndOn(t, "zs")
	var nf *zstypes.ResourceNotFoundException
	var ve *zstypes.ValidationException
	cases := []struct {
		name     string
		in       arczonalshift.StartZonalShiftInput
		validate zstypes.ValidationExceptionReason // "" means ResourceNotFoundException
	}{
		{"zonal shift integration off", arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(off), AwayFrom: aws.String(e.zoneID(t, "us-east-1a")), ExpiresIn: aws.String("1h"), Comment: aws.String("x")}, ""},
		{"no such load balancer", arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(on + "0"), AwayFrom: aws.String(e.zoneID(t, "us-east-1a")), ExpiresIn: aws.String("1h"), Comment: aws.String("x")}, ""},
		{"longer than 72 hours", arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(on), AwayFrom: aws.String(e.zoneID(t, "us-east-1a")), ExpiresIn: aws.String("73h"), Comment: aws.String("x")}, zstypes.ValidationExceptionReasonInvalidExpiresIn},
		{"expiresIn in days", arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(on), AwayFrom: aws.String(e.zoneID(t, "us-east-1a")), ExpiresIn: aws.String("2d"), Comment: aws.String("x")}, zstypes.ValidationExceptionReasonInvalidExpiresIn},
		{"zone of no subnet", arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(on), AwayFrom: aws.String(e.zoneID(t, "us-east-1c")), ExpiresIn: aws.String("1h"), Comment: aws.String("x")}, zstypes.ValidationExceptionReasonInvalidAz},
	}
	for _, c := range cases {
		_, err := e.arc.StartZonalShift(ctx, &c.in)
		switch {
		case c.validate == "" && !errors.As(err, &nf):
			t.Errorf("%s: %v, want ResourceNotFoundException", c.name, err)
		case c.validate != "" && (!errors.As(err, &ve) || ve.Reason != c.validate):
			t.Errorf("%s: %v, want ValidationException %s", c.name, err, c.validate)
		}
	}
	if _, err := e.arc.GetManagedResource(ctx, &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(off)}); !errors.As(err, &nf) {
		t.Errorf("GetManagedResource of a load balancer with zonal shift off: %v, want ResourceNotFoundException", err)
	}
	list, err := e.arc.ListManagedResources(ctx, &arczonalshift.ListManagedResourcesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range list.Items {
		if aws.ToString(it.Arn) == off {
			t.Errorf("ListManagedResources lists %s, whose zonal shift is off", off)
		}
	}
}

func TestRegistrationDelay(t *testing.T) {
	e := newEnvWith(t, zonalshift.Options{RegistrationDelay: time.Minute})
	ctx := context.Background()
	arn := e.loadBalancer(t, "zs-registering", true)
	in := &arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(arn), AwayFrom: aws.String(e.zoneID(t, "us-east-1a")),
		ExpiresIn: aws.String("1h"), Comment: aws.String("x")}
	var nf *zstypes.ResourceNotFoundException
	if _, err := e.arc.StartZonalShift(ctx, in); !errors.As(err, &nf) {
		t.Fatalf("StartZonalShift right after enabling: %v, want ResourceNotFoundException", err)
	}
	if _, err := e.arc.GetManagedResource(ctx, &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(arn)}); !errors.As(err, &nf) {
		t.Fatalf("GetManagedResource right after enabling: %v, want ResourceNotFoundException", err)
	}
	e.clock.Add(time.Minute)
	if _, err := e.arc.StartZonalShift(ctx, in); err != nil {
		t.Fatalf("StartZonalShift once registered: %v", err)
	}
}
