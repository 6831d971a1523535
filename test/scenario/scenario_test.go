package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// TestFirstChanges: for a zone that is down, only reads and the group's
// mark may come before its suspension and the shift; a wait or another
// change may not, and the evacuated group is never waited on.
func TestFirstChanges(t *testing.T) {
	c := func(action, group string) applyCall { return applyCall{action: action, group: group} }
	for _, tc := range []struct {
		name  string
		calls []applyCall
		err   string
	}{
		{"shift first", []applyCall{c("DescribeAutoScalingGroups", ""), c("CreateOrUpdateTags", "g-b"), c("SuspendProcesses", "g-b"),
			c("StartZonalShift", ""), c("UpdateAutoScalingGroup", "g-a"), c("DescribeScalingActivities", "g-a")}, ""},
		{"a wait before", []applyCall{c("DescribeTargetHealth", ""), c("SuspendProcesses", "g-b"), c("StartZonalShift", "")}, "DescribeTargetHealth() (call 0) comes before"},
		{"a change before", []applyCall{c("UpdateAutoScalingGroup", "g-a"), c("StartZonalShift", ""), c("SuspendProcesses", "g-b")}, "UpdateAutoScalingGroup(g-a) (call 0) comes before"},
		{"no shift", []applyCall{c("SuspendProcesses", "g-b")}, "StartZonalShift at -1"},
		{"the evacuated group waited on", []applyCall{c("SuspendProcesses", "g-b"), c("StartZonalShift", ""), c("DescribeScalingActivities", "g-b")}, "was waited on"},
	} {
		l := &callLog{calls: tc.calls}
		err := l.firstChanges("g-b")
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.err)
		}
	}
}

// TestTally: failures before the clean moment are measured; after it each
// failure, and each request served in the evacuated zone before the
// return began, is a broken requirement.
func TestTally(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	reqs := []soak.Request{
		{Seq: 1, Sent: at(1), Outcome: soak.Failed},
		{Seq: 2, Sent: at(2), Outcome: soak.OK, Zone: "b"},
		{Seq: 3, Sent: at(6), Outcome: soak.OK, Zone: "a"},
		{Seq: 4, Sent: at(7), Outcome: soak.Failed, Reason: "timeout"},
		{Seq: 5, Sent: at(8), Outcome: soak.OK, Zone: "b"},
		{Seq: 6, Sent: at(12), Outcome: soak.OK, Zone: "b"},
	}
	var r Result
	r.tally(reqs, "b", at(5), at(5), at(10))
	if r.FailedBefore != 1 || r.FailedAfter != 1 || r.SentAfter != 4 {
		t.Errorf("failed before %d, after %d of %d: want 1, 1 of 4", r.FailedBefore, r.FailedAfter, r.SentAfter)
	}
	if len(r.Failures) != 2 || !strings.Contains(r.Failures[0], "request 4") || !strings.Contains(r.Failures[1], "request 5") {
		t.Errorf("broken: %q, want request 4's failure and request 5 served in b", r.Failures)
	}
	var none Result
	none.tally(reqs[:2], "b", at(5), at(5), at(10))
	if len(none.Failures) != 1 || !strings.Contains(none.Failures[0], "no request was sent after the shift") {
		t.Errorf("no request after the shift: broken %q", none.Failures)
	}
}

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
