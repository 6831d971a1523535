package sandbox_test

// Zone power loss: what the load balancer, the groups and requests under
// way see when a zone goes down, and when it comes back.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestZoneDownAndUp: a zone's instances stop answering (health checks time
// out), the load balancer serves from the other zone, an instance launched
// there meanwhile never becomes healthy, and all recover when it comes back.
func TestZoneDownAndUp(t *testing.T) {
	sb, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "zones", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1, maxPerZone: 2})
	s.waitHealthy(2)
	url := s.url()
	down := s.instances("us-east-1b")[0]
	addr, pid := instanceAddr(t, sb, down)
	// Before the outage: one connection kept alive after a full exchange,
	// and one with a request half sent.
	kept := dialApp(t, addr)
	if line := exchange(t, kept, "GET /health HTTP/1.1\r\nHost: app\r\n\r\n", 10*time.Second); !strings.Contains(line, " 200 ") {
		t.Fatalf("before the outage: %q", line)
	}
	inFlight := dialApp(t, addr)
	if _, err := io.WriteString(inFlight, "GET /health HTTP/1.1\r\nHost: app\r\n"); err != nil {
		t.Fatal(err)
	}
	s.fail(sandbox.Failure{Kind: "zone", Zone: "us-east-1b", Down: true})
	// A power loss: the app stops dead, and neither the request in flight nor
	// a new one on the kept-alive connection is ever answered (the load
	// balancer gives up after its idle timeout).
	// SIGSTOP takes effect when the process is next scheduled.
	env.Until(t, "the zone's app process to stop", 10*time.Second, func() (bool, string) {
		st := procState(pid)
		return st == "T", fmt.Sprintf("process %d in state %q, want stopped (T)", pid, st)
	})
	_, idle := sb.LoadBalancerTimeouts()
	if line := exchange(t, inFlight, "\r\n", idle); line != "" {
		t.Errorf("a request in flight in a zone without power was answered: %q", line)
	}
	if line := exchange(t, kept, "GET /health HTTP/1.1\r\nHost: app\r\n\r\n", idle); line != "" {
		t.Errorf("a kept-alive connection into a zone without power was answered: %q", line)
	}
	env.Until(t, "the zone's target to time out", 30*time.Second, func() (bool, string) {
		h := s.health()
		return h[down].State == elbtypes.TargetHealthStateEnumUnhealthy && h[down].Reason == "Target.Timeout", describeHealth(h)
	})
	for i := 0; i < 5; i++ {
		if st, served, err := get(url + "/fruits"); err != nil || st != 200 || served == down {
			t.Fatalf("with a zone down: %d from %s (%v)", st, served, err)
		}
	}
	s.setDesired(s.groups["us-east-1b"], 2)
	var launched string
	env.Until(t, "an instance launched in the down zone to fail its checks", 30*time.Second, func() (bool, string) {
		h := s.health()
		for _, id := range s.instances("us-east-1b") {
			if id != down && h[id].State == elbtypes.TargetHealthStateEnumUnhealthy {
				launched = id
			}
		}
		return launched != "", describeHealth(h)
	})
	s.fail(sandbox.Failure{Kind: "zone", Zone: "us-east-1b", Down: false})
	s.waitHealthy(3)
	if st := procState(pid); st == "T" {
		t.Errorf("the zone's app process %d is still stopped after the zone came back", pid)
	}
}

// instanceAddr is an instance's address (as its private IP would be) and
// its app's PID, from the admin API.
func instanceAddr(t *testing.T, sb *sandbox.Sandbox, id string) (string, int) {
	t.Helper()
	st, err := sb.Client().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range st.Instances {
		if in.ID == id {
			return strings.TrimPrefix(in.URL, "http://"), in.PID
		}
	}
	t.Fatalf("no instance %s in the sandbox's state", id)
	return "", 0
}

