package sandbox_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestLoadBalancerNodePerZone: the load balancer's DNS name answers a node
// per enabled zone, rotating; a zonal shift takes its zone's node out of
// the answers and its end puts it back; a zone's power loss leaves its node
// in the answers but dead (a client that resolved to it gets nothing, while
// the other zone's node serves), until the power returns.
func TestLoadBalancerNodePerZone(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	c := sb.Client()
	s := newStack(t, sb, stackSpec{name: "nodes", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1})
	ids := s.waitHealthy(2)
	lbURL, err := url.Parse(s.url())
	if err != nil {
		t.Fatal(err)
	}
	port := lbURL.Port()
	lbs, err := s.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{s.lbARN}})
	if err != nil {
		t.Fatal(err)
	}
	dns := aws.ToString(lbs.LoadBalancers[0].DNSName)
	nodes := map[string]string{} // zone -> address
	env.Until(t, "a node per zone", 30*time.Second, func() (bool, string) {
		st, err := c.State(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, n := range st.LoadBalancers[0].Nodes {
			nodes[n.Zone] = n.Address
		}
		return len(nodes) == 2, fmt.Sprintf("%+v", st.LoadBalancers)
	})
	ip := func(zone string) string { h, _, _ := net.SplitHostPort(nodes[zone]); return h }
	resolve := func() []string {
		t.Helper()
		a, err := c.Resolve(ctx, dns)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	first, second := resolve(), resolve()
	if !slices.Equal(sorted(first), sorted([]string{ip("us-east-1a"), ip("us-east-1b")})) || first[0] == second[0] {
		t.Errorf("two answers for %s: %v then %v, want both zones' nodes, rotating", dns, first, second)
	}
	viaDNS := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: c.DialContext, DisableKeepAlives: true}}
	for range 2 { // two connections, each resolving the name anew
		if code := status(viaDNS, "http://"+net.JoinHostPort(dns, port)+"/health"); code != 200 {
			t.Fatalf("GET through the DNS name: %d, want 200", code)
		}
	}

	// A zonal shift: the zone's node leaves the answers, and comes back.
	if _, err := s.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(s.lbARN),
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("zonal_shift.config.enabled"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	azs, err := ec2.NewFromConfig(s.cfg).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1b"}})
	if err != nil {
		t.Fatal(err)
	}
	arc := arczonalshift.NewFromConfig(s.cfg)
	shift, err := arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(s.lbARN),
		AwayFrom: azs.AvailabilityZones[0].ZoneId, ExpiresIn: aws.String("1h"), Comment: aws.String("node test")})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := resolve(); !slices.Equal(got, []string{ip("us-east-1a")}) {
			t.Errorf("shifted away from us-east-1b, %s answers %v, want [%s]", dns, got, ip("us-east-1a"))
		}
	}
	if _, err := arc.CancelZonalShift(ctx, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: shift.ZonalShiftId}); err != nil {
		t.Fatal(err)
	}
	if got := resolve(); len(got) != 2 {
		t.Errorf("after the shift, %s answers %v, want both nodes", dns, got)
	}

	// Power loss: the node stays in the answers, dead.
	if err := c.ImpairZone(ctx, "us-east-1b"); err != nil {
		t.Fatal(err)
	}
	if got := resolve(); len(got) != 2 {
		t.Errorf("with us-east-1b without power, %s answers %v, want both nodes still", dns, got)
	}
	dead := s.instances("us-east-1b")[0]
	env.Until(t, "the dead zone's target to leave service", 60*time.Second, func() (bool, string) {
		evs, err := c.Events(ctx)
		if err != nil {
			return false, err.Error()
		}
		impaired := slices.IndexFunc(evs, func(e sandbox.Event) bool { return e.Kind == sandbox.EventZoneImpaired })
		if impaired < 0 {
			return false, "no impairment in the event log"
		}
		out := slices.ContainsFunc(evs[impaired:], func(e sandbox.Event) bool {
			return e.Kind == sandbox.EventTarget && e.Target == dead && e.State == "unhealthy"
		})
		return out, fmt.Sprintf("targets %v", ids)
	})
	short := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if code := status(short, "http://"+nodes["us-east-1a"]+"/health"); code != 200 {
		t.Errorf("through us-east-1a's node: %d, want 200", code)
	}
	if code := status(short, "http://"+nodes["us-east-1b"]+"/health"); code != 0 {
		t.Errorf("through the powerless us-east-1b's node: %d, want no answer", code)
	}
	if err := c.RecoverZone(ctx, "us-east-1b"); err != nil {
		t.Fatal(err)
	}
	if code := status(short, "http://"+nodes["us-east-1b"]+"/health"); code != 200 {
		t.Errorf("through us-east-1b's node after the power returned: %d, want 200", code)
	}
}

// status is the answer's status code, 0 for none.
func status(c *http.Client, u string) int {
	resp, err := c.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }
