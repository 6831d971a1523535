// Package recorder is a reverse proxy that sits between AWS clients and an
// AWS endpoint and counts every call by service and action. Tests use it to
// prove call budgets (a refresh makes at most N calls); the benchmarks use
// it to break costs down; fault-injection tests can hook Before.
package recorder

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/hawebapp/terraform-provider-hawebapp/test/zonalshift"
)

// Call is one recorded AWS API call.
type Call struct {
	Service string // from the SigV4 credential scope: ec2, elasticloadbalancing, autoscaling, iam, rds ...
	Action  string // DescribeSubnets, ...
}

func (c Call) String() string { return c.Service + ":" + c.Action }

// Recorder is a running proxy.
type Recorder struct {
	URL string

	mu     sync.Mutex
	calls  []Call
	status []int // per call: the HTTP status it was answered with, 0 until then
	gen    int   // counts Resets: an answer to a call recorded before one is dropped
	server *http.Server
	proxy  *httputil.ReverseProxy
	// Before, when set, may answer a call itself (fault injection): return true
	// after writing to w to stop the call reaching the target.
	Before func(c Call, w http.ResponseWriter, r *http.Request) bool
}

// ServeProxy serves handler(proxy) on a free loopback port, proxy being a
// reverse proxy to target (an endpoint URL), and returns the port's URL and
// its server (Close stops it).
func ServeProxy(target string, handler func(proxy *httputil.ReverseProxy) http.Handler) (string, *http.Server, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: handler(httputil.NewSingleHostReverseProxy(u))}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), srv, nil
}

// Start proxies a free loopback port to target (an endpoint URL).
func Start(target string) (*Recorder, error) {
	r := &Recorder{}
	var err error
	r.URL, r.server, err = ServeProxy(target, func(proxy *httputil.ReverseProxy) http.Handler {
		r.proxy = proxy
		return http.HandlerFunc(r.serve)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// serve records a call, lets Before answer it, or forwards it.
func (r *Recorder) serve(w http.ResponseWriter, req *http.Request) {
	c := Identify(req)
	r.mu.Lock()
	sw := &statusWriter{ResponseWriter: w, r: r, gen: r.gen, i: len(r.calls)}
	r.calls = append(r.calls, c)
	r.status = append(r.status, 0)
	before := r.Before
	r.mu.Unlock()
	if before != nil && before(c, sw, req) {
		return
	}
	r.Forward(sw, req)
}

// statusWriter notes the status a call is answered with, as the answer
// starts (before its caller can have read it).
type statusWriter struct {
	http.ResponseWriter
	r      *Recorder
	gen, i int
	noted  bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.note(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.note(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (the reverse proxy's flushes) reach
// the server's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) note(code int) {
	if w.noted {
		return
	}
	w.noted = true
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	if w.gen == w.r.gen {
		w.r.status[w.i] = code
	}
}

// Forward passes a call to the target (a Before hook may call it itself).
// A call that got here reaches the target even when its caller dies
// meanwhile (a killed apply), as AWS completes a call it received: neither
// the request's context nor the connection's CloseNotifier (which the proxy
// watches when the context cannot be cancelled) may cancel it.
func (r *Recorder) Forward(w http.ResponseWriter, req *http.Request) {
	r.proxy.ServeHTTP(detached{w}, req.WithContext(context.WithoutCancel(req.Context())))
}

// detached is a ResponseWriter without http.CloseNotifier (see Start).
type detached struct{ http.ResponseWriter }

// Stop closes the proxy.
func (r *Recorder) Stop() { _ = r.server.Close() }

// Reset forgets the calls recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.status = nil, nil
	r.gen++
}

// Calls returns the calls recorded since the last Reset.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// Served returns the calls since the last Reset that were answered with a
// 2xx status: what an operation cost once AWS's refusals (a throttled call
// is refused and the SDK sends it again) are left out.
func (r *Recorder) Served() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Call
	for i, c := range r.calls {
		if r.status[i] >= 200 && r.status[i] < 300 {
			out = append(out, c)
		}
	}
	return out
}

// Counts returns how many times each "service:Action" was called.
func (r *Recorder) Counts() map[string]int {
	out := map[string]int{}
	for _, c := range r.Calls() {
		out[c.String()]++
	}
	return out
}

// Summary is a stable, readable listing of Counts.
func (r *Recorder) Summary() string {
	counts := r.Counts()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + itoa(counts[k]) + " ")
	}
	return strings.TrimSpace(b.String())
}

var scopeService = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([^/]+)/`)

// Identify reads the service from the SigV4 scope and the action from the
// query protocol's form (Action=...), the JSON protocol's X-Amz-Target, or
// the REST protocols' method and path (S3, ARC zonal shift).
// It leaves req.Body readable again, so other layers (test/strict) can share it.
func Identify(req *http.Request) Call {
	c := Call{Service: "unknown", Action: "unknown"}
	if m := scopeService.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		c.Service = m[1]
	}
	if c.Service == "s3" {
		c.Action = s3Operation(req) // REST: the method, path and subresource
		return c
	}
	if op := zonalshift.Operation(req); op != "" {
		c.Action = op // REST-JSON: the operation is the method and path
		return c
	}
	if t := req.Header.Get("X-Amz-Target"); t != "" {
		c.Action = t[strings.LastIndex(t, ".")+1:]
		return c
	}
	if a := req.URL.Query().Get("Action"); a != "" {
		c.Action = a
		return c
	}
	if req.Body != nil && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
			c.Action = form.Get("Action")
		}
	}
	return c
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
