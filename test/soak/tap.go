package soak

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// tap is a TCP forwarder between ab and the URL under test. ab drives the
// load; the tap only watches it go by, because ab cannot say what happened
// to each request: it reports non-2xx answers and socket errors as totals,
// and a request still waiting when ab stops is counted nowhere. The tap
// parses each request and response off the byte stream (HTTP/1.x, which is
// what ab speaks), forwards the bytes unchanged on a new upstream
// connection per ab connection, and records every request: when it went
// out, when and how it ended. It also paces requests when a rate is set
// (ab has no rate limit).
type tap struct {
	ln       net.Listener
	upstream string // host:port
	rec      *recorder
	pace     *pacer
	dial     time.Duration
	resolve  func(ctx context.Context, host string) ([]string, error) // Options.Resolve
	timeout  time.Duration                                            // Options.Timeout

	mu      sync.Mutex
	conns   map[net.Conn]bool // ab's and the upstream ones
	closing bool
	wg      sync.WaitGroup
}

func newTap(upstream string, rec *recorder, pace *pacer) (*tap, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("soak: listening for ab on loopback: %w", err)
	}
	t := &tap{ln: ln, upstream: upstream, rec: rec, pace: pace, dial: 30 * time.Second, conns: map[net.Conn]bool{}}
	t.wg.Add(1)
	go t.accept()
	return t, nil
}

// Addr is where ab connects.
func (t *tap) Addr() string { return t.ln.Addr().String() }

func (t *tap) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		if !t.track(c) {
			return
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer t.untrack(c)
			t.serve(c)
		}()
	}
}

// track registers a connection for close; false (and c closed) once closing.
func (t *tap) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		c.Close()
		return false
	}
	t.conns[c] = true
	return true
}

func (t *tap) untrack(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

// close stops accepting and cuts every connection; the recorder must be
// frozen first so that requests cut here stay "in flight at the end".
func (t *tap) close() {
	_ = t.ln.Close()
	t.mu.Lock()
	t.closing = true
	for c := range t.conns {
		_ = c.Close()
	}
	t.mu.Unlock()
	t.pace.stop()
	t.wg.Wait()
}

// capture remembers every byte read through it, so what was parsed can be
// forwarded exactly as it came.
type capture struct {
	r   io.Reader
	buf bytes.Buffer
}

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.buf.Write(p[:n])
	return n, err
}

func (c *capture) take() []byte {
	b := bytes.Clone(c.buf.Bytes())
	c.buf.Reset()
	return b
}

// serve relays one ab connection: request by request (ab sends the next
// one only after the answer, with -k), each on the same upstream connection.
func (t *tap) serve(client net.Conn) {
	defer client.Close()
	cc := &capture{r: client}
	cr := bufio.NewReader(cc)
	var up net.Conn
	var node string // where up goes, when resolved
	var uc *capture
	var ur *bufio.Reader
	defer func() {
		if up != nil {
			up.Close()
		}
	}()
	for {
		req, err := http.ReadRequest(cr)
		if err != nil {
			return // ab closed the connection (or sent nothing): no request
		}
		_, _ = io.Copy(io.Discard, req.Body)
		if !t.pace.wait() {
			t.rec.heldBack() // the phase ended while the pacer held it: never sent
			return
		}
		id, ok := t.rec.sent(req.Method, req.URL.RequestURI())
		if !ok {
			return // the phase is draining: held back, never sent
		}
		if up == nil {
			addr, err := t.address()
			if err != nil {
				t.rec.failed(id, reasonOf("resolve", err))
				reset(client)
				return
			}
			d := net.Dialer{Timeout: t.dial}
			up, err = d.Dial("tcp", addr)
			if err != nil {
				t.rec.failed(id, reasonOf("connect", err))
				reset(client)
				return
			}
			if t.resolve != nil {
				node = addr
			}
			if !t.track(up) {
				return // the phase ended while connecting: in flight
			}
			defer t.untrack(up)
			uc = &capture{r: up}
			ur = bufio.NewReader(uc)
		}
		if node != "" {
			t.rec.connected(id, node)
		}
		if t.timeout > 0 {
			_ = up.SetDeadline(time.Now().Add(t.timeout))
		}
		if _, err := up.Write(cc.take()); err != nil {
			t.rec.failed(id, reasonOf("send", err))
			reset(client)
			return
		}
		resp, err := http.ReadResponse(ur, req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if err != nil {
			t.rec.failed(id, reasonOf("receive", err))
			// Pass the failure on as ab would have met it: what arrived,
			// then a reset.
			_, _ = client.Write(uc.take())
			reset(client)
			return
		}
		t.rec.answered(id, resp.StatusCode, resp.Header.Get("X-Instance-Id"), resp.Header.Get("X-Availability-Zone"))
		if _, err := client.Write(uc.take()); err != nil {
			return
		}
		if resp.Close || req.Close || !keepAlive(req) {
			return
		}
	}
}

// address is where a new upstream connection goes: the upstream as given,
// or, with a resolver, the first address its host resolves to now.
func (t *tap) address() (string, error) {
	if t.resolve == nil {
		return t.upstream, nil
	}
	host, port, err := net.SplitHostPort(t.upstream)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.dial)
	defer cancel()
	ips, err := t.resolve(ctx, host)
	if err != nil {
		return "", err
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("no address for %s", host)
	}
	return net.JoinHostPort(ips[0], port), nil
}

// keepAlive says whether ab asked to keep the connection (-k sends
// "Connection: Keep-Alive" on HTTP/1.0).
func keepAlive(r *http.Request) bool {
	if r.ProtoAtLeast(1, 1) {
		return !r.Close
	}
	return strings.EqualFold(r.Header.Get("Connection"), "keep-alive")
}

// reset closes c with an RST, as a dead peer's stack would.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// reasonOf names a transport failure: the step and the error's kind.
func reasonOf(step string, err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return step + ": connection closed before a complete answer"
	case errors.As(err, &ne) && ne.Timeout():
		return step + ": timeout"
	case strings.Contains(err.Error(), "connection reset"):
		return step + ": connection reset"
	case strings.Contains(err.Error(), "connection refused"):
		return step + ": connection refused"
	case strings.Contains(err.Error(), "use of closed network connection"):
		return step + ": cut when the phase ended"
	default:
		return step + ": " + err.Error()
	}
}

// pacer spaces requests evenly at a rate (none: as fast as ab goes).
type pacer struct {
	every time.Duration
	mu    sync.Mutex
	next  time.Time
	ctx   context.Context
	stopf context.CancelFunc
}

func newPacer(rate float64) *pacer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &pacer{ctx: ctx, stopf: cancel}
	if rate > 0 {
		p.every = time.Duration(float64(time.Second) / rate)
	}
	return p
}

// wait blocks until the next request may go; false once stopped.
func (p *pacer) wait() bool {
	if p.ctx.Err() != nil {
		return false
	}
	if p.every == 0 {
		return true
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	p.next = p.next.Add(p.every)
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return true
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}

func (p *pacer) stop() { p.stopf() }
