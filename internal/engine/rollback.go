package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// Child names one child of the stack in a report.
type Child struct {
	Key  string // the part's key, "security_group/db"
	Name string // its AWS name
	ID   string // its AWS ID or ARN, when known
}

func (c Child) String() string {
	if c.ID == "" || c.ID == c.Name {
		return fmt.Sprintf("%s (%s)", c.Key, c.Name)
	}
	return fmt.Sprintf("%s (%s, %s)", c.Key, c.Name, c.ID)
}

// LeftChild is a child a rollback did not delete, and why.
type LeftChild struct {
	Child
	// Protected: AWS refuses to delete it while its deletion protection is on.
	Protected bool
	// Kept: whole and slow to make again (an available database), so the
	// rollback did not delete it; the next apply adopts it.
	Kept bool
	// NeededBy lists the keys of left children that still use it: AWS
	// refuses to delete it before them, so its delete was never tried.
	NeededBy []string
	// Err is the error of its delete, when one was tried and failed.
	Err error
}

func (l LeftChild) why() string {
	switch {
	case l.Protected:
		return "deletion protection is on"
	case l.Kept:
		return "kept: it had become available, and the next apply adopts it instead of making a new one"
	case l.Err != nil:
		return l.Err.Error()
	default:
		return "still used by " + strings.Join(l.NeededBy, ", ")
	}
}

// RollbackReport is what the clean-up after a failed create did.
type RollbackReport struct {
	// Created lists every child this apply made, in the order AWS made them,
	// including those whose create failed after AWS had made them.
	Created []Child
	// RolledBack lists the created children deleted again.
	RolledBack []Child
	// Left lists the created children still in AWS, tagged with the stack,
	// so the next apply adopts them.
	Left []LeftChild
	// Kept lists the children found when the apply started (left by an
	// earlier, interrupted apply): adopted, never deleted by a rollback.
	Kept []Child
	// LookErr, when set, is why the rollback could not look for children
	// that creates made without reporting them; any such child carries the
	// stack's tag and the next apply adopts it.
	LookErr error
}

// RollbackError is the error of a failed create that was rolled back: why
// it failed, and exactly what was created, deleted again and left.
type RollbackError struct {
	Err    error
	Report RollbackReport
}

func (e *RollbackError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	r := e.Report
	fmt.Fprintf(&b, "\nrollback: this apply created %d children", len(r.Created))
	if len(r.Created) > 0 {
		fmt.Fprintf(&b, " (%s)", joinChildren(r.Created))
	}
	fmt.Fprintf(&b, "; deleted again: %d", len(r.RolledBack))
	if len(r.RolledBack) > 0 {
		fmt.Fprintf(&b, " (%s)", joinChildren(r.RolledBack))
	}
	fmt.Fprintf(&b, "; left: %d", len(r.Left))
	for i, l := range r.Left {
		sep := "; "
		if i == 0 {
			sep = " ("
		}
		fmt.Fprintf(&b, "%s%s: %s", sep, l.Child, l.why())
	}
	if len(r.Left) > 0 {
		b.WriteString(")")
	}
	if len(r.Kept) > 0 {
		fmt.Fprintf(&b, "; found from an earlier apply and kept: %s", joinChildren(r.Kept))
	}
	if r.LookErr != nil {
		fmt.Fprintf(&b, "; could not look for children made by interrupted creates: %v", r.LookErr)
	}
	return b.String()
}

// Unwrap gives the create's error and those of the deletes that failed.
func (e *RollbackError) Unwrap() []error {
	errs := []error{e.Err}
	for _, l := range e.Report.Left {
		if l.Err != nil {
			errs = append(errs, l.Err)
		}
	}
	return errs
}

func joinChildren(cs []Child) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, ", ")
}

