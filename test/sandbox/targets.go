package sandbox

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
)

// loadBalancer is an ALB served by HAProxy: each listener on its own
// loopback port, stable for the load balancer's life.
type loadBalancer struct {
	arn, name, dns string
	ports          map[string]int // listener ARN -> local port
}

// syncTargetGroups keeps target-group membership following the ASGs (moto
// leaves terminated instances registered) and the sandbox's health records
// following membership: new targets start initial, deregistered ones drain.
func (s *Sandbox) syncTargetGroups(ctx context.Context, obs *observed) {
	want := map[string]map[string]bool{} // TG -> instances its ASGs run
	for _, g := range obs.groups {
		for _, arn := range g.TargetGroupARNs {
			if want[arn] == nil {
				want[arn] = map[string]bool{}
			}
			for _, i := range g.Instances {
				if live(i) {
					want[arn][aws.ToString(i.InstanceId)] = true
				}
			}
		}
	}
	now := time.Now()
	present := map[string]bool{}
	for _, t := range obs.tgs {
		arn := aws.ToString(t.TargetGroupArn)
		present[arn] = true
		registered := map[string]int32{}
		var stale []elbtypes.TargetDescription
		s.mu.Lock()
		for _, m := range obs.members[arn] {
			id := aws.ToString(m.Target.Id)
			if in := s.instances[id]; in != nil && !in.goneSince.IsZero() {
				stale = append(stale, elbtypes.TargetDescription{Id: m.Target.Id, Port: m.Target.Port})
				continue
			}
			registered[id] = aws.ToInt32(m.Target.Port)
		}
		s.mu.Unlock()
		var missing []elbtypes.TargetDescription
		for id := range want[arn] {
			if _, ok := registered[id]; !ok {
				missing = append(missing, elbtypes.TargetDescription{Id: aws.String(id), Port: t.Port})
				registered[id] = aws.ToInt32(t.Port)
			}
		}
		if len(stale) > 0 {
			if _, err := s.aws.elb.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: t.TargetGroupArn, Targets: stale}); err != nil {
				s.logf("deregister terminated targets: %v", err)
			}
		}
		if len(missing) > 0 {
			if _, err := s.aws.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: t.TargetGroupArn, Targets: missing}); err != nil {
				s.logf("register ASG instances: %v", err)
			}
		}

		s.mu.Lock()
		tg := s.tgs[arn]
		if tg == nil {
			tg = &targetGroup{arn: arn, name: aws.ToString(t.TargetGroupName), targets: map[string]*target{}}
			s.tgs[arn] = tg
		}
		tg.port, tg.lbARNs = aws.ToInt32(t.Port), t.LoadBalancerArns
		tg.hc = healthCheck{path: aws.ToString(t.HealthCheckPath), port: aws.ToString(t.HealthCheckPort),
			interval: seconds(t.HealthCheckIntervalSeconds, 30), timeout: seconds(t.HealthCheckTimeoutSeconds, 5),
			healthy: int(aws.ToInt32(t.HealthyThresholdCount)), unhealthy: int(aws.ToInt32(t.UnhealthyThresholdCount))}
		if t.Matcher != nil {
			tg.hc.matcher = aws.ToString(t.Matcher.HttpCode)
		}
		if tg.hc.path == "" {
			tg.hc.path = "/"
		}
		tg.hc.healthy, tg.hc.unhealthy = max(tg.hc.healthy, 1), max(tg.hc.unhealthy, 1)
		tg.deregDelay = 300 * time.Second
		if v, err := strconv.Atoi(obs.tgAttrs[arn]["deregistration_delay.timeout_seconds"]); err == nil {
			tg.deregDelay = time.Duration(v) * time.Second
		}
		tg.failOpen = failOpenOf(obs.tgAttrs[arn])
		for id, port := range registered {
			key := targetKey(id, port)
			if tg.targets[key] == nil {
				stop := make(chan struct{})
				tt := &target{id: id, port: port, state: "initial", reason: "Elb.RegistrationInProgress", desc: "Target registration is in progress", stop: stop}
				tt.view = targetView{state: tt.state, reason: tt.reason, desc: tt.desc}
				tg.targets[key] = tt
				s.bg.Add(1)
				go func() { defer s.bg.Done(); s.probe(tg, tt, stop) }()
			}
		}
		for key, tt := range tg.targets {
			if _, ok := registered[tt.id]; ok && tt.state != "draining" {
				continue
			}
			switch {
			case tt.state != "draining":
				tt.state, tt.reason, tt.desc = "draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"
				tt.drainUntil = now.Add(s.emu(tg.deregDelay))
			case now.After(tt.drainUntil):
				tt.stopProbe()
				delete(tg.targets, key)
				e := Event{At: now, Kind: EventTarget, Target: tt.id, TargetGroup: tg.name}
				if in := s.instances[tt.id]; in != nil {
					e.Zone = in.az
				}
				s.record(e) // left the target group: State ""
			}
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for arn, tg := range s.tgs {
		if !present[arn] {
			tg.stopProbes()
			delete(s.tgs, arn)
		}
	}
	// A terminated instance's process stops once no target group still drains it.
	for id, in := range s.instances {
		if in.goneSince.IsZero() {
			continue
		}
		busy := false
		for _, tg := range s.tgs {
			for _, t := range tg.targets {
				busy = busy || t.id == id
			}
		}
		if !busy || now.Sub(in.goneSince) > 10*time.Minute {
			delete(s.instances, id)
			s.bg.Add(1)
			go func() { defer s.bg.Done(); in.terminate(10 * time.Second) }()
		}
	}
}

