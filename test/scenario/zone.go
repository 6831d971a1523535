package scenario

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// shiftSeen is when an apply started, when it called StartZonalShift,
// and when the shift was first seen in effect: the sandbox's DNS no longer
// answered the zone's node and the load balancer sent no new request to
// any of the zone's instances. Every request sent later goes elsewhere.
type shiftSeen struct{ start, call, at time.Time }

// evacuate applies evacuate_zones = [zone] through a call recorder while
// watching the load balancer, and returns when the shift was seen and when
// the apply ended. For a zone that is down (down), the suspension of its
// group and the shift must be the apply's first changes, before any wait.
func (s *Stack) evacuate(ctx context.Context, res *Result, dns, node, zone string, down bool, within time.Duration) (shiftSeen, time.Time, error) {
	watch, cancel := context.WithCancel(ctx)
	defer cancel()
	seen := make(chan error, 1)
	var at time.Time
	go func() {
		var err error
		at, err = s.shiftApplied(watch, dns, node, zone, within)
		seen <- err
	}()
	calls, err := s.recordCalls()
	if err != nil {
		return shiftSeen{}, time.Time{}, err
	}
	defer calls.rec.Stop()
	start := time.Now()
	if err := s.Terraform.Apply(ctx, []string{zone}, calls.rec.URL); err != nil {
		return shiftSeen{}, time.Time{}, fmt.Errorf("evacuation apply: %w", err)
	}
	applied := time.Now()
	if err := <-seen; err != nil {
		return shiftSeen{}, applied, err
	}
	// The apply called the shift; when it is seen in effect is a poll's
	// observation (a later "at" only makes the clean period start later).
	call, i, ok := calls.shiftCall()
	if !ok {
		return shiftSeen{}, applied, fmt.Errorf("the evacuation apply made no StartZonalShift call")
	}
	s.logf("StartZonalShift was call %d of %d of the apply (every provider's refresh included), %s after its start",
		i+1, len(calls.list()), call.at.Sub(start).Round(100*time.Millisecond))
	if down {
		if err := calls.firstChanges(s.Groups[zone]); err != nil {
			res.fail("zone %s is down: %v", zone, err)
		}
	}
	return shiftSeen{start: start, call: call.at, at: at}, applied, nil
}

