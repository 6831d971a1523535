package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// targetGroup is the sandbox's view of one target group: moto's settings and
// the real health of each target, as AWS reports it.
type targetGroup struct {
	arn, name  string
	port       int32
	hc         healthCheck
	deregDelay time.Duration // emulated
	lbARNs     []string
	targets    map[string]*target // "id:port"
	requests   int64              // HAProxy sessions seen so far, for RequestCountPerTarget
	failOpen   failOpen
}

type healthCheck struct {
	path, matcher, port string
	interval, timeout   time.Duration // emulated
	healthy, unhealthy  int
}

// target follows AWS's state machine: initial until HealthyThreshold passes
// (or UnhealthyThreshold failures), then healthy or unhealthy, and draining
// for the deregistration delay after it leaves the group.
type target struct {
	id                  string
	port                int32
	state, reason, desc string
	succ, fail          int
	checked             bool
	decided             time.Time // when the check result that set state came in
	// due is when the check whose result set state was due to go out, on
	// the probe's fixed schedule; slip is how far the schedule had moved
	// later (the process held up for more than an interval) since the
	// state before, and decidedSlip its value when state was set.
	due               time.Time
	slip, decidedSlip time.Duration
	drainUntil        time.Time
	stop              chan struct{}
	// view is what AWS APIs and the admin API report: the state last pushed
	// to HAProxy, so a caller never sees "unhealthy" while the load balancer
	// still sends to the target.
	view targetView
}

type targetView struct {
	state, reason, desc string
	checked             bool
	// served: the load balancer sends it new requests (healthy, or failing
	// open, and not in a zone a zonal shift moves traffic away from).
	served bool
}

func targetKey(id string, port int32) string { return fmt.Sprintf("%s:%d", id, port) }

func (tg *targetGroup) stopProbes() {
	for _, t := range tg.targets {
		t.stopProbe()
	}
}

func (t *target) stopProbe() {
	if t.stop != nil {
		close(t.stop)
		t.stop = nil
	}
}

// probe runs the target group's health check against one target until
// stopped. A check is sent every interval on a fixed schedule, whether or not
// the one before has answered: AWS sends each registered target a check
// every HealthCheckIntervalSeconds (ELB user guide, "Health checks for
// Application Load Balancer target groups"), and since it requires the
// timeout to be below the interval (CreateTargetGroup,
// HealthCheckTimeoutSeconds) a check never delays the next one. The
// sandbox's real-time timeout floor can exceed a compressed interval, so
// checks here may overlap; each result counts when it comes, and a target
// that stops answering is unhealthy at most UnhealthyThresholdCount ×
// interval + timeout after its last passed check (Sandbox.HealthCheckTiming).
func (s *Sandbox) probe(tg *targetGroup, t *target, stop chan struct{}) {
	// A new connection per check: the load balancer closes the check's
	// connection once it completes (same user guide page).
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	next := time.Now()
	for {
		s.mu.Lock()
		hc := tg.hc
		s.mu.Unlock()
		interval, timeout := s.HealthCheckTiming(hc.interval, hc.timeout)
		next = next.Add(interval)
		if time.Until(next) < -interval {
			next = time.Now() // this loop ran late: resume the schedule, do not send a burst
		}
		select {
		case <-stop:
			return
		case <-time.After(time.Until(next)):
		}
		if late := time.Since(next); late > interval {
			// The timer woke this loop more than an interval late: the
			// machine held the sandbox up. Resume the schedule and count
			// the slip (the event log reports it, so a test can tell a
			// busy machine from a slow detection). Only a late wake
			// counts: a loop late by its own doing (a check that blocked
			// it) is a detection that is really late.
			now := time.Now()
			s.mu.Lock()
			t.slip += now.Sub(next)
			s.mu.Unlock()
			next = now
		}
		s.mu.Lock()
		in := s.instances[t.id]
		s.mu.Unlock()
		var addr string
		if in != nil {
			addr = in.URL()
		}
		// The timeout counts from when the check was due, so a late
		// goroutine does not stretch the detection past the formula.
		go s.checkAndRecord(client, tg, t, stop, addr, hc, next, next.Add(timeout))
	}
}

// checkAndRecord performs one check, due at due, and counts its result.
func (s *Sandbox) checkAndRecord(client *http.Client, tg *targetGroup, t *target, stop chan struct{}, addr string, hc healthCheck, due, deadline time.Time) {
	ok, reason, desc, cause := s.check(client, addr, hc, deadline)
	s.mu.Lock()
	changed, failedNow := false, false
	if t.stop == stop {
		prev := t.state
		t.record(ok, reason, desc, hc)
		changed = t.state != prev || !t.view.checked
		if t.state != prev {
			t.decided, t.due, t.decidedSlip, t.slip = time.Now(), due, t.slip, 0
			failedNow = t.state == "unhealthy"
		}
	}
	s.mu.Unlock()
	if failedNow && cause != "" {
		// AWS's description is fixed text; the sandbox's log keeps what
		// the deciding check really met, for whoever reads a failed run.
		s.logf("target %s unhealthy (%s): the check due %s met %s", t.id, reason, due.Format("15:04:05.000"), cause)
	}
	if changed {
		s.pushServers()
	}
}

