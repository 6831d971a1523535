package strict

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Unsigned calls (the sandbox's admin API) pass through untouched, even
// with every rule on and an empty token bucket.
func TestUnsignedCallsPassThrough(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "admin "+r.URL.Path) })
	rules, err := Parse("all")
	must(t, err)
	l := New(next, Options{Rules: rules, Bucket: 1, Refill: 0.001})
	srv := httptest.NewServer(l)
	defer srv.Close()
	for range 3 {
		resp, err := http.Post(srv.URL+"/_sandbox/zones/us-east-1a/down", "application/json", nil)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "admin /_sandbox/zones/us-east-1a/down" {
			t.Fatalf("admin call answered %d %q", resp.StatusCode, body)
		}
	}
	if f := l.Fired(); len(f) != 0 {
		t.Fatalf("rules fired on unsigned calls: %v", f)
	}
}