func seconds(v *int32, def int32) time.Duration {
	if v == nil || *v == 0 {
		return time.Duration(def) * time.Second
	}
	return time.Duration(*v) * time.Second
}

func shortName(prefix, arn string) string {
	h := sha1.Sum([]byte(arn))
	return prefix + hex.EncodeToString(h[:6])
}

var serverNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// syncHAProxy renders listeners and target groups as HAProxy configuration
// (reloading only when it changed) and pushes targets through the runtime API.
func (s *Sandbox) syncHAProxy(ctx context.Context, obs *observed) error {
	var b strings.Builder
	b.WriteString(s.hap.base)
	s.mu.Lock()
	present := map[string]bool{}
	for _, l := range obs.lbs {
		arn := aws.ToString(l.LoadBalancerArn)
		present[arn] = true
		lb := s.lbs[arn]
		if lb == nil {
			lb = &loadBalancer{arn: arn, name: aws.ToString(l.LoadBalancerName), dns: aws.ToString(l.DNSName), ports: map[string]int{}}
			s.lbs[arn] = lb
		}
		ls := obs.listeners[arn]
		sort.Slice(ls, func(i, j int) bool { return aws.ToInt32(ls[i].Port) < aws.ToInt32(ls[j].Port) })
		for _, li := range ls {
			larn := aws.ToString(li.ListenerArn)
			if lb.ports[larn] == 0 {
				p, err := motoserver.FreePort()
				if err != nil {
					s.mu.Unlock()
					return err
				}
				lb.ports[larn] = p
			}
			fmt.Fprintf(&b, "frontend %s\n  bind 127.0.0.1:%d\n  option forwardfor\n", shortName("l_", larn), lb.ports[larn])
			writeActions(&b, li.DefaultActions)
		}
	}
	for arn := range s.lbs {
		if !present[arn] {
			delete(s.lbs, arn)
		}
	}
	// An ALB's timeouts, in emulated time like the health checks: it gives
	// up connecting to a target after 10 s and answers 504 when a target
	// sends nothing for the load balancer's idle timeout (60 s by default);
	// HAProxy answers 503 and 504 for those. Like an ALB it neither retries
	// a request on another target (no redispatch) nor marks a target down
	// from failed requests (no observe): only health checks take a target
	// out, so a request sent to a zone that just went down waits for the
	// idle timeout, as it would on AWS, not for HAProxy's 60 real seconds.
	connect, idle := s.LoadBalancerTimeouts()
	// The target group's checks (the sandbox's prober, health.go) are the
	// one source of truth: HAProxy runs no checks of its own and sends to
	// exactly the servers pushServers marks ready.
	for _, tg := range s.tgs {
		fmt.Fprintf(&b, "backend %s\n  balance roundrobin\n  timeout connect %dms\n  timeout server %dms\n",
			shortName("tg_", tg.arn), connect.Milliseconds(), idle.Milliseconds())
	}
	s.mu.Unlock()
	if err := s.hap.apply(ctx, b.String()); err != nil {
		return err
	}
	s.pushServers()
	return nil
}