// check performs one health check and classifies a failure with AWS's
// reason code and description; cause is the error the check met, if any.
func (s *Sandbox) check(client *http.Client, addr string, hc healthCheck, deadline time.Time) (ok bool, reason, desc, cause string) {
	if addr == "" {
		return false, "Target.FailedHealthChecks", "Health checks failed", "no address for the instance"
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, addr+hc.path, nil)
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return false, "Target.Timeout", "Request timed out", err.Error()
		}
		return false, "Target.FailedHealthChecks", "Health checks failed", err.Error()
	}
	resp.Body.Close()
	if !matches(hc.matcher, resp.StatusCode) {
		return false, "Target.ResponseCodeMismatch", fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode), resp.Status
	}
	return true, "", "", ""
}

func (t *target) record(ok bool, reason, desc string, hc healthCheck) {
	if t.state == "draining" {
		return
	}
	t.checked = true
	if ok {
		t.succ, t.fail = t.succ+1, 0
		if t.succ >= hc.healthy {
			t.state, t.reason, t.desc = "healthy", "", ""
		}
	} else {
		t.succ, t.fail = 0, t.fail+1
		if t.fail >= hc.unhealthy || t.state == "unhealthy" {
			t.state, t.reason, t.desc = "unhealthy", reason, desc
		}
	}
	if t.state == "initial" {
		t.reason, t.desc = "Elb.InitialHealthChecking", "Initial health checking in progress"
	}
}

// matches reports whether code satisfies an ELB matcher such as "200",
// "200,202" or "200-299".
func matches(matcher string, code int) bool {
	if matcher == "" {
		matcher = "200"
	}
	for _, part := range strings.Split(matcher, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		l, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		h := l
		if isRange {
			if h, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		if code >= l && code <= h {
			return true
		}
	}
	return false
}

// describeTargetHealth answers with real health: membership from moto (so
// it is never stale), health from the sandbox's checks, plus the targets
// still draining after deregistration, which moto has already forgotten.
func (s *Sandbox) describeTargetHealth(w http.ResponseWriter, p url.Values) bool {
	ctx := context.Background()
	arn := p.Get("TargetGroupArn")
	in := &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)}
	ids, ports := members(p, "Targets", "Id"), map[string]string{}
	for i, id := range ids {
		in.Targets = append(in.Targets, elbtypes.TargetDescription{Id: aws.String(id)})
		if port := p.Get(fmt.Sprintf("Targets.member.%d.Port", i+1)); port != "" {
			ports[id] = port
		}
	}
	out, err := s.aws.elb.DescribeTargetHealth(ctx, in)
	if err != nil {
		replyError(w, http.StatusBadRequest, "TargetGroupNotFound", err.Error())
		return true
	}
	type row struct {
		id, state, reason, desc string
		port                    int32
	}
	var rows []row
	seen := map[string]bool{}
	s.mu.Lock()
	tg := s.tgs[arn]
	for _, d := range out.TargetHealthDescriptions {
		id, port := aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)
		r := row{id: id, port: port, state: "initial", reason: "Elb.RegistrationInProgress", desc: "Target registration is in progress"}
		if tg != nil {
			if t := tg.targets[targetKey(id, port)]; t != nil && (t.view.checked || t.view.state == "draining") {
				r.state, r.reason, r.desc = t.view.state, t.view.reason, t.view.desc
			}
			if len(tg.lbARNs) == 0 && r.state != "draining" {
				r.state, r.reason, r.desc = "unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"
			}
		}
		seen[targetKey(id, port)] = true
		rows = append(rows, r)
	}
	if tg != nil {
		for key, t := range tg.targets {
			wanted := len(ids) == 0
			for _, id := range ids {
				wanted = wanted || id == t.id
			}
			if t.view.state == "draining" && !seen[key] && wanted {
				rows = append(rows, row{id: t.id, port: t.port, state: t.view.state, reason: t.view.reason, desc: t.view.desc})
			}
		}
	}
	s.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	reply(w, nsELB, "DescribeTargetHealth", func(x *xw) {
		x.open("TargetHealthDescriptions")
		for _, r := range rows {
			x.open("member")
			x.elem("HealthCheckPort", strconv.Itoa(int(r.port)))
			x.open("Target")
			x.elem("Id", r.id)
			x.elem("Port", strconv.Itoa(int(r.port)))
			x.close("Target")
			x.open("TargetHealth")
			x.elem("State", r.state)
			x.optional("Reason", r.reason)
			x.optional("Description", r.desc)
			x.close("TargetHealth")
			x.close("member")
		}
		x.close("TargetHealthDescriptions")
	})
	return true
}
