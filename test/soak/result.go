package soak

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// Result is what one phase measured. Its accounting always holds:
// Sent == OK + Failed, and InFlight <= Failed (a request still waiting when
// the phase ended is a failure). See Sources for where each figure comes from.
type Result struct {
	Name        string
	URL         string
	Start, End  time.Time
	Rate        float64 // requests a second the pacer allowed; 0: unpaced
	Concurrency int

	// Every request that reached the server, in the order sent.
	Requests []Request
	Sent     int
	OK       int
	Failed   int // including InFlight
	InFlight int
	// HeldBack is how many requests ab had written that the pacer still held
	// when the phase ended: they never reached the server and count nowhere
	// else.
	HeldBack int
	// Reasons counts failures by reason ("HTTP 503", "receive: connection
	// reset", ReasonInFlight).
	Reasons map[string]int
	// Latency is of answered requests (any status), from sending to the end
	// of the answer, as the library timed them.
	Latency Latency
	// AB is ab's own report for the phase (nil in write mode).
	AB *ABReport
	// Sources says which figure was measured by what.
	Sources []string
}

// Latency summarises request times in milliseconds.
type Latency struct {
	N                  int
	P50, P95, P99, Max float64
}

// Summarize sorts ms in place and returns its percentiles (nearest rank).
func Summarize(ms []float64) Latency {
	sort.Float64s(ms)
	if len(ms) == 0 {
		return Latency{}
	}
	return Latency{N: len(ms), P50: Percentile(ms, 50), P95: Percentile(ms, 95), P99: Percentile(ms, 99), Max: ms[len(ms)-1]}
}

// Percentile is the nearest-rank p-th percentile of sorted values (0 for none).
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// newResult counts reqs.
func newResult(name, url string, start, end time.Time, reqs []Request, held int) *Result {
	r := &Result{Name: name, URL: url, Start: start, End: end, Requests: reqs, Sent: len(reqs), HeldBack: held, Reasons: map[string]int{}}
	var ms []float64
	for _, q := range reqs {
		switch q.Outcome {
		case OK:
			r.OK++
		case InFlight:
			r.InFlight++
			r.Failed++
			r.Reasons[q.Reason]++
		default:
			r.Failed++
			r.Reasons[q.Reason]++
		}
		if q.Status != 0 {
			ms = append(ms, float64(q.Latency())/float64(time.Millisecond))
		}
	}
	r.Latency = Summarize(ms)
	return r
}

// Duration is how long the phase ran.
func (r *Result) Duration() time.Duration { return r.End.Sub(r.Start) }

// RPS is the requests sent per second over the phase.
func (r *Result) RPS() float64 {
	if d := r.Duration().Seconds(); d > 0 {
		return float64(r.Sent) / d
	}
	return 0
}

// Accounted checks the invariant every result keeps: each request sent is
// OK, failed or in flight, and the counts agree with the records.
func (r *Result) Accounted() error {
	ok, failed, inflight := 0, 0, 0
	for _, q := range r.Requests {
		switch q.Outcome {
		case OK:
			ok++
		case Failed:
			failed++
		case InFlight:
			inflight++
		default:
			return fmt.Errorf("request %d has no outcome", q.Seq)
		}
	}
	if r.Sent != len(r.Requests) || r.OK != ok || r.Failed != failed+inflight || r.InFlight != inflight || r.Sent != r.OK+r.Failed {
		return fmt.Errorf("accounting: sent %d = ok %d + failed %d (in flight %d) does not match the %d records (%d ok, %d failed, %d in flight)",
			r.Sent, r.OK, r.Failed, r.InFlight, len(r.Requests), ok, failed, inflight)
	}
	return nil
}

// Second is one second of a phase, by when requests were sent.
type Second struct {
	At             time.Duration // from the phase's start
	Sent, OK, Fail int
}

// Timeline buckets the requests per second of sending, from the phase's
// start to its end (seconds without requests included).
func (r *Result) Timeline() []Second {
	n := int(math.Ceil(r.Duration().Seconds()))
	out := make([]Second, max(n, 1))
	for i := range out {
		out[i].At = time.Duration(i) * time.Second
	}
	for _, q := range r.Requests {
		i := min(max(int(q.Sent.Sub(r.Start)/time.Second), 0), len(out)-1)
		out[i].Sent++
		if q.Outcome == OK {
			out[i].OK++
		} else {
			out[i].Fail++
		}
	}
	return out
}

// Window is a stretch of failures: requests sent between From and To (from
// the phase's start) failed, with no gap longer than the one asked for.
type Window struct {
	From, To time.Duration
	// LastEnd is when the last of them ended (the phase's end for requests
	// still in flight).
	LastEnd time.Duration
	Failed  int
	Reasons map[string]int
}

// FailureWindows groups the failed requests into windows: a failure sent
// more than gap after the previous one opens a new window.
func (r *Result) FailureWindows(gap time.Duration) []Window {
	var out []Window
	for _, q := range r.Requests {
		if q.Outcome == OK {
			continue
		}
		at := q.Sent.Sub(r.Start)
		end := r.End.Sub(r.Start)
		if !q.Ended.IsZero() {
			end = q.Ended.Sub(r.Start)
		}
		if len(out) == 0 || at-out[len(out)-1].To > gap {
			out = append(out, Window{From: at, To: at, Reasons: map[string]int{}})
		}
		w := &out[len(out)-1]
		w.To = max(w.To, at)
		w.LastEnd = max(w.LastEnd, end)
		w.Failed++
		w.Reasons[q.Reason]++
	}
	return out
}

// Summary is one line: requests, failures by reason, latency, rate.
func (r *Result) Summary() string {
	s := fmt.Sprintf("%s: %d sent in %s (%.0f/s): %d ok, %d failed", r.Name, r.Sent, r.Duration().Round(100*time.Millisecond), r.RPS(), r.OK, r.Failed)
	if r.Failed > 0 {
		s += " (" + FormatReasons(r.Reasons) + ")"
	}
	if r.HeldBack > 0 {
		s += fmt.Sprintf("; %d held back by the pacer, never sent", r.HeldBack)
	}
	l := r.Latency
	return s + fmt.Sprintf("; latency p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms", l.P50, l.P95, l.P99, l.Max)
}

// FormatReasons lists reasons by count, largest first: "HTTP 503×12, in flight when the phase ended×3".
func FormatReasons(m map[string]int) string {
	keys := env.KeysByCount(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// ZonesServing are the zones whose instances answered 2xx in reqs sent
// from from on, sorted.
func ZonesServing(reqs []Request, from time.Time) []string {
	seen := map[string]bool{}
	for _, q := range reqs {
		if q.Outcome == OK && !q.Sent.Before(from) && q.Zone != "" {
			seen[q.Zone] = true
		}
	}
	out := make([]string, 0, len(seen))
	for z := range seen {
		out = append(out, z)
	}
	sort.Strings(out)
	return out
}
