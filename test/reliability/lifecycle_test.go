package reliability

import (
	"testing"
)

// tally is what a campaign measured, for contributing/reliability.md.
type tally struct {
	kills      int
	duplicates int
	leaks      int
}

// lifecycle creates the stack, rolls out new user data zone by zone and
// destroys it. Each phase with a kill point is killed there first, then run
// again: the rerun must converge (no "already exists", no duplicate, an
// empty plan after it); the rerun of a killed destroy must leave nothing.
// serves, when set, is called once the stack converged after its create.
func (e *env) lifecycle(t *testing.T, points []killPoint, serves func(t *testing.T)) tally {
	t.Helper()
	var got tally
	at := func(phase string) (killPoint, bool) {
		for _, p := range points {
			if p.phase == phase {
				return p, true
			}
		}
		return killPoint{}, false
	}
	apply := []string{"apply", "-auto-approve", "-input=false", "-no-color"}
	destroy := []string{"destroy", "-auto-approve", "-input=false", "-no-color"}
	destroyed := false
	defer func() {
		if !destroyed {
			_, _ = e.terraform(t, destroy...)
		}
	}()

	e.rec.Reset()
	if p, ok := at("create"); ok {
		e.runKilled(t, p, apply...)
		got.kills++
	}
	got.duplicates += e.converged(t)
	t.Logf("create: %d provider calls: %s", len(e.rec.Calls()), e.rec.Summary())
	if serves != nil {
		serves(t)
	}

	e.rec.Reset()
	e.setUserData(t, "release two")
	if p, ok := at("update"); ok {
		e.runKilled(t, p, apply...)
		got.kills++
	}
	got.duplicates += e.converged(t)
	e.rolledOut(t, "")
	t.Logf("update: %d provider calls: %s", len(e.rec.Calls()), e.rec.Summary())

	e.rec.Reset()
	if p, ok := at("destroy"); ok {
		e.runKilled(t, p, destroy...)
		got.kills++
	}
	e.mustRun(t, destroy...)
	destroyed = true
	got.leaks = e.nothingLeft(t)
	t.Logf("destroy: %d provider calls: %s", len(e.rec.Calls()), e.rec.Summary())
	return got
}