// pushServers tells HAProxy which targets to send to, which to drain, and
// which to drop, then publishes exactly the states it pushed. Pushes are
// serialised so the published view never goes backwards.
//
// A target gets traffic when its checks say healthy. As on AWS, a target
// group with too few healthy targets fails open: the load balancer routes
// to the unhealthy ones too (failopen.go).
func (s *Sandbox) pushServers() {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	wants := map[string]map[string]server{}
	pushed := map[*target]targetView{}
	where := map[*target]Event{} // target group and zone, for the record
	shifted := s.shiftedZones()
	s.mu.Lock()
	for _, tg := range s.tgs {
		backend := shortName("tg_", tg.arn)
		if !s.hap.has(backend) {
			continue
		}
		failOpen := tg.failOpen.open(tg.targets)
		want := map[string]server{}
		for _, t := range tg.targets {
			in := s.instances[t.id]
			if in == nil {
				where[t] = Event{TargetGroup: tg.name}
				pushed[t] = targetView{state: t.state, reason: t.reason, desc: t.desc, checked: t.checked}
				continue
			}
			where[t] = Event{TargetGroup: tg.name, Zone: in.az}
			name := serverNameUnsafe.ReplaceAllString(fmt.Sprintf("%s_%d", t.id, t.port), "_")
			ready := t.state == "healthy" || (failOpen && t.state == "unhealthy")
			// A zonal shift: no new request to the zone's targets; HAProxy's
			// drain state lets the requests in flight finish.
			if awayFrom(shifted, tg.lbARNs, in.az) {
				ready = false
			}
			pushed[t] = targetView{state: t.state, reason: t.reason, desc: t.desc, checked: t.checked, served: ready}
			want[name] = server{addr: fmt.Sprintf("127.0.0.1:%d", in.nic.port), ready: ready}
		}
		wants[backend] = want
	}
	s.mu.Unlock()
	for backend, want := range wants {
		for _, err := range s.hap.syncServers(backend, want) {
			s.logf("%v", err)
		}
	}
	// From here the load balancer acts on the new states: record changes.
	now := time.Now()
	var changes []Event
	s.mu.Lock()
	for t, v := range pushed {
		if v.state != t.view.state {
			e := where[t]
			e.At, e.Kind, e.Target, e.State, e.Reason = now, EventTarget, t.id, v.state, v.reason
			if !t.decided.IsZero() && v.state != "draining" {
				d, due := t.decided, t.due
				e.Decided, e.Due, e.ScheduleSlip = &d, &due, t.decidedSlip
			}
			changes = append(changes, e)
		}
		t.view = v
	}
	s.mu.Unlock()
	sort.Slice(changes, func(i, j int) bool { return changes[i].Target < changes[j].Target })
	for _, e := range changes {
		s.record(e)
	}
}

// writeActions turns a listener's default actions into HAProxy rules.
func writeActions(b *strings.Builder, actions []elbtypes.Action) {
	sort.Slice(actions, func(i, j int) bool { return aws.ToInt32(actions[i].Order) < aws.ToInt32(actions[j].Order) })
	for _, a := range actions {
		switch a.Type {
		case elbtypes.ActionTypeEnumForward:
			arn := aws.ToString(a.TargetGroupArn)
			if arn == "" && a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
				arn = aws.ToString(a.ForwardConfig.TargetGroups[0].TargetGroupArn)
			}
			fmt.Fprintf(b, "  default_backend %s\n", shortName("tg_", arn))
			return
		case elbtypes.ActionTypeEnumFixedResponse:
			if c := a.FixedResponseConfig; c != nil {
				fmt.Fprintf(b, "  http-request return status %s content-type %q string %q\n", aws.ToString(c.StatusCode),
					firstNonEmpty(aws.ToString(c.ContentType), "text/plain"), aws.ToString(c.MessageBody))
				return
			}
		case elbtypes.ActionTypeEnumRedirect:
			if c := a.RedirectConfig; c != nil {
				code := strings.TrimPrefix(string(c.StatusCode), "HTTP_")
				fmt.Fprintf(b, "  http-request redirect scheme %s code %s\n", strings.ToLower(firstNonEmpty(aws.ToString(c.Protocol), "https")), code)
				return
			}
		}
	}
	b.WriteString("  http-request return status 503\n")
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
