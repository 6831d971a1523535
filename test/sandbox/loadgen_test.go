package sandbox_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadGen is steady HTTP load from Go (ab counts non-2xx answers but never
// says which): every answer that is not 2xx, and every transport error, is
// kept with its phase, status, serving instance and body, so a failing test
// says what failed and where.
type loadGen struct {
	phase  atomic.Value // string
	stopc  chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	counts map[string]int // phase -> requests
	bad    []badAnswer
}

type badAnswer struct {
	at       time.Time
	phase    string
	status   int // 0: transport error
	instance string
	detail   string
}

// startLoad runs workers that GET url in a loop without keep-alive (as ab
// does: every request a new connection), until stopped.
func startLoad(t *testing.T, url string, workers int) *loadGen {
	t.Helper()
	g := &loadGen{stopc: make(chan struct{}), counts: map[string]int{}}
	g.phase.Store("start")
	client := &http.Client{Timeout: 90 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < workers; i++ {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			for {
				select {
				case <-g.stopc:
					return
				default:
				}
				g.one(client, url)
			}
		}()
	}
	t.Cleanup(g.stop)
	return g
}

func (g *loadGen) one(client *http.Client, url string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-g.stopc:
			cancel()
		case <-ctx.Done():
		}
	}()
	phase := g.phase.Load().(string)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client.Do(req)
	// A failure belongs to the phase in which it is seen: a request in flight
	// when a zone loses power fails because of the outage, not before it.
	bad := badAnswer{at: time.Now(), phase: g.phase.Load().(string)}
	if err != nil {
		if ctx.Err() != nil {
			return // stopped
		}
		bad.detail = err.Error()
	} else {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			bad.status = -1
		} else {
			bad.status, bad.instance, bad.detail = resp.StatusCode, resp.Header.Get("X-Instance-Id"), strings.TrimSpace(string(body))
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.counts[phase]++
	if bad.status != -1 {
		g.bad = append(g.bad, bad)
	}
}

// setPhase labels the requests that start from now on (and the failures
// seen from now on).
func (g *loadGen) setPhase(p string) { g.phase.Store(p) }

func (g *loadGen) stop() {
	select {
	case <-g.stopc:
	default:
		close(g.stopc)
	}
	g.wg.Wait()
}

// failures returns the bad answers of the given phases and a summary of all:
// per phase, requests and failures by status.
func (g *loadGen) failures(phases ...string) ([]badAnswer, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	want := map[string]bool{}
	for _, p := range phases {
		want[p] = true
	}
	byPhase := map[string]map[int]int{}
	var out []badAnswer
	for _, b := range g.bad {
		if byPhase[b.phase] == nil {
			byPhase[b.phase] = map[int]int{}
		}
		byPhase[b.phase][b.status]++
		if want[b.phase] {
			out = append(out, b)
		}
	}
	var names []string
	for p := range g.counts {
		names = append(names, p)
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, p := range names {
		fmt.Fprintf(&sb, "%s: %d requests", p, g.counts[p])
		for st, n := range byPhase[p] {
			fmt.Fprintf(&sb, ", %d× status %d", n, st)
		}
		sb.WriteString("; ")
	}
	return out, sb.String()
}

// describe lists up to n bad answers.
func describeBad(bad []badAnswer, n int) string {
	var sb strings.Builder
	for i, b := range bad {
		if i == n {
			fmt.Fprintf(&sb, "... and %d more\n", len(bad)-n)
			break
		}
		fmt.Fprintf(&sb, "%s %s status %d from %q: %s\n", b.at.Format("15:04:05.000"), b.phase, b.status, b.instance, b.detail)
	}
	return sb.String()
}
