package soak

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// WriteOptions describe a write load: each request carries a unique key,
// and every write the server acknowledged is kept, so a suite can check
// afterwards that none was lost. ab sends one fixed body for every request
// (-p/-u), so it cannot make unique writes: the library sends them itself,
// from Go, one connection per request as ab does without -k.
type WriteOptions struct {
	// Name labels the phase; default "writes".
	Name string
	// URL receives the writes, e.g. http://lb/fruits.
	URL string
	// Method is POST (default) or PUT.
	Method string
	// Rate caps the writes a second; required.
	Rate float64
	// Concurrency is how many writes may be outstanding; default 4.
	Concurrency int
	// KeyPrefix starts each key (prefix-<n>); default soak-<start time>.
	KeyPrefix string
	// Body is a write's JSON body for key; default {"name":"<key>"} (what
	// examples/app's POST /fruits takes).
	Body func(key string) []byte
	// Timeout bounds one write; default 90 s, beyond an ALB's 60 s idle timeout.
	Timeout time.Duration
	// Drain is how long Stop lets the writes already sent finish (no new
	// write starts meanwhile); those still waiting then are in flight at
	// the end. 0: end at once. As Options.Drain: a write load that must
	// show no failure at its end sets it, so the moment Stop is called is
	// not mistaken for a failure.
	Drain time.Duration
}

// Ack is an acknowledged write: a 2xx answer to the write carrying Key.
type Ack struct {
	Key string
	// Location is where the write can be read back (the answer's Location
	// header resolved against the URL; the URL itself without one).
	Location string
	At       time.Time
}

// Writer is a write load under way.
type Writer struct {
	opts   WriteOptions
	rec    *recorder
	pace   *pacer
	start  time.Time
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	acks   []Ack
}

// StartWrites starts the writers.
func StartWrites(ctx context.Context, o WriteOptions) (*Writer, error) {
	if o.Name == "" {
		o.Name = "writes"
	}
	if o.Method == "" {
		o.Method = http.MethodPost
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 90 * time.Second
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = "soak-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if o.Body == nil {
		o.Body = func(key string) []byte { return []byte(`{"name":` + strconv.Quote(key) + `}`) }
	}
	if o.Rate <= 0 {
		return nil, errors.New("soak: a write load needs a rate")
	}
	base, err := url.Parse(o.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("soak: write URL %q: want http(s)://host/path", o.URL)
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Writer{opts: o, rec: &recorder{}, pace: newPacer(o.Rate), start: time.Now(), cancel: cancel}
	client := &http.Client{Timeout: o.Timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < o.Concurrency; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for w.pace.wait() && ctx.Err() == nil {
				w.one(ctx, client, base)
			}
		}()
	}
	return w, nil
}

func (w *Writer) one(ctx context.Context, client *http.Client, base *url.URL) {
	id, ok := w.rec.sent(w.opts.Method, base.RequestURI())
	if !ok {
		return // stopping: held back, never sent
	}
	key := fmt.Sprintf("%s-%d", w.opts.KeyPrefix, id)
	w.rec.setKey(id, key)
	req, err := http.NewRequestWithContext(ctx, w.opts.Method, base.String(), bytes.NewReader(w.opts.Body(key)))
	if err != nil {
		w.rec.failed(id, "request: "+err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		w.rec.failed(id, reasonOf("write", err))
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	// An answer that comes after Stop froze the record leaves the write in
	// flight there, so it is no acknowledgement either: the record and the
	// list agree (a race that once gave 51 acknowledgements for 50 OKs).
	recorded := w.rec.answered(id, resp.StatusCode, resp.Header.Get("X-Instance-Id"), resp.Header.Get("X-Availability-Zone"))
	if !recorded || resp.StatusCode/100 != 2 {
		return
	}
	loc := base.String()
	if l, err := resp.Location(); err == nil {
		loc = l.String()
	}
	w.mu.Lock()
	w.acks = append(w.acks, Ack{Key: key, Location: loc, At: time.Now()})
	w.mu.Unlock()
}

// Progress counts the writes so far.
func (w *Writer) Progress() Progress { return w.rec.progress() }

// Stop ends the writes, after up to Drain for those already sent: those
// without an answer then are in flight at the end
// (counted as failed; whether the server kept them is unknown, so they are
// not in the acknowledged list).
func (w *Writer) Stop() (*Result, []Ack) {
	w.pace.stop()
	w.rec.stopSending()
	deadline := time.Now().Add(w.opts.Drain)
	for delay := 10 * time.Millisecond; w.rec.progress().Waiting > 0 && time.Now().Before(deadline); delay = min(delay*2, 250*time.Millisecond) {
		time.Sleep(min(delay, time.Until(deadline)))
	}
	end := time.Now()
	reqs, held := w.rec.freeze()
	w.cancel()
	w.wg.Wait()
	r := newResult(w.opts.Name, w.opts.URL, w.start, end, reqs, held)
	r.Rate, r.Concurrency = w.opts.Rate, w.opts.Concurrency
	r.Sources = []string{"writes: the library's Go writers (ab sends one fixed body, it cannot make unique keys); outcomes and latency timed by them"}
	w.mu.Lock()
	defer w.mu.Unlock()
	return r, append([]Ack(nil), w.acks...)
}

// VerifyWrites reads every acknowledged write back and returns those that
// are missing (not found, or found without their key). A read that fails
// for another reason is retried with backoff until timeout, then reported
// as an error: it proves nothing either way.
func VerifyWrites(ctx context.Context, acks []Ack, timeout time.Duration) (lost []Ack, err error) {
	client := &http.Client{Timeout: 30 * time.Second}
	for _, a := range acks {
		deadline := time.Now().Add(timeout)
		delay := 100 * time.Millisecond
		for {
			found, rerr := readBack(ctx, client, a)
			if rerr == nil {
				if !found {
					lost = append(lost, a)
				}
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return lost, fmt.Errorf("reading back write %s at %s: %w", a.Key, a.Location, rerr)
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
			delay = min(2*delay, 2*time.Second)
		}
	}
	return lost, nil
}

// readBack says whether a's key is at its location: 404 or a body without
// the key is "not there"; any other failure is an error.
func readBack(ctx context.Context, client *http.Client, a Ack) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.Location, nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case err != nil:
		return false, err
	case resp.StatusCode == http.StatusNotFound:
		return false, nil
	case resp.StatusCode/100 != 2:
		return false, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return bytes.Contains(body, []byte(strconv.Quote(a.Key))), nil
}