func dialApp(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// exchange writes req and returns the status line read back within wait,
// or "" when nothing came (a timeout).
func exchange(t *testing.T, c net.Conn, req string, wait time.Duration) string {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if n == 0 {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return ""
		}
		t.Fatalf("reading from the app: %v", err)
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return line
}

// procState is the state letter of a process (R, S, T for stopped...).
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// TestZoneLossDetectedOnSchedule: a check goes out every interval whether
// or not the one before has answered (as on AWS), so a target that lost
// power leaves the load balancer within UnhealthyThresholdCount × interval
// + timeout, and no sooner than its threshold of intervals. With checks
// run one after another, as before, the sandbox's 2 s timeout floor
// stretched that to threshold × (interval + timeout). The event log says
// when the zone lost power and when its target left service, and when the
// check that decided it was due on the schedule: the test holds that
// schedule to the formula, and reports (never bounds) how late a busy
// machine ran the check's timeout and the load balancer's reaction.
func TestZoneLossDetectedOnSchedule(t *testing.T) {
	ctx := context.Background()
	const unhealthy = 5
	sb, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "detect", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1, unhealthy: unhealthy})
	s.waitHealthy(2)
	down := s.instances("us-east-1b")[0]
	s.fail(sandbox.Failure{Kind: "zone", Zone: "us-east-1b", Down: true})
	var lost, out sandbox.Event
	env.Until(t, "the zone's target to leave service", 60*time.Second, func() (bool, string) {
		evs, err := sb.Client().Events(ctx)
		if err != nil {
			return false, err.Error()
		}
		var ok1, ok2 bool
		lost, ok1 = sandbox.LastEvent(evs, sandbox.EventZoneDown, func(e sandbox.Event) bool { return e.Zone == "us-east-1b" })
		// After the power loss: a target can fail a check at boot, under
		// load, before it was ever healthy.
		out, ok2 = sandbox.LastEvent(evs, sandbox.EventTarget, func(e sandbox.Event) bool {
			return e.Target == down && e.State == "unhealthy" && !e.At.Before(lost.At)
		})
		return ok1 && ok2, fmt.Sprintf("%+v", evs)
	})
	if len(lost.IDs) != 1 || lost.IDs[0] != down {
		t.Errorf("the zone-down event names instances %v, want [%s]", lost.IDs, down)
	}
	if out.Reason != "Target.Timeout" || out.Zone != "us-east-1b" {
		t.Errorf("the target left service with %+v, want reason Target.Timeout in us-east-1b", out)
	}
	interval, timeout := sb.HealthCheckTiming(hcInterval*time.Second, hcTimeout*time.Second)
	if out.Due == nil || out.Decided == nil {
		t.Fatalf("the target's event does not say which check decided it: %+v", out)
	}
	due, decided := *out.Due, *out.Decided
	// The schedule: the threshold-th failed check went out within threshold
	// intervals of the power loss (a check due after the loss fails, so the
	// first failed one is due within an interval of it), plus whatever the
	// sandbox reports its schedule slipped. Order: the check timed out no
	// sooner than its timeout, and the load balancer acted after the result.
	if late, most := due.Sub(lost.At), unhealthy*interval+out.ScheduleSlip; late > most {
		t.Errorf("the deciding check was due %s after the power loss, want at most threshold %d × interval %s (+ schedule slip %s) = %s",
			late, unhealthy, interval, out.ScheduleSlip, most)
	}
	if decided.Before(due.Add(timeout)) || out.At.Before(decided) {
		t.Errorf("due %s, decided %s, acted %s: a check times out no sooner than its timeout %s, and the load balancer acts after the result",
			due.Format("05.000"), decided.Format("05.000"), out.At.Format("05.000"), timeout)
	}
	// No sooner than threshold intervals: load only makes this later.
	took := out.At.Sub(lost.At)
	if least := (unhealthy - 1) * interval; took < least {
		t.Errorf("the load balancer stopped sending to the dead target %s after the power loss, sooner than (threshold %d - 1) × interval %s = %s",
			took, unhealthy, interval, least)
	}
	t.Logf("detected after %s (formula: %s); measured slack: the check's timeout fired %s late, the load balancer acted %s after the result, schedule slip %s",
		took.Round(time.Millisecond), unhealthy*interval+timeout, decided.Sub(due.Add(timeout)).Round(time.Millisecond),
		out.At.Sub(decided).Round(time.Millisecond), out.ScheduleSlip)
	if h := s.health()[down]; h.State != elbtypes.TargetHealthStateEnumUnhealthy {
		t.Errorf("DescribeTargetHealth says %s for %s, the event log unhealthy", h.State, down)
	}
	s.fail(sandbox.Failure{Kind: "zone", Zone: "us-east-1b", Down: false})
	s.waitHealthy(2)
	evs := sb.Events()
	if _, ok := sandbox.LastEvent(evs, sandbox.EventZoneUp, nil); !ok {
		t.Errorf("no zone-up event: %+v", evs)
	}
	if e, _ := sandbox.LastEvent(evs, sandbox.EventTarget, func(e sandbox.Event) bool { return e.Target == down }); e.State != "healthy" {
		t.Errorf("the target's last event is %+v, want healthy again", e)
	}
}