// shiftApplied waits until a shift away from zone is applied, as clients
// see it: the load balancer's name no longer answers the zone's node and no
// instance in the zone is served new requests. It returns when it saw so:
// every request sent later goes elsewhere.
func (s *Stack) shiftApplied(ctx context.Context, dns, node, zone string, within time.Duration) (time.Time, error) {
	sb := s.Sandbox.Client()
	var at time.Time
	err := env.UntilE(ctx, "the zonal shift away from "+zone, within, func() (bool, string) {
		ips, err := sb.Resolve(ctx, dns)
		if err != nil {
			return false, err.Error()
		}
		if slices.Contains(ips, hostOf(node)) {
			return false, fmt.Sprintf("%s answers %v", dns, ips)
		}
		st, err := sb.State(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, in := range st.Instances {
			if in.AZ == zone && in.Serving {
				return false, fmt.Sprintf("node out of DNS; %s still served", in.ID)
			}
		}
		at = time.Now()
		return true, ""
	})
	return at, err
}

// returnZone applies evacuate_zones = [] and checks the zone is back: its
// node in DNS, every group with every process resumed, nothing to plan.
// It returns when the apply ended.
func (s *Stack) returnZone(ctx context.Context, res *Result, dns, node, zone string, within time.Duration) (time.Time, error) {
	start := time.Now()
	if err := s.Terraform.Apply(ctx, []string{}, ""); err != nil {
		return time.Time{}, fmt.Errorf("return apply: %w", err)
	}
	done := time.Now()
	s.logf("return apply took %s", done.Sub(start).Round(100*time.Millisecond))
	groups, err := s.GroupsByZone(ctx)
	if err != nil {
		return done, err
	}
	for z, g := range groups {
		if len(g.SuspendedProcesses) > 0 {
			res.fail("%s (%s) after the return: still suspended %v", aws.ToString(g.AutoScalingGroupName), z, processNames(g.SuspendedProcesses))
		}
	}
	ips, err := s.Sandbox.Client().Resolve(ctx, dns)
	if err != nil {
		return done, err
	}
	if !slices.Contains(ips, hostOf(node)) {
		res.fail("after the return %s answers %v, not %s's node %s", dns, ips, zone, node)
	}
	if err := s.WaitSteady(ctx, within); err != nil {
		return done, err
	}
	changes, err := s.Terraform.Changes(ctx)
	if err != nil {
		return done, err
	}
	if changes {
		res.fail("the plan after the return has changes, want none")
	}
	return done, nil
}

// waitSurviving checks that the evacuation moved the stack's capacity to
// the zones other than zone, enough for the load (rate) at the scaling
// target, and waits until they have that many healthy instances in
// service; it returns how many and when.
func (s *Stack) waitSurviving(ctx context.Context, res *Result, zone string, rate float64, within time.Duration) (int, time.Time, error) {
	groups, err := s.GroupsByZone(ctx)
	if err != nil {
		return 0, time.Time{}, err
	}
	want := 0
	for z, g := range groups {
		if z != zone {
			want += int(aws.ToInt32(g.MinSize))
		}
	}
	needed := int(math.Ceil(rate * s.MinuteSeconds / s.ScalingTarget))
	if want < needed {
		res.fail("the surviving groups' minimum sizes add up to %d after the evacuation: the load (%.1f/s) needs %d at the scaling target", want, rate, needed)
	}
	err = env.UntilE(ctx, fmt.Sprintf("the zones other than %s carrying %d healthy instances", zone, want), within, func() (bool, string) {
		h, err := s.Health(ctx)
		if err != nil {
			return false, err.Error()
		}
		fleet, err := s.InService(ctx)
		if err != nil {
			return false, err.Error()
		}
		got := 0
		for z, ids := range fleet {
			for _, id := range ids {
				if z != zone && h[id] == "healthy" {
					got++
				}
			}
		}
		return got >= want, fmt.Sprintf("%d healthy in service", got)
	})
	return want, time.Now(), err
}

// event waits for the sandbox to record an event of kind in zone at or
// after since, and returns when it took effect.
func (s *Stack) event(ctx context.Context, kind, zone string, since time.Time, within time.Duration) (time.Time, error) {
	var at time.Time
	err := env.UntilE(ctx, fmt.Sprintf("a %q event in %s", kind, zone), within, func() (bool, string) {
		evs, err := s.Sandbox.Client().Events(ctx)
		if err != nil {
			return false, err.Error()
		}
		e, ok := sandbox.LastEvent(evs, kind, func(e sandbox.Event) bool { return e.Zone == zone && !e.At.Before(since) })
		at = e.At
		return ok, fmt.Sprintf("%d events, none yet", len(evs))
	})
	return at, err
}

// lbNode is the stack's load balancer DNS name and its node in zone
// (ip:port), from the sandbox's state.
func (s *Stack) lbNode(ctx context.Context, zone string) (dns, node string, err error) {
	st, err := s.Sandbox.Client().State(ctx)
	if err != nil {
		return "", "", err
	}
	for _, lb := range st.LoadBalancers {
		if lb.ARN != s.LoadBalancerARN {
			continue
		}
		for _, n := range lb.Nodes {
			if n.Zone == zone && n.InDNS {
				return lb.DNSName, n.Address, nil
			}
		}
		return "", "", fmt.Errorf("load balancer %s has no node in %s in DNS: %+v", lb.DNSName, zone, lb.Nodes)
	}
	return "", "", fmt.Errorf("the sandbox serves no load balancer %s", s.LoadBalancerARN)
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

func portOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Port() == "" {
		return "", fmt.Errorf("no port in the load balancer's URL %q", raw)
	}
	return u.Port(), nil
}

func instanceIDs(g astypes.AutoScalingGroup) []string {
	var out []string
	for _, in := range g.Instances {
		out = append(out, aws.ToString(in.InstanceId))
	}
	return out
}

func processNames(ps []astypes.SuspendedProcess) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.ProcessName))
	}
	return out
}

