package strict

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"time"
)

// idempotentCreateRule answers a repeated CreateLoadBalancer,
// CreateTargetGroup or CreateListener as AWS does. The ELBv2 API reference
// says of each that it is idempotent: a second call with the same settings
// succeeds and answers the object the first one made; only a call with
// other settings for a taken name (load balancer, target group) or port
// (listener on one load balancer) fails with DuplicateLoadBalancerName,
// DuplicateTargetGroupName or DuplicateListener. The SDK sends a create
// again when its answer was lost (a reset after AWS did the call), so a
// client meets this path on real AWS.
//
// moto 5.2.1 differs in two ways: CreateLoadBalancer and CreateListener
// never refuse and make a second object with the same name or port (its
// duplicate checks compare against keys that never match), and
// CreateTargetGroup answers every repeat with DuplicateTargetGroupName
// (moto/elbv2/models.py create_load_balancer, create_target_group,
// create_listener). So the rule
// looks first, in the emulator behind the layer, and answers itself when
// the object exists: the existing one when the settings below match, the
// Duplicate error when they do not.
//
// hashicorp/aws relies on the same behaviour: internal/service/elbv2
// load_balancer.go resourceLoadBalancerCreate and target_group.go
// resourceTargetGroupCreate look the name up before creating and refuse an
// existing one themselves (a repeat with the same settings would not fail),
// and listener.go resourceListenerCreate creates without a look-up.
func idempotentCreateRule() *rule {
	return &rule{name: IdempotentCreate,
		reply: func(l *Layer, c *call) (*response, *apiError) {
			if c.Service != "elasticloadbalancing" {
				return nil, nil
			}
			switch c.Action {
			case "CreateLoadBalancer":
				return l.repeatCreate(c, url.Values{"Names.member.1": {c.params.Get("Name")}},
					func(m elbObject) (bool, bool) { return true, sameLoadBalancer(c, m) },
					errorf(400, "DuplicateLoadBalancerName", "A load balancer with the specified name already exists."))
			case "CreateTargetGroup":
				return l.repeatCreate(c, url.Values{"Names.member.1": {c.params.Get("Name")}},
					func(m elbObject) (bool, bool) { return true, sameTargetGroup(c, m) },
					errorf(400, "DuplicateTargetGroupName", "A target group with the specified name already exists."))
			case "CreateListener":
				return l.repeatCreate(c, url.Values{"LoadBalancerArn": {c.params.Get("LoadBalancerArn")}},
					func(m elbObject) (bool, bool) { return m.Port == c.params.Get("Port"), sameListener(c, m) },
					errorf(400, "DuplicateListener", "A listener with the specified port already exists."))
			}
			return nil, nil
		}}
}

// elbObject is what the rule reads of a load balancer, target group or
// listener in a Describe* answer.
type elbObject struct {
	LoadBalancerArn, TargetGroupArn, ListenerArn string
	Type, Scheme, IpAddressType                  string
	Subnets                                      []string `xml:"AvailabilityZones>member>SubnetId"`
	SecurityGroups                               []string `xml:"SecurityGroups>member"`
	Protocol, Port, VpcId, TargetType            string
	DefaultActions                               []struct {
		Type, TargetGroupArn string
		Forward              []string `xml:"ForwardConfig>TargetGroups>member>TargetGroupArn"`
	} `xml:"DefaultActions>member"`
}