// TestZoneOutageHangsRequestsThroughTheLoadBalancer: a zone's power loss
// neither answers nor resets what was under way there. Each client first
// completes a request on a kept-alive connection to the load balancer;
// then every client starts a POST whose body is only half sent; the zone
// loses power; the rest of the bodies follow. The requests the load
// balancer gave to the dead zone's target get its 504 once its idle
// timeout has passed, never sooner and never a reset; the others are
// served.
//
// The split is arranged, not assumed: the POSTs are the load balancer's
// only requests in a row, so its round robin over the two healthy targets
// gives each exactly half of them. (Interleaving each client's GET and
// POST gave every POST to the same target whenever the round robin
// started on the other one: all six answers from us-east-1a.)
func TestZoneOutageHangsRequestsThroughTheLoadBalancer(t *testing.T) {
	sb, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "hang", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1})
	s.waitHealthy(2)
	addr := strings.TrimPrefix(s.url(), "http://")
	const clients = 6
	body := `{"name":"kiwi"}`
	conns := make([]net.Conn, clients)
	readers := make([]*bufio.Reader, clients)
	for i := range conns {
		c := dialApp(t, addr)
		conns[i], readers[i] = c, bufio.NewReader(c)
		if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: lb\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(readers[i], nil)
		if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("before the outage: %v %v", resp, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	head := fmt.Sprintf("POST /fruits HTTP/1.1\r\nHost: lb\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	for _, c := range conns {
		if _, err := io.WriteString(c, head+body[:5]); err != nil {
			t.Fatal(err)
		}
	}
	s.fail(sandbox.Failure{Kind: "zone", Zone: "us-east-1b", Down: true})
	lostAt := time.Now()
	_, idle := sb.LoadBalancerTimeouts()
	type answer struct {
		status int
		zone   string
		took   time.Duration
		err    error
	}
	answers := make([]answer, clients)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := io.WriteString(c, body[5:]); err != nil {
				answers[i].err = err
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(idle + 30*time.Second))
			resp, err := http.ReadResponse(readers[i], nil)
			answers[i].took = time.Since(lostAt)
			if err != nil {
				answers[i].err = err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			answers[i].status, answers[i].zone = resp.StatusCode, resp.Header.Get("X-Availability-Zone")
		}()
	}
	wg.Wait()
	hung := 0
	for i, a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("client %d: %v after %s: the outage must not reset or close a connection before the load balancer's idle timeout", i, a.err, a.took)
		case a.status == http.StatusGatewayTimeout:
			hung++
			if a.took < idle {
				t.Errorf("client %d: 504 after %s, sooner than the idle timeout %s: the request did not hang", i, a.took, idle)
			}
		case a.status == http.StatusCreated && a.zone == "us-east-1a":
		default:
			t.Errorf("client %d: %d from zone %q after %s, want 201 from us-east-1a or the load balancer's 504", i, a.status, a.zone, a.took)
		}
	}
	if hung != clients/2 {
		t.Fatalf("%d of %d requests were caught in the dead zone (answers %+v): six requests in a row, round robin over two targets, give it exactly half", hung, clients, answers)
	}
	t.Logf("%d of %d requests hung until the %s idle timeout", hung, clients, idle)
}
