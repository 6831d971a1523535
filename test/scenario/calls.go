package scenario

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// applyCall is one AWS call of an apply, in the order it reached the
// sandbox: its action, the Auto Scaling group it names, and when.
type applyCall struct {
	action, group string
	at            time.Time
}

func (c applyCall) String() string { return c.action + "(" + c.group + ")" }

// callLog records the calls of one terraform run (every provider of the
// root: its refresh, plan and apply) through a recorder (test/recorder) in
// front of the sandbox, so the scenario asserts the order of the calls
// rather than how long anything took.
type callLog struct {
	rec   *recorder.Recorder
	mu    sync.Mutex
	calls []applyCall
}

// recordCalls starts a recorder in front of the sandbox; terraform runs
// given its URL go through it. Stop it with its rec.Stop.
func (s *Stack) recordCalls() (*callLog, error) {
	rec, err := recorder.Start(s.Sandbox.Endpoint)
	if err != nil {
		return nil, err
	}
	l := &callLog{rec: rec}
	rec.Before = func(c recorder.Call, _ http.ResponseWriter, r *http.Request) bool {
		group := recorder.GroupOf(r)
		l.mu.Lock()
		l.calls = append(l.calls, applyCall{c.Action, group, time.Now()})
		l.mu.Unlock()
		return false
	}
	return l, nil
}

func (l *callLog) list() []applyCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// shiftCall is the StartZonalShift call, if any.
func (l *callLog) shiftCall() (applyCall, int, bool) {
	calls := l.list()
	i := slices.IndexFunc(calls, func(c applyCall) bool { return c.action == "StartZonalShift" })
	if i < 0 {
		return applyCall{}, -1, false
	}
	return calls[i], i, true
}

// firstChanges checks, for a zone that is down, that the evacuated group's
// suspension and the zonal shift are the run's first changes: before them
// only reads (the refresh), the evacuation's mark on the group (a tag) and
// no wait at all (the calls only a wait makes: scaling activities, target
// health, the shift's applied status); and that the evacuated group is
// never waited on (its scaling activities are never read).
func (l *callLog) firstChanges(down string) error {
	calls := l.list()
	read := func(a string) bool {
		return strings.HasPrefix(a, "Describe") || strings.HasPrefix(a, "List") || strings.HasPrefix(a, "Get")
	}
	wait := func(a string) bool {
		return a == "DescribeScalingActivities" || a == "DescribeTargetHealth" || a == "GetManagedResource"
	}
	suspend := slices.IndexFunc(calls, func(c applyCall) bool { return c.action == "SuspendProcesses" && c.group == down })
	shift := slices.IndexFunc(calls, func(c applyCall) bool { return c.action == "StartZonalShift" })
	if suspend < 0 || shift < 0 {
		return fmt.Errorf("suspension of %s at call %d, StartZonalShift at %d: want both; calls: %v", down, suspend, shift, calls)
	}
	last := max(suspend, shift)
	for i, c := range calls[:last] {
		mark := c.action == "CreateOrUpdateTags" && c.group == down
		if i == suspend || i == shift || mark {
			continue
		}
		if wait(c.action) || !read(c.action) {
			return fmt.Errorf("%s (call %d) comes before the suspension (%d) and the shift (%d); calls: %v", c, i, suspend, shift, calls[:last+1])
		}
	}
	for _, c := range calls {
		if c.action == "DescribeScalingActivities" && c.group == down {
			return fmt.Errorf("the evacuated group %s was waited on (%s)", down, c)
		}
	}
	return nil
}
