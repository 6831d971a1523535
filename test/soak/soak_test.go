package soak

import (
	"context"
	"fmt"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faulty is a server the tests control: it counts what it received and
// answers per its rules, so the library's record can be checked against
// the server's own.
type faulty struct {
	received, ok, unavailable, resets, hangs atomic.Int64
	// rule picks what the n-th request (from 1) gets.
	rule    func(n int64) string // "ok", "503", "reset", "hang"
	release chan struct{}
}

func newFaulty(t *testing.T, rule func(int64) string) (*faulty, *httptest.Server) {
	t.Helper()
	f := &faulty{rule: rule, release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(f.release) }); srv.Close() })
	return f, srv
}

func (f *faulty) serve(w http.ResponseWriter, r *http.Request) {
	n := f.received.Add(1)
	switch f.rule(n) {
	case "503":
		f.unavailable.Add(1)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	case "reset":
		f.resets.Add(1)
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		reset(c)
	case "hang":
		f.hangs.Add(1)
		<-f.release
	default:
		f.ok.Add(1)
		w.Header().Set("X-Availability-Zone", "zone-a")
		_, _ = w.Write([]byte(`{"fruits":[]}`))
	}
}

func needAB(t *testing.T) {
	t.Helper()
	if _, err := FindAB(); err != nil {
		t.Fatal(err) // a missing prerequisite fails with what to install
	}
}

// Every request the server received is in the record, with the outcome the
// server gave it; the requests it still holds are in flight at the end; ab's
// own totals agree.
func TestEveryRequestAccountedFor(t *testing.T) {
	needAB(t)
	hangAt := map[int64]bool{20: true, 60: true, 100: true}
	f, srv := newFaulty(t, func(n int64) string {
		switch {
		case hangAt[n] || n > 160: // from 161 on, everything hangs: the record can settle
			return "hang"
		case n%10 == 3:
			return "503"
		case n%15 == 7:
			return "reset"
		}
		return "ok"
	})
	ctx := context.Background()
	p, err := Start(ctx, Options{Name: "faulty", URL: srv.URL + "/fruits", Concurrency: 12, Rate: 150})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the 157 requests that get an answer have it.
	env.Until(t, "157 answers", 60*time.Second, func() (bool, string) { pr := p.Progress(); return pr.OK+pr.Failed >= 157, fmt.Sprintf("%+v", pr) })
	r, err := p.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r.Summary())
	if err := r.Accounted(); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, q := range r.Requests {
		switch {
		case q.Outcome == OK:
			got["ok"]++
		case q.Reason == "HTTP 503":
			got["503"]++
		case q.Outcome == InFlight:
			got["in flight"]++
		case strings.HasPrefix(q.Reason, "receive: "):
			got["reset"]++
		default:
			t.Errorf("request %d failed for an unexpected reason %q", q.Seq, q.Reason)
		}
	}
	if int64(r.Sent) < f.received.Load() {
		t.Errorf("the server received %d requests, the record has %d", f.received.Load(), r.Sent)
	}
	if int64(got["ok"]) != f.ok.Load() || int64(got["503"]) != f.unavailable.Load() || int64(got["reset"]) != f.resets.Load() {
		t.Errorf("record %v; server: %d ok, %d 503, %d resets", got, f.ok.Load(), f.unavailable.Load(), f.resets.Load())
	}
	// In flight: every request but the 157 answered ones (the three hung
	// early, those from 161 on, and any still on the wire).
	if got["in flight"] != r.Sent-157 || r.InFlight != r.Sent-157 || got["in flight"] < 3 {
		t.Errorf("%d in flight (result says %d) of %d sent, want %d", got["in flight"], r.InFlight, r.Sent, r.Sent-157)
	}
	if r.AB == nil || r.AB.Non2xx != got["503"] {
		t.Errorf("ab counted %+v non-2xx, the record %d", r.AB, got["503"])
	}
	if r.AB.Exit != "" {
		t.Errorf("ab did not run to the interrupt: %s", r.AB.Exit)
	}
}

