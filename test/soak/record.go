package soak

import (
	"fmt"
	"sync"
	"time"
)

// Outcome is how a request ended.
type Outcome string

const (
	// OK: a 2xx answer arrived in full.
	OK Outcome = "ok"
	// Failed: an answer other than 2xx, or a transport error.
	Failed Outcome = "failed"
	// InFlight: sent, with no answer when the phase ended; counted as failed.
	InFlight Outcome = "in flight at the end"
)

// ReasonInFlight is the reason given to requests still waiting at the end.
const ReasonInFlight = "in flight when the phase ended"

// Request is one request sent to the URL under test, as the library saw it
// go out and come back.
type Request struct {
	Seq     int
	Method  string
	Path    string
	Sent    time.Time // when the request went to the server
	Ended   time.Time // when the answer (or the failure) came; zero if in flight
	Status  int       // HTTP status; 0 without an answer
	Outcome Outcome
	// Reason is "" when OK, "HTTP 503" for an answer other than 2xx, or the
	// transport step and error ("receive: connection reset"), or
	// ReasonInFlight.
	Reason string
	// Instance and Zone are the X-Instance-Id and X-Availability-Zone
	// headers of the answer (what examples/app sends), when present.
	Instance, Zone string
	// Key is the unique key a write carried (write mode only).
	Key string
	// Node is the address the request's connection went to, when
	// Options.Resolve chose it (a load balancer node).
	Node string
}

// Latency is the time from sending to the end of the answer.
func (r Request) Latency() time.Duration {
	if r.Ended.IsZero() {
		return 0
	}
	return r.Ended.Sub(r.Sent)
}

// recorder keeps every request of a phase. After freeze it ignores late
// news: a request that was in flight when the phase ended stays so.
type recorder struct {
	mu     sync.Mutex
	reqs   []Request
	frozen bool
	closed bool // no new request: a drain is waiting for those sent
	held   int
}

// sent records a request going to the server and returns its id, or false
// once the phase is closed to new requests: the request is then held back,
// never sent. The check and the record are one step, so a request that
// passed the pacer just before a drain began is either counted as waiting,
// and drained, or held back; never sent after the drain saw nothing
// waiting (a busy machine made that happen: one request "in flight when
// the phase ended" against a healthy server).
func (r *recorder) sent(method, path string) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.frozen {
		if !r.frozen {
			r.held++
		}
		return -1, false
	}
	id := len(r.reqs)
	r.reqs = append(r.reqs, Request{Seq: id, Method: method, Path: path, Sent: time.Now()})
	return id, true
}

// stopSending closes the phase to new requests (see sent).
func (r *recorder) stopSending() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
}

// connected notes the address request id's connection goes to.
func (r *recorder) connected(id int, addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs[id].Node = addr
}

func (r *recorder) setKey(id int, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs[id].Key = key
}

// answered records request id's answer and reports whether it did: after
// freeze the request stays in flight, and a caller that keeps its own list
// of answers (the write load's acknowledgements) must not add to it.
func (r *recorder) answered(id, status int, instance, zone string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.frozen {
		return false
	}
	q := &r.reqs[id]
	q.Ended, q.Status, q.Instance, q.Zone = time.Now(), status, instance, zone
	q.Outcome = OK
	if status < 200 || status > 299 {
		q.Outcome, q.Reason = Failed, fmt.Sprintf("HTTP %d", status)
	}
	return true
}

func (r *recorder) failed(id int, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.frozen {
		return
	}
	q := &r.reqs[id]
	q.Ended, q.Outcome, q.Reason = time.Now(), Failed, reason
}

// heldBack counts a request the pacer held until the phase ended: it never
// reached the server, so it is neither sent nor failed.
func (r *recorder) heldBack() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.frozen {
		r.held++
	}
}

// freeze ends the phase: every request without an outcome is in flight.
func (r *recorder) freeze() ([]Request, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frozen = true
	for i := range r.reqs {
		if r.reqs[i].Outcome == "" {
			r.reqs[i].Outcome, r.reqs[i].Reason = InFlight, ReasonInFlight
		}
	}
	return append([]Request(nil), r.reqs...), r.held
}

// Progress is a live count of a running phase.
type Progress struct {
	Sent, OK, Failed, Waiting int
}

func (r *recorder) progress() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	var p Progress
	p.Sent = len(r.reqs)
	for _, q := range r.reqs {
		switch q.Outcome {
		case OK:
			p.OK++
		case Failed:
			p.Failed++
		default:
			p.Waiting++
		}
	}
	return p
}

// since returns copies of the requests sent at or after t (for progress
// lines that need latencies and reasons).
func (r *recorder) since(t time.Time) []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Request
	for i := len(r.reqs) - 1; i >= 0 && !r.reqs[i].Sent.Before(t); i-- {
		out = append(out, r.reqs[i])
	}
	return out
}
