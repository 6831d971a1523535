package soak

import "testing"

// TestNoRequestIsSentOnceDraining: a request that passed the pacer but
// reaches the recorder after the drain began is held back, not sent, so the
// drain, which waits only for requests recorded as sent, never ends with
// one still on the wire (TestFailureTimeline failed so on a busy machine:
// one request in flight at the end against a healthy server).
func TestNoRequestIsSentOnceDraining(t *testing.T) {
	var r recorder
	id, ok := r.sent("GET", "/")
	if !ok || id != 0 {
		t.Fatalf("first request: id %d, sent %v", id, ok)
	}
	r.stopSending()
	if _, ok := r.sent("GET", "/"); ok {
		t.Fatal("a request was recorded as sent after the phase closed to new requests")
	}
	if p := r.progress(); p.Sent != 1 || p.Waiting != 1 {
		t.Errorf("progress %+v, want the one request sent before the drain, still waiting", p)
	}
	reqs, held := r.freeze()
	if len(reqs) != 1 || held != 1 {
		t.Errorf("after freeze: %d requests, %d held back; want 1 and 1 (every request accounted for)", len(reqs), held)
	}
}