// repeatCreate looks for the object the create names (describe: the
// look-up's parameters; match: whether a described object is the one
// named, and whether its settings are the call's) and answers the existing
// object in the create's answer shape, or dup. A failed look-up or no such
// object leaves the call to the emulator: the layer adds strictness, never
// outages.
func (l *Layer) repeatCreate(c *call, describe url.Values,
	match func(elbObject) (named, same bool), dup *apiError) (*response, *apiError) {
	ops := strings.TrimPrefix(c.Action, "Create") + "s" // LoadBalancers, TargetGroups, Listeners
	body, ok := l.describeELB(c.region, "Describe"+ops, describe)
	if !ok {
		return nil, nil
	}
	for _, m := range decodeMembers(body) {
		named, same := match(m)
		if !named {
			continue
		}
		if !same {
			return nil, dup
		}
		if c.Action == "CreateListener" { // the answer carries this listener only
			if body, ok = l.describeELB(c.region, "DescribeListeners", url.Values{"ListenerArns.member.1": {m.ListenerArn}}); !ok {
				return nil, nil
			}
		}
		// Describe*Result and Create*Result carry the same member list
		// (ELBv2 API reference, the Response Elements of both calls).
		for _, suffix := range []string{"Response", "Result"} {
			body = bytes.ReplaceAll(body, []byte("Describe"+ops+suffix), []byte(c.Action+suffix))
		}
		return &response{status: http.StatusOK, header: http.Header{"Content-Type": {"text/xml"}}, body: body}, nil
	}
	return nil, nil
}

// decodeMembers reads the objects of a Describe* answer; a body it cannot
// read has none.
func decodeMembers(body []byte) []elbObject {
	var doc struct {
		LoadBalancers []elbObject `xml:"DescribeLoadBalancersResult>LoadBalancers>member"`
		TargetGroups  []elbObject `xml:"DescribeTargetGroupsResult>TargetGroups>member"`
		Listeners     []elbObject `xml:"DescribeListenersResult>Listeners>member"`
	}
	if xml.Unmarshal(body, &doc) != nil {
		return nil
	}
	return slices.Concat(doc.LoadBalancers, doc.TargetGroups, doc.Listeners)
}

// describeELB sends one ELBv2 query call straight to the emulator behind
// the layer and returns its answer when it succeeded. The Authorization
// header only carries the credential scope the emulator routes on.
func (l *Layer) describeELB(region, action string, form url.Values) ([]byte, bool) {
	ctx, cancel := sideCtx()
	defer cancel()
	form.Set("Action", action)
	form.Set("Version", "2015-12-01")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://strict.invalid/", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, false
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=strict/%s/%s/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0",
		time.Now().UTC().Format("20060102"), region))
	rec := httptest.NewRecorder()
	l.next.ServeHTTP(rec, req)
	return rec.Body.Bytes(), rec.Code == http.StatusOK
}

// Settings compared (README): a load balancer's type, scheme, address type
// and the sets of subnets and security groups, with CreateLoadBalancer's
// defaults (application, internet-facing, ipv4) for what is left out; a target group's protocol, port, VPC and target type (default
// instance); a listener's protocol and its first default action's type and
// target group (the port is how it is found).
func sameLoadBalancer(c *call, m elbObject) bool {
	subnets := c.list("Subnets.member", "")
	if len(subnets) == 0 {
		subnets = c.list("SubnetMappings.member", "SubnetId")
	}
	return same(c.params.Get("Type"), m.Type, "application") && same(c.params.Get("Scheme"), m.Scheme, "internet-facing") &&
		same(c.params.Get("IpAddressType"), m.IpAddressType, "ipv4") &&
		sameSet(subnets, m.Subnets) && sameSet(c.list("SecurityGroups.member", ""), m.SecurityGroups)
}

func sameTargetGroup(c *call, m elbObject) bool {
	return c.params.Get("Protocol") == m.Protocol && c.params.Get("Port") == m.Port && c.params.Get("VpcId") == m.VpcId &&
		same(c.params.Get("TargetType"), m.TargetType, "instance")
}

func sameListener(c *call, m elbObject) bool {
	if c.params.Get("Protocol") != m.Protocol || len(m.DefaultActions) == 0 {
		return false
	}
	a := m.DefaultActions[0]
	want := or(c.params.Get("DefaultActions.member.1.TargetGroupArn"),
		c.params.Get("DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn"))
	have := a.TargetGroupArn
	if have == "" && len(a.Forward) > 0 {
		have = a.Forward[0]
	}
	return c.params.Get("DefaultActions.member.1.Type") == a.Type && want == have
}

// same compares a call's value with an object's, each defaulting to def
// (the emulator leaves out some values AWS always answers, such as Scheme).
func same(call, object, def string) bool { return or(call, def) == or(object, def) }

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