// zoneLoad is what a zone scenario's load and budget are made of, read
// before the load starts: the stack's DNS name, the zone's node behind it,
// the instances in service, and the rate (Options.Rate, or BaseRate).
type zoneLoad struct {
	dns, node, port string
	inService       int
	rate            float64
}

// zoneOr is zone, or when it is "" the stack's middle zone: the one a
// scenario hits by default.
func (s *Stack) zoneOr(zone string) string {
	if zone == "" {
		zones := s.Zones()
		zone = zones[len(zones)/2]
	}
	return zone
}

func (s *Stack) readZoneLoad(ctx context.Context, zone string, o Options) (zoneLoad, error) {
	before, err := s.InService(ctx)
	if err != nil {
		return zoneLoad{}, err
	}
	l := zoneLoad{inService: before.Total(), rate: o.Rate}
	if l.dns, l.node, err = s.lbNode(ctx, zone); err != nil {
		return zoneLoad{}, err
	}
	if l.port, err = portOf(s.URL); err != nil {
		return zoneLoad{}, err
	}
	if l.rate <= 0 {
		l.rate = BaseRate(s.ScalingTarget, s.MinuteSeconds, before.Total())
	}
	return l, nil
}

// budgetedLoad is readZoneLoad with the failure budget stated before the
// load: it sets *rate to the load's rate and *budget to budgetOf's text,
// and logs it as the budget for what.
func (s *Stack) budgetedLoad(ctx context.Context, zone string, o Options, what string, rate *float64, budget *string, budgetOf func(zoneLoad) string) (zoneLoad, error) {
	l, err := s.readZoneLoad(ctx, zone, o)
	if err != nil {
		return l, err
	}
	*rate = l.rate
	*budget = budgetOf(l)
	s.logf("budget for %s, computed before the load: %s", what, *budget)
	return l, nil
}

// startFault starts the load (start), then notes the time and injects the
// fault; if the fault cannot be injected the load is stopped again. It
// returns the load and when the fault was asked for.
func (l zoneLoad) startFault(ctx context.Context, s *Stack, sb *sandbox.Client, name string, o Options, inject func(context.Context) error) (*zoneSoak, time.Time, error) {
	p, err := l.start(ctx, s, sb, name, o)
	if err != nil {
		return nil, time.Time{}, err
	}
	asked := time.Now()
	if err := inject(ctx); err != nil {
		p.stopIfRunning()
		return nil, time.Time{}, err
	}
	return p, asked, nil
}

// start sends the load through the load balancer's per-zone nodes, the
// DNS name resolved per connection as a client does, and lets it run
// o.Settle before the scenario goes on.
func (l zoneLoad) start(ctx context.Context, s *Stack, sb *sandbox.Client, name string, o Options) (*zoneSoak, error) {
	p, err := soak.Start(ctx, soak.Options{Name: name, URL: "http://" + net.JoinHostPort(l.dns, l.port) + "/fruits",
		Resolve: sb.Resolve, Timeout: o.ClientTimeout, Concurrency: o.Concurrency, Rate: l.rate, Drain: o.Drain})
	if err != nil {
		return nil, err
	}
	if err := sleepUntil(ctx, p.Started().Add(o.Settle)); err != nil {
		_, _ = p.Stop()
		return nil, err
	}
	return &zoneSoak{Phase: p, s: s}, nil
}

// zoneSoak is a scenario's load, stopped once: finish stops it at the
// scenario's end; stopIfRunning, deferred, stops it when the scenario
// returns before finish.
type zoneSoak struct {
	*soak.Phase
	s       *Stack
	stopped bool
}

// stopIfRunning stops the load unless finish already has.
func (z *zoneSoak) stopIfRunning() {
	if !z.stopped {
		_, _ = z.Stop()
	}
}

// finish lets the load run for d more, then stops it, checks every
// request is accounted for and logs the soak's summary.
func (z *zoneSoak) finish(ctx context.Context, d time.Duration) (*soak.Result, error) {
	if err := sleepUntil(ctx, time.Now().Add(d)); err != nil {
		return nil, err
	}
	z.stopped = true
	out, err := z.Stop()
	if err != nil {
		return nil, err
	}
	if err := out.Accounted(); err != nil {
		return nil, err
	}
	z.s.logf("%s", out.Summary())
	return out, nil
}
