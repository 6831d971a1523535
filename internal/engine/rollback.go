package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
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
func (e *Engine) rollback(ctx context.Context, r *run, timeout time.Duration) RollbackReport {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	created := r.createdParts()
	remove := make([]Action, len(created))
	for i, c := range created {
		remove[i] = Action{Op: OpDelete, Part: c.part, Current: &created[i].obs}
	}
	e.logf("rollback: deleting the %d children this apply created (budget %s)", len(remove), timeout)
	out, _ := e.deleteAll(ctx, r, remove, "rollback", skipDependents)

	var report RollbackReport
	for _, a := range remove {
		c := childOf(*a.Current)
		report.Created = append(report.Created, c)
		id := deleteID(a)
		if out.deleted[id] {
			report.RolledBack = append(report.RolledBack, c)
			continue
		}
		left := LeftChild{Child: c, Err: out.failed[id]}
		if errors.Is(left.Err, ErrDeletionProtected) {
			left.Protected, left.Err = true, nil
		}
		if left.Err == nil && !left.Protected {
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