// rollback deletes what this apply created, in reverse dependency order and
// in parallel where the graph allows, through deleteAll as destroy does. A
// failed delete skips only the children it needs (AWS would refuse them
// while it exists); the rest still goes. It runs on a context detached from
// the caller's, which has often expired by now, with its own timeout.
//
// What it deletes is the journal plus every child of the stack it now
// observes that was not there when the apply started (before): a create
// cancelled or failed between AWS's answer and its own return may not have
// reported its child, but the child carries the stack's tags from its
// create call on. When an action was interrupted, the look waits for the
// children to settle first (settledLook).
func (e *Engine) rollback(ctx context.Context, r *run, timeout time.Duration, bp blueprint.Blueprint, before map[string]Observation) RollbackReport {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	created := r.createdParts()
	var report RollbackReport
	look := e.Cloud.Observe
	if r.wasInterrupted() {
		look = e.settledLook
	}
	if after, err := look(ctx, bp); err != nil {
		report.LookErr = err
	} else {
		created = append(created, unreported(bp, before, after, created)...)
	}
	remove := actionsFor(created)
	keep := map[string]error{}
	for i, c := range created {
		if c.complete && keptOnRollback(c.part.Kind) {
			keep[deleteID(remove[i])] = errKept
		}
	}
	e.logf("rollback: deleting the %d children this apply created, keeping %d (budget %s)", len(remove)-len(keep), len(keep), timeout)
	out, _ := e.deleteAll(ctx, r, remove, "rollback", skipDependents, keep)

	for _, a := range remove {
		c := childOf(*a.Current)
		report.Created = append(report.Created, c)
		id := deleteID(a)
		if out.deleted[id] {
			report.RolledBack = append(report.RolledBack, c)
			continue
		}
		left := LeftChild{Child: c, Err: out.failed[id]}
		switch {
		case errors.Is(left.Err, ErrDeletionProtected):
			left.Protected, left.Err = true, nil
		case errors.Is(left.Err, errKept):
			left.Kept, left.Err = true, nil
		}
		if left.Err == nil && !left.Protected && !left.Kept {
			for _, b := range remove {
				if !out.deleted[deleteID(b)] && mustDeleteFirst(b, a) {
					left.NeededBy = append(left.NeededBy, b.Part.Key)
				}
			}
		}
		report.Left = append(report.Left, left)
	}
	return report
}

// keptOnRollback: kinds a failed create keeps once they are whole, because
// making them again costs far more than the rest of the stack. A multi-AZ
// database takes 15 to 30 minutes to become available; deleting it because
// a zone was short of instances (a failure the next apply may not meet)
// makes every retry pay that again. It is tagged with the stack, so the
// next apply adopts it as it adopts any child an interrupted apply left.
func keptOnRollback(k blueprint.Kind) bool { return k == blueprint.KindDBInstance }

// errKept ends a kept child's node in the rollback's delete graph, as a
// failed delete would, so that what it needs is kept with it.
var errKept = errors.New("kept by the rollback")

func actionsFor(created []createdPart) []Action {
	remove := make([]Action, len(created))
	for i := range created {
		remove[i] = Action{Op: OpDelete, Part: created[i].part, Current: &created[i].obs}
	}
	return remove
}

// Settling: a create call cut by cancellation may still complete at AWS
// after its caller gave up, and a new child may show in describe calls only
// later: the EC2 developer guide, "Eventual consistency in the Amazon EC2
// API", says to describe again with exponential backoff starting at a couple
// of seconds. So after an interrupted create the stack's children are looked
// at until two looks in a row agree, backing off, within settleTimeout.
const (
	settleFirstDelay = 2 * time.Second
	settleMaxDelay   = 16 * time.Second
	settleTimeout    = time.Minute
)

// settledLook observes the stack until two looks in a row find the same
// children, or settleTimeout passes (then the last look counts).
func (e *Engine) settledLook(ctx context.Context, bp blueprint.Blueprint) (map[string]Observation, error) {
	prev, err := e.Cloud.Observe(ctx, bp)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(settleTimeout)
	for delay := settleFirstDelay; time.Now().Add(delay).Before(deadline); delay = min(2*delay, settleMaxDelay) {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return prev, nil
		case <-t.C:
		}
		cur, err := e.Cloud.Observe(ctx, bp)
		if err != nil {
			return prev, nil // the earlier look stands
		}
		if sameChildren(prev, cur) {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

func sameChildren(a, b map[string]Observation) bool {
	if len(a) != len(b) {
		return false
	}
	for k, o := range a {
		if p, ok := b[k]; !ok || p.Name != o.Name {
			return false
		}
	}
	return true
}

// unreported lists the children found after a failed apply that were
// neither there before it nor in its journal.
func unreported(bp blueprint.Blueprint, before, after map[string]Observation, journal []createdPart) []createdPart {
	known := map[string]bool{}
	for _, o := range before {
		known[o.Key+"#"+o.Name] = true
	}
	for _, c := range journal {
		known[c.obs.Key+"#"+c.obs.Name] = true
	}
	var found []createdPart
	for _, key := range sortedKeys(after) {
		o := after[key]
		if known[key+"#"+o.Name] {
			continue
		}
		p, ok := bp.Part(key)
		if !ok || p.Name != o.Name {
			p = orphanPart(o)
		}
		found = append(found, createdPart{part: p, obs: o})
	}
	return found
}

// keptChildren lists the children an apply found when it started.
func keptChildren(apply []Action) []Child {
	var kept []Child
	for _, a := range apply {
		if a.Current != nil {
			kept = append(kept, childOf(*a.Current))
		}
	}
	return kept
}

func childOf(o Observation) Child {
	id := o.ID
	if id == "" {
		id = o.ARN
	}
	return Child{Key: o.Key, Name: o.Name, ID: id}
}
