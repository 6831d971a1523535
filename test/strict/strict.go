// Package strict is an HTTP layer in front of an AWS emulator (moto) that
// answers like real AWS where the emulator is instant, consistent and
// forgiving: eventual consistency after create, state machines that take
// time, network interfaces that linger, name and value rules, throttling,
// and "not found" for an instance that is already gone.
//
// It composes with test/recorder (whose request parsing it reuses): put the
// recorder in front so it counts what the client sent, and the strict layer
// behind it, so the strict layer's own look-ups (which go straight to the
// emulator) are not counted. Each rule can be switched on its own (see
// Parse and the README), and Fired tells how often each rule answered, so a
// test can prove a rule was exercised.
package strict

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// Layer is the strict http.Handler. It forwards to next what it does not
// answer itself.
type Layer struct {
	next  http.Handler
	opts  Options
	rules []*rule
	side  *sideClients

	mu    sync.Mutex
	fired map[Rule]int
	st    state
}

// rule is one switchable behaviour. before may answer the call instead of
// the emulator (a non-nil error is written to the client); reply may too,
// with a success answer of its own as well as an error; after may read
// and rewrite the emulator's answer and reports whether it changed it.
type rule struct {
	name   Rule
	before func(l *Layer, c *call) *apiError
	reply  func(l *Layer, c *call) (*response, *apiError)
	after  func(l *Layer, c *call, resp *response) bool
}

// New wraps next (the emulator, or a handler that forwards to it).
func New(next http.Handler, opts Options) *Layer {
	opts = opts.withDefaults()
	l := &Layer{next: next, opts: opts, fired: map[Rule]int{}, st: newState()}
	l.side = newSideClients(next)
	for _, r := range allRules() {
		if opts.Rules[r.name] {
			l.rules = append(l.rules, r)
		}
	}
	return l
}

// Middleware is New in the shape http middleware hooks take.
func Middleware(opts Options) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return New(next, opts) }
}

// Hook builds the layer when a server hands over its handler (such as
// sandbox.Options.Wrap) and keeps it, so the caller can read Fired later.
type Hook struct {
	Options Options
	Layer   *Layer
}

// Wrap is the middleware; call it once.
func (h *Hook) Wrap(next http.Handler) http.Handler {
	h.Layer = New(next, h.Options)
	return h.Layer
}

// Fired returns how many times each enabled rule answered or rewrote a call.
func (l *Layer) Fired() map[Rule]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[Rule]int, len(l.fired))
	for k, v := range l.fired {
		out[k] = v
	}
	return out
}

// Summary lists Fired as "rule=n ..." in a stable order, for test logs.
func (l *Layer) Summary() string {
	f := l.Fired()
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, f[Rule(k)])
	}
	return strings.TrimSpace(b.String())
}

// Enabled lists the rules this layer applies.
func (l *Layer) Enabled() []Rule {
	out := make([]Rule, 0, len(l.rules))
	for _, r := range l.rules {
		out = append(out, r.name)
	}
	return out
}

func (l *Layer) fire(r Rule) {
	l.mu.Lock()
	l.fired[r]++
	l.mu.Unlock()
}

// ServeHTTP applies the rules around one call.
func (l *Layer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := readCall(r, l.opts.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if c.Service == "unknown" { // not a signed AWS call (e.g. the sandbox's admin API)
		r.Body = io.NopCloser(bytes.NewReader(c.body))
		l.next.ServeHTTP(w, r)
		return
	}
	for _, ru := range l.rules {
		var own *response
		var e *apiError
		if ru.before != nil {
			e = ru.before(l, c)
		}
		if e == nil && ru.reply != nil {
			own, e = ru.reply(l, c)
		}
		if e != nil {
			l.fire(ru.name)
			e.write(w, c)
			return
		}
		if own != nil { // the layer's own answer: the emulator never sees the call
			l.fire(ru.name)
			own.write(w)
			return
		}
	}
	rec := httptest.NewRecorder()
	r.Body = io.NopCloser(bytes.NewReader(c.body))
	r.ContentLength = int64(len(c.body))
	l.next.ServeHTTP(rec, r)
	resp := &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	for _, ru := range l.rules {
		if ru.after != nil && ru.after(l, c, resp) {
			l.fire(ru.name)
		}
	}
	resp.write(w)
}

// Server is a strict layer listening on a loopback port in front of an
// endpoint URL.
type Server struct {
	URL   string
	Layer *Layer
	srv   *http.Server
}

// Start serves a strict layer in front of target (an endpoint URL such as
// moto's) on a free loopback port.
func Start(target string, opts Options) (*Server, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("parsing strict layer target %q: %w", target, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the strict layer: %w", err)
	}
	l := New(forwardTo(u), opts)
	s := &Server{URL: "http://" + ln.Addr().String(), Layer: l,
		srv: &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Stop closes the listener.
func (s *Server) Stop() { _ = s.srv.Close() }

// call is one parsed request.
type call struct {
	recorder.Call
	region string
	body   []byte
	params url.Values     // query protocols: form body and query string
	json   map[string]any // JSON protocols
	now    time.Time
	// dbModification is what the db-states rule read before the emulator
	// applied a ModifyDBInstance, for its after hook.
	dbModification *dbModification
}

func readCall(r *http.Request, now time.Time) (*call, error) {
	id := recorder.Identify(r) // leaves r.Body readable
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading request: %w", err)
		}
		body = b
	}
	c := &call{Call: id, region: regionOf(r), body: body, now: now, params: url.Values{}}
	if r.Header.Get("X-Amz-Target") != "" {
		c.json = decodeJSON(body)
	} else {
		if p, err := url.ParseQuery(string(body)); err == nil {
			c.params = p
		}
		for k, v := range r.URL.Query() {
			c.params[k] = v
		}
	}
	return c, nil
}

// regionOf reads the region from the SigV4 credential scope
// (Credential=AKID/date/REGION/service/aws4_request).
func regionOf(r *http.Request) string {
	if scope := motoserver.CredentialScope(r); len(scope) >= 3 {
		return scope[2]
	}
	return "us-east-1"
}

// is reports whether the call is service:action.
func (c *call) is(service, action string) bool { return c.Service == service && c.Action == action }

// list reads a query-protocol list such as GroupId.1, GroupId.2 (EC2) or
// Certificates.member.1.CertificateArn (the other query services).
func (c *call) list(prefix, suffix string) []string {
	var out []string
	for i := 1; ; i++ {
		key := prefix + "." + fmt.Sprint(i)
		if suffix != "" {
			key += "." + suffix
		}
		v, ok := c.params[key]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// response is the emulator's answer, which after-rules may rewrite.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) ok() bool { return r.status >= 200 && r.status < 300 }

// write sends the answer (without the emulator's length: a rule may have
// changed the body).
func (r *response) write(w http.ResponseWriter) {
	for k, v := range r.header {
		if k == "Content-Length" {
			continue
		}
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}
