package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestUnhealthyInstanceReplaced: with ELB health checks, an instance whose
// app died is marked Unhealthy after the grace period and replaced; the old
// one leaves the target group and its process is gone; the activity says why.
func TestUnhealthyInstanceReplaced(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	s := newStack(t, sb, stackSpec{name: "replace", zones: []string{"us-east-1a"}, perZone: 1, healthCheckType: "ELB", grace: 60, deregDelay: 5})
	old := s.waitHealthy(1)[0]
	st, err := sb.Client().State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var oldPID int
	for _, in := range st.Instances {
		if in.ID == old {
			oldPID = in.PID
		}
	}
	if err := sb.Client().Fail(ctx, sandbox.Failure{Kind: "instance", ID: old}); err != nil {
		t.Fatal(err)
	}
	var fresh string
	env.Until(t, "a healthy replacement", 60*time.Second, func() (bool, string) {
		h := s.health()
		for id, th := range h {
			if id != old && th.State == elbtypes.TargetHealthStateEnumHealthy {
				fresh = id
			}
		}
		_, stillThere := h[old]
		return fresh != "" && !stillThere, describeHealth(h)
	})
	if ids := s.instances("us-east-1a"); len(ids) != 1 || ids[0] != fresh {
		t.Fatalf("the group should hold only the replacement %s, has %v", fresh, ids)
	}
	env.Until(t, "the replaced instance's process to end", 30*time.Second, func() (bool, string) {
		return !alive(oldPID), "still alive"
	})
	acts, err := s.asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(s.groups["us-east-1a"])})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range acts.Activities {
		found = found || (strings.Contains(aws.ToString(a.Cause), "ELB system health check failure") && strings.Contains(aws.ToString(a.Description), old))
	}
	if !found {
		t.Fatalf("no scaling activity explains the replacement of %s: %d activities", old, len(acts.Activities))
	}
}

// TestZoneDownAndUp: a zone's instances stop answering (health checks time
// out), the load balancer serves from the other zone, an instance launched
// there meanwhile never becomes healthy, and all recover when it comes back.
func TestZoneDownAndUp(t *testing.T) {
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	s := newStack(t, sb, stackSpec{name: "zones", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1, maxPerZone: 2})
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
	if err := sb.Client().Fail(ctx, sandbox.Failure{Kind: "zone", Zone: "us-east-1b", Down: true}); err != nil {
		t.Fatal(err)
	}
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
	if _, err := s.asg.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(s.groups["us-east-1b"]), DesiredCapacity: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
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
	if err := sb.Client().Fail(ctx, sandbox.Failure{Kind: "zone", Zone: "us-east-1b", Down: false}); err != nil {
		t.Fatal(err)
	}
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
