package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// store is a fruit store like examples/app's POST /fruits and GET
// /fruits/{id}, that can refuse writes (503) and lose acknowledged ones.
type store struct {
	mu    sync.Mutex
	items map[int]string
	n     int
	// refuse and lose pick the n-th write (from 1).
	refuse, lose func(n int) bool
	lost         []string
}

func (s *store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		var body struct{ Name string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.n++
		if s.refuse(s.n) {
			http.Error(w, "database away", http.StatusServiceUnavailable)
			return
		}
		if s.lose(s.n) {
			s.lost = append(s.lost, body.Name)
		} else {
			s.items[s.n] = body.Name
		}
		w.Header().Set("Location", fmt.Sprintf("/fruits/%d", s.n))
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"fruit": map[string]any{"id": s.n, "name": body.Name}})
	case http.MethodGet:
		var id int
		if _, err := fmt.Sscanf(r.URL.Path, "/fruits/%d", &id); err != nil {
			http.NotFound(w, r)
			return
		}
		name, ok := s.items[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"fruit": map[string]any{"id": id, "name": name}})
	}
}

// Every acknowledged write is kept; a refused one is a failure, not an
// acknowledgement; VerifyWrites finds exactly the writes the server lost.
func TestWritesFindLostAcknowledgedWrites(t *testing.T) {
	s := &store{items: map[int]string{}, refuse: func(n int) bool { return n%5 == 0 }, lose: func(n int) bool { return n == 7 || n == 13 }}
	srv := httptest.NewServer(s)
	defer srv.Close()
	w, err := StartWrites(context.Background(), WriteOptions{URL: srv.URL + "/fruits", Rate: 200, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	env.Until(t, "40 acknowledged writes", 60*time.Second, func() (bool, string) { pr := w.Progress(); return pr.OK >= 40, fmt.Sprintf("%+v", pr) })
	r, acks := w.Stop()
	if err := r.Accounted(); err != nil {
		t.Fatal(err)
	}
	if len(acks) != r.OK {
		t.Errorf("%d acknowledged, %d ok", len(acks), r.OK)
	}
	keys := map[string]bool{}
	for _, q := range r.Requests {
		if keys[q.Key] || q.Key == "" {
			t.Fatalf("write %d has key %q: keys must be unique", q.Seq, q.Key)
		}
		keys[q.Key] = true
	}
	if r.Reasons["HTTP 503"] == 0 {
		t.Errorf("no refused write recorded: %s", r.Summary())
	}
	lost, err := VerifyWrites(context.Background(), acks, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	want := append([]string(nil), s.lost...)
	s.mu.Unlock()
	if len(lost) != len(want) || len(want) != 2 {
		t.Fatalf("lost %v, the server lost %v", lost, want)
	}
	for i, a := range lost {
		if a.Key != want[i] {
			t.Errorf("lost[%d] = %s, want %s", i, a.Key, want[i])
		}
	}
}

// Stop with a Drain lets the writes already sent finish: none is left in
// flight, none fails; without one, the writes under way are in flight.
func TestWritesDrain(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(slow.Close)
	for _, tc := range []struct {
		drain      time.Duration
		inFlight   bool
		acksWanted int
	}{{drain: 0, inFlight: true}, {drain: 5 * time.Second, acksWanted: 2}} {
		w, err := StartWrites(t.Context(), WriteOptions{URL: slow.URL + "/fruits", Rate: 50, Concurrency: 2, Drain: tc.drain})
		if err != nil {
			t.Fatal(err)
		}
		// Both writers are waiting on their first answer.
		deadline := time.Now().Add(5 * time.Second)
		for w.Progress().Waiting < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		res, acks := w.Stop()
		if err := res.Accounted(); err != nil {
			t.Fatal(err)
		}
		if got := res.InFlight > 0; got != tc.inFlight {
			t.Errorf("drain %s: %s; want writes in flight at the end: %v", tc.drain, res.Summary(), tc.inFlight)
		}
		if !tc.inFlight && (res.Failed != 0 || len(acks) != res.Sent || len(acks) < tc.acksWanted) {
			t.Errorf("drain %s: %s, %d acknowledged; want every write sent acknowledged", tc.drain, res.Summary(), len(acks))
		}
	}
}
