package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// TestAutoshiftTally: failures before the autoshift applied are measured;
// a failure or a request served in the zone between the autoshift and the
// recovery, or while the practice run is applied (the zone only until its
// expiry), is a broken requirement; the recovery in between is measured.
func TestAutoshiftTally(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	reqs := []soak.Request{
		{Seq: 1, Sent: at(1), Outcome: soak.Failed},
		{Seq: 2, Sent: at(6), Outcome: soak.OK, Zone: "a"},
		{Seq: 3, Sent: at(7), Outcome: soak.Failed, Reason: "timeout"},
		{Seq: 4, Sent: at(8), Outcome: soak.OK, Zone: "b"},
		{Seq: 5, Sent: at(11), Outcome: soak.Failed, Reason: "reset"}, // the recovery: measured
		{Seq: 6, Sent: at(21), Outcome: soak.OK, Zone: "b"},
		{Seq: 7, Sent: at(22), Outcome: soak.Failed, Reason: "HTTP 503"},
		{Seq: 8, Sent: at(26), Outcome: soak.OK, Zone: "b"}, // after the expiry
	}
	r := AutoshiftResult{Zone: "b"}
	r.tally(reqs, at(5), at(10), practiceSeen{start: at(19), applied: at(20), expiry: at(25), ended: at(27)})
	if r.FailedBefore != 1 || r.FailedAfter != 1 || r.SentAfter != 3 || r.PracticeFailed != 1 || r.PracticeSent != 3 {
		t.Errorf("failed before %d, after %d of %d, in the practice run %d of %d: want 1, 1 of 3, 1 of 3",
			r.FailedBefore, r.FailedAfter, r.SentAfter, r.PracticeFailed, r.PracticeSent)
	}
	want := []string{"request 3", "request 4", "request 6", "request 7"}
	if len(r.Failures) != len(want) {
		t.Fatalf("broken: %q, want %v", r.Failures, want)
	}
	for i, w := range want {
		if !strings.Contains(r.Failures[i], w) {
			t.Errorf("broken %d: %q, want %s", i, r.Failures[i], w)
		}
	}
	none := AutoshiftResult{Zone: "b"}
	none.tally(reqs[:1], at(5), at(10), practiceSeen{applied: at(20), expiry: at(25), ended: at(27)})
	if len(none.Failures) != 1 || !strings.Contains(none.Failures[0], "nothing shows") {
		t.Errorf("no request during the shifts: broken %q", none.Failures)
	}
}
