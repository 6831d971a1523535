package sandbox_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// phasedLoad is the soak library's load (ab through the library's tap,
// every request recorded) with named phases, so that a failing test says
// which step of the scenario a failure belongs to: the phase in which it
// ended (a request in flight when a zone loses power fails because of the
// outage, not before it).
type phasedLoad struct {
	phase  *soak.Phase
	marks  []phaseMark
	result *soak.Result
}

type phaseMark struct {
	at   time.Time
	name string
}

// startLoad sends GETs to url from concurrency clients, a new connection
// each (as a browser fleet behind NAT does), until stop.
func startLoad(t *testing.T, url string, concurrency int) *phasedLoad {
	t.Helper()
	p, err := soak.Start(t.Context(), soak.Options{Name: t.Name(), URL: url, Concurrency: concurrency, Drain: 10 * time.Second})
	if err != nil {
		if _, abErr := soak.FindAB(); abErr != nil {
			prereq.Require(t, abErr)
		}
		t.Fatal(err)
	}
	l := &phasedLoad{phase: p, marks: []phaseMark{{p.Started(), "start"}}}
	t.Cleanup(func() { l.stop(t) })
	return l
}

// setPhase names the requests that end from now on.
func (l *phasedLoad) setPhase(name string) { l.marks = append(l.marks, phaseMark{time.Now(), name}) }

// stop ends the load (letting the requests already sent finish) and checks
// that every request sent is accounted for.
func (l *phasedLoad) stop(t *testing.T) *soak.Result {
	t.Helper()
	if l.result != nil {
		return l.result
	}
	res, err := l.phase.Stop()
	if err != nil {
		t.Fatalf("the load: %v", err)
	}
	if err := res.Accounted(); err != nil {
		t.Fatal(err)
	}
	if res.OK == 0 {
		t.Fatalf("the load completed no request: %s", res.Summary())
	}
	l.result = res
	return res
}

// phaseOf is the phase in which a request ended (the last one for a
// request still in flight at the end).
func (l *phasedLoad) phaseOf(r soak.Request) string {
	end := r.Ended
	if end.IsZero() {
		return l.marks[len(l.marks)-1].name
	}
	i := sort.Search(len(l.marks), func(i int) bool { return l.marks[i].at.After(end) })
	return l.marks[max(i-1, 0)].name
}

// failures returns the failed requests of the given phases, and a summary
// of all phases: requests and failures by reason.
func (l *phasedLoad) failures(t *testing.T, phases ...string) ([]soak.Request, string) {
	t.Helper()
	res := l.stop(t)
	want := map[string]bool{}
	for _, p := range phases {
		want[p] = true
	}
	count, reasons := map[string]int{}, map[string]map[string]int{}
	var out []soak.Request
	for _, r := range res.Requests {
		p := l.phaseOf(r)
		count[p]++
		if r.Outcome == soak.OK {
			continue
		}
		if reasons[p] == nil {
			reasons[p] = map[string]int{}
		}
		reasons[p][r.Reason]++
		if want[p] {
			out = append(out, r)
		}
	}
	var sb strings.Builder
	for _, m := range l.marks {
		fmt.Fprintf(&sb, "%s: %d requests", m.name, count[m.name])
		if len(reasons[m.name]) > 0 {
			fmt.Fprintf(&sb, ", failed: %s", soak.FormatReasons(reasons[m.name]))
		}
		sb.WriteString("; ")
	}
	return out, sb.String()
}

// describeFailed lists up to n failed requests.
func describeFailed(failed []soak.Request, n int) string {
	var sb strings.Builder
	for i, r := range failed {
		if i == n {
			fmt.Fprintf(&sb, "... and %d more\n", len(failed)-n)
			break
		}
		fmt.Fprintf(&sb, "#%d sent %s ended %s: %s (instance %q)\n", r.Seq, r.Sent.Format("15:04:05.000"), r.Ended.Format("15:04:05.000"), r.Reason, r.Instance)
	}
	return sb.String()
}