// Failures land in the timeline when the server was failing, and form one
// window.
func TestFailureTimeline(t *testing.T) {
	needAB(t)
	var failing atomic.Bool
	_, srv := newFaulty(t, func(int64) string {
		if failing.Load() {
			return "503"
		}
		return "ok"
	})
	// Drain: the requests still on the wire when the load stops are sent
	// after the outage and are answered; without it they would end the
	// phase in flight, counted as failures outside the outage.
	p, err := Start(context.Background(), Options{Name: "outage", URL: srv.URL + "/", Concurrency: 4, Rate: 100, Drain: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	env.Until(t, "50 successes", 60*time.Second, func() (bool, string) { pr := p.Progress(); return pr.OK >= 50, fmt.Sprintf("%+v", pr) })
	on := time.Now()
	failing.Store(true)
	env.Until(t, "50 failures", 60*time.Second, func() (bool, string) { pr := p.Progress(); return pr.Failed >= 50, fmt.Sprintf("%+v", pr) })
	failing.Store(false)
	off := time.Now()
	env.Until(t, "100 successes", 60*time.Second, func() (bool, string) { pr := p.Progress(); return pr.OK >= 100, fmt.Sprintf("%+v", pr) })
	r, err := p.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Accounted(); err != nil {
		t.Fatal(err)
	}
	if r.InFlight != 0 {
		t.Errorf("%d requests in flight at the end against a healthy server with a drain: %s", r.InFlight, r.Summary())
	}
	// The server decides on receipt, which is between a request's sending
	// and its end.
	for _, q := range r.Requests {
		if q.Outcome != OK && (q.Sent.After(off) || q.Ended.Before(on)) {
			t.Errorf("request %d failed (%s) but was sent at %s and ended at %s, outside the outage %s..%s",
				q.Seq, q.Reason, q.Sent.Format("05.000"), q.Ended.Format("05.000"), on.Format("05.000"), off.Format("05.000"))
		}
	}
	var sent, fails int
	for _, s := range r.Timeline() {
		sent, fails = sent+s.Sent, fails+s.Fail
		if s.Fail > 0 && (r.Start.Add(s.At+time.Second).Before(on) || r.Start.Add(s.At).After(off)) {
			t.Errorf("second %s has %d failures outside the outage", s.At, s.Fail)
		}
	}
	if sent != r.Sent || fails != r.Failed {
		t.Errorf("timeline totals %d sent, %d failed; result %d, %d", sent, fails, r.Sent, r.Failed)
	}
	w := r.FailureWindows(time.Second)
	if len(w) != 1 || w[0].Failed != r.Failed || w[0].Reasons["HTTP 503"] != r.Failed {
		t.Errorf("failure windows %+v, want one holding all %d failures", w, r.Failed)
	}
}

// The pacer holds ab to the rate: at most one request per 1/rate after the
// first.
func TestRateIsCapped(t *testing.T) {
	// Drain: a request still in flight when the phase ends counts as failed
	// unless it may finish.
	needAB(t)
	_, srv := newFaulty(t, func(int64) string { return "ok" })
	r, err := Run(context.Background(), Options{URL: srv.URL + "/", Concurrency: 8, Rate: 40, Drain: time.Second}, 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if limit := 1 + int(40*r.Duration().Seconds()); r.Sent > limit || r.Sent == 0 {
		t.Errorf("%d sent in %s at 40/s: want 1..%d", r.Sent, r.Duration(), limit)
	}
	if r.Failed != 0 {
		t.Errorf("failures against a healthy server: %s", r.Summary())
	}
}

func TestMissingABSaysHowToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(context.Background(), Options{URL: "http://127.0.0.1:1/"})
	if err == nil || !strings.Contains(err.Error(), "apt-get install apache2-utils") {
		t.Fatalf("Start without ab: %v", err)
	}
}

func TestOnlyHTTPURLs(t *testing.T) {
	needAB(t)
	if _, err := Start(context.Background(), Options{URL: "https://example.invalid/"}); err == nil || !strings.Contains(err.Error(), "only http://") {
		t.Fatalf("https URL: %v", err)
	}
}

// A server that is not there: every request fails to connect, none is lost.
func TestConnectFailures(t *testing.T) {
	needAB(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r, err := Run(context.Background(), Options{URL: "http://" + addr + "/", Concurrency: 2, Rate: 50}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Accounted(); err != nil {
		t.Fatal(err)
	}
	if r.Sent == 0 || r.OK != 0 || r.Reasons["connect: connection refused"] != r.Failed-r.InFlight {
		t.Errorf("against a closed port: %s", r.Summary())
	}
}

// Stop with a Drain lets the requests already sent finish: against a slow
// but healthy server nothing is in flight at the end and nothing failed;
// without it, the requests the server was still answering are in flight
// (and counted as failed).
func TestDrainLetsSentRequestsFinish(t *testing.T) {
	needAB(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(400 * time.Millisecond):
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	for _, drain := range []time.Duration{0, 5 * time.Second} {
		r, err := Run(context.Background(), Options{URL: srv.URL + "/", Concurrency: 2, Rate: 20, Drain: drain}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.Sent == 0:
			t.Errorf("drain %s: nothing sent", drain)
		case drain > 0 && (r.InFlight != 0 || r.Failed != 0 || r.OK != r.Sent):
			t.Errorf("drain %s: want every sent request answered: %s", drain, r.Summary())
		case drain == 0 && r.InFlight == 0:
			t.Errorf("drain 0: want the requests the server was still answering in flight: %s", r.Summary())
		}
	}
}

// With a resolver, each new connection resolves the host anew and goes to
// the first answer: answers that rotate over two servers spread the
// connections over both, and each request records the address it went to.
func TestResolvePerConnection(t *testing.T) {
	needAB(t)
	a, srvA := newFaulty(t, func(int64) string { return "ok" })
	b, srvB := newFaulty(t, func(int64) string { return "ok" })
	hostA, port, _ := net.SplitHostPort(strings.TrimPrefix(srvA.URL, "http://"))
	_, portB, _ := net.SplitHostPort(strings.TrimPrefix(srvB.URL, "http://"))
	// Both servers share one port on two loopback addresses, as a load
	// balancer's nodes do: B moves to hostA's port on 127.0.0.2.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.2", port))
	if err != nil {
		t.Skipf("a second loopback address on port %s: %v", port, err)
	}
	relay := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get("http://127.0.0.1:" + portB + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})}
	go func() { _ = relay.Serve(ln) }()
	t.Cleanup(func() { relay.Close() })
	var turn atomic.Int64
	resolve := func(_ context.Context, host string) ([]string, error) {
		if host != "lb.example" {
			return nil, fmt.Errorf("unknown host %s", host)
		}
		if turn.Add(1)%2 == 0 {
			return []string{"127.0.0.2", hostA}, nil
		}
		return []string{hostA, "127.0.0.2"}, nil
	}
	r, err := Run(context.Background(), Options{URL: "http://lb.example:" + port + "/", Resolve: resolve, Concurrency: 2, Rate: 60, Drain: time.Second}, 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Accounted(); err != nil {
		t.Fatal(err)
	}
	nodes := map[string]int{}
	for _, q := range r.Requests {
		nodes[q.Node]++
	}
	if r.Failed != 0 || a.ok.Load() == 0 || b.ok.Load() == 0 || nodes[net.JoinHostPort(hostA, port)] == 0 || nodes[net.JoinHostPort("127.0.0.2", port)] == 0 || nodes[""] != 0 {
		t.Errorf("%s; server A answered %d, B %d; requests per node %v: want both, every request's node recorded", r.Summary(), a.ok.Load(), b.ok.Load(), nodes)
	}
}

// A request timeout frees the slot a hung request holds: with every other
// request held for ever and ab's two slots, the load still goes on, the
// held ones fail as timeouts and the others are answered. Without it both
// slots hang after the first few requests.
func TestTimeoutFreesHeldRequests(t *testing.T) {
	needAB(t)
	f, srv := newFaulty(t, func(n int64) string {
		if n%2 == 0 {
			return "hang"
		}
		return "ok"
	})
	r, err := Run(context.Background(), Options{URL: srv.URL + "/", Concurrency: 2, Rate: 40, Timeout: 200 * time.Millisecond}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Accounted(); err != nil {
		t.Fatal(err)
	}
	timeouts := 0
	for _, q := range r.Requests {
		if q.Outcome != OK && strings.Contains(q.Reason, "timeout") {
			timeouts++
		}
	}
	if f.hangs.Load() < 3 || timeouts < 3 || r.OK < 3 {
		t.Errorf("%s; server held %d: want the load to go on past held requests, each failing as a timeout (%d did)", r.Summary(), f.hangs.Load(), timeouts)
	}
}
