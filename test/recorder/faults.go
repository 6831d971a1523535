package recorder

import (
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"hash/fnv"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kind is one kind of injected fault.
type Kind string

// The faults AWS answers now and then, which the provider must ride out.
const (
	// Throttle answers with the service's own throttling code: EC2's
	// RequestLimitExceeded (HTTP 503), the other query services' Throttling
	// and the JSON services' ThrottlingException (HTTP 400).
	Throttle Kind = "throttle"
	// InternalError answers HTTP 500 (InternalError on EC2, InternalFailure elsewhere).
	InternalError Kind = "http500"
	// Unavailable answers HTTP 503 (Unavailable on EC2, ServiceUnavailable elsewhere).
	Unavailable Kind = "http503"
	// Reset closes the connection with a TCP reset before the call reaches the target.
	Reset Kind = "reset"
	// Slow holds the call for Faults.SlowDelay, then lets it through.
	Slow Kind = "slow"
	// LostAnswer lets the call reach the target, then resets the connection
	// before the answer: AWS did the call and the caller never heard, so the
	// SDK sends it again (a second create of one name, say). It needs
	// Faults.Forward.
	LostAnswer Kind = "lost-answer"
)

// AllKinds lists every kind, in a stable order.
var AllKinds = []Kind{Throttle, InternalError, Unavailable, Reset, Slow, LostAnswer}

// Faults decides, for each call, whether to fault it and how. The decision
// is a hash of the seed, the call's "service:Action" and how many calls of
// that action came before it, so a run is repeatable: the k-th
// DescribeSubnets of two runs with one seed gets the same answer, whatever
// the order concurrent calls of other actions arrive in.
// Use it as (or from) a Recorder's Before hook.
type Faults struct {
	Seed int64
	// Rate is the fraction of calls to fault, 0 to 1.
	Rate float64
	// Kinds are the faults to pick from; default AllKinds.
	Kinds []Kind
	// SlowDelay is how long a Slow call is held; default 2 s.
	SlowDelay time.Duration
	// Match, when set, limits faults to the calls it accepts.
	Match func(Call) bool
	// Forward passes a call to the target (Recorder.Forward); LostAnswer
	// needs it and is not injected without it.
	Forward func(http.ResponseWriter, *http.Request)

	mu       sync.Mutex
	seen     map[string]int
	calls    int
	injected map[Kind]int
}

// Before is a Recorder.Before hook: it answers a faulted call itself (true),
// or holds a slow one and lets it through (false).
func (f *Faults) Before(c Call, w http.ResponseWriter, r *http.Request) bool {
	if f.Match != nil && !f.Match(c) {
		return false
	}
	kind, ok := f.decide(c)
	if !ok {
		return false
	}
	switch kind {
	case Throttle:
		status, code := http.StatusBadRequest, "Throttling"
		switch {
		case c.Service == "ec2":
			status, code = http.StatusServiceUnavailable, "RequestLimitExceeded"
		case isJSON(r):
			code = "ThrottlingException"
		}
		WriteError(w, c.Service, isJSON(r), status, code, "Rate exceeded (injected)")
	case InternalError:
		code := "InternalFailure"
		if c.Service == "ec2" {
			code = "InternalError"
		}
		WriteError(w, c.Service, isJSON(r), http.StatusInternalServerError, code, "injected server error")
	case Unavailable:
		code := "ServiceUnavailable"
		if c.Service == "ec2" {
			code = "Unavailable"
		}
		WriteError(w, c.Service, isJSON(r), http.StatusServiceUnavailable, code, "injected unavailability")
	case Reset:
		resetConnection(w)
	case LostAnswer:
		f.Forward(discard{header: http.Header{}}, r)
		resetConnection(w)
	case Slow:
		delay := f.SlowDelay
		if delay <= 0 {
			delay = 2 * time.Second
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
		return false
	}
	return true
}

// decide picks the fault for this call, if any, and counts it.
func (f *Faults) decide(c Call) (Kind, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen == nil {
		f.seen, f.injected = map[string]int{}, map[Kind]int{}
	}
	f.calls++
	k := f.seen[c.String()]
	f.seen[c.String()]++
	h := fnv.New64a()
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:8], uint64(f.Seed))
	binary.LittleEndian.PutUint64(buf[8:], uint64(k))
	_, _ = h.Write(buf[:])
	_, _ = h.Write([]byte(c.String()))
	sum := h.Sum64()
	if float64(sum>>11)/(1<<53) >= f.Rate {
		return "", false
	}
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = AllKinds
	}
	if f.Forward == nil {
		kinds = slices.DeleteFunc(slices.Clone(kinds), func(k Kind) bool { return k == LostAnswer })
		if len(kinds) == 0 {
			return "", false
		}
	}
	// The low bits pick the kind; the high ones decided above.
	kind := kinds[int(sum%1021)%len(kinds)]
	f.injected[kind]++
	return kind, true
}

// Injected returns how many faults of each kind were injected so far.
func (f *Faults) Injected() map[Kind]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[Kind]int{}
	for k, n := range f.injected {
		out[k] = n
	}
	return out
}

// Seen returns how many calls Before was asked about (those Match accepted).
func (f *Faults) Seen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Summary reads like "412 calls, 21 faulted: http500=4 reset=5 slow=3 throttle=9".
func (f *Faults) Summary() string {
	inj := f.Injected()
	keys := make([]string, 0, len(inj))
	total := 0
	for k, n := range inj {
		keys = append(keys, string(k)+"="+itoa(n))
		total += n
	}
	sort.Strings(keys)
	return itoa(f.Seen()) + " calls, " + itoa(total) + " faulted: " + strings.Join(keys, " ")
}

// isJSON tells the JSON protocols (X-Amz-Target, e.g. ACM) from the query ones.
func isJSON(r *http.Request) bool { return r.Header.Get("X-Amz-Target") != "" }

// resetConnection drops the client's connection with a TCP RST (linger 0),
// as a network path that fails mid-call does.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// WriteError answers an AWS error in the call's protocol: the JSON
// protocols' __type body, EC2's Response/Errors XML, or the other query
// services' ErrorResponse XML (the shapes the SDK's deserializers read).
func WriteError(w http.ResponseWriter, service string, jsonProtocol bool, status int, code, message string) {
	if jsonProtocol {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	if service == "ec2" {
		b.WriteString("<Response><Errors><Error><Code>" + xmlText(code) + "</Code><Message>" + xmlText(message) +
			"</Message></Error></Errors><RequestID>injected</RequestID></Response>")
	} else {
		b.WriteString("<ErrorResponse><Error><Type>Sender</Type><Code>" + xmlText(code) + "</Code><Message>" +
			xmlText(message) + "</Message></Error><RequestId>injected</RequestId></ErrorResponse>")
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// discard is where a LostAnswer call's answer goes.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

// Drop closes the client's connection with a TCP reset and answers nothing.
func Drop(w http.ResponseWriter) { resetConnection(w) }
