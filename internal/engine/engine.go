package engine

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// DefaultParallelism bounds concurrent AWS operations: enough for the
// independent branches of a stack (network rules, load balancer, database),
// low enough not to provoke throttling.
const DefaultParallelism = 8

// DefaultRollbackTimeout bounds the clean-up after a failed create when the
// caller gives no budget. It fits the slowest delete of a stack, the
// database's: hashicorp/aws gives aws_db_instance's Delete 60 minutes
// (internal/service/rds/instance.go, ResourceInstance Timeouts).
const DefaultRollbackTimeout = 60 * time.Minute

// Engine reconciles blueprints against a Cloud.
type Engine struct {
	Cloud       Cloud
	Parallelism int
	// Logf receives one line per action (wired to tflog by the resource).
	Logf func(format string, args ...any)
}

// Result is the state of the stack's children after a reconcile.
type Result struct {
	// Observed holds every desired part's child as it now is, by key.
	Observed map[string]Observation
	// Actions lists what was done, in the order it finished ("create load_balancer").
	Actions []string
}

// Options tune Apply.
type Options struct {
	// RollbackOnFailure cancels the actions still running when one fails,
	// then deletes every child this apply created, in reverse dependency
	// order, and returns a *RollbackError saying what was created, deleted
	// again and left (a protected database and what it needs). Create uses
	// it. Update does not: it keeps what exists and reports it.
	RollbackOnFailure bool
	// RollbackTimeout is the clean-up's own budget (DefaultRollbackTimeout
	// when zero). It starts when the rollback does, on a context detached
	// from the caller's, which has often expired by then.
	RollbackTimeout time.Duration
	// Reshape, when set, rebuilds the blueprint from what Observe found
	// before anything is planned: an evacuation decides from the zonal
	// groups as they are whether its shift waits for the others' raise
	// (blueprint.DecideShiftTiming), without a second observe.
	Reshape func(observed map[string]Observation) blueprint.Blueprint
}

// Apply reconciles the stack to the blueprint: creates what is missing
// (adopting children found by their ownership tags), updates what drifted or
// whose dependencies changed, replaces what AWS cannot change in place, and
// deletes orphans last.
func (e *Engine) Apply(ctx context.Context, bp blueprint.Blueprint, opts Options) (Result, error) {
	observed, err := e.Cloud.Observe(ctx, bp)
	if err != nil {
		return Result{}, fmt.Errorf("observing stack %s: %w", bp.Stack, err)
	}
	if opts.Reshape != nil {
		bp = opts.Reshape(observed)
	}
	apply, remove := Plan(bp, observed)
	run := &run{engine: e, refs: Refs{}}
	for _, a := range apply {
		if a.Current != nil {
			run.refs[a.Part.Key] = *a.Current
		}
	}
	byKey := map[string]Action{}
	nodes := make([]string, 0, len(apply))
	deps := map[string][]string{}
	for _, a := range apply {
		byKey[a.Part.Key] = a
		nodes = append(nodes, a.Part.Key)
		deps[a.Part.Key] = a.Part.DependsOn
	}
	// A create that will be rolled back cancels its siblings at the first
	// failure; an update lets them finish and keeps what they did.
	policy := finishRunning
	if opts.RollbackOnFailure {
		policy = cancelRunning
	}
	err = runGraph(ctx, nodes, deps, e.parallelism(), policy, func(ctx context.Context, key string) error {
		err := run.do(ctx, byKey[key])
		if err != nil && ctx.Err() != nil {
			run.interrupt()
		}
		return err
	})
	if err == nil {
		_, err = e.deleteAll(ctx, run, remove, "delete", finishRunning, nil)
	}
	if err == nil {
		err = notTaken(bp, run.snapshot())
	}
	if err != nil {
		if opts.RollbackOnFailure {
			report := e.rollback(ctx, run, cmp.Or(opts.RollbackTimeout, DefaultRollbackTimeout), bp, observed)
			report.Kept = keptChildren(apply)
			return Result{Actions: run.actions}, &RollbackError{Err: err, Report: report}
		}
		return Result{Observed: run.snapshot(), Actions: run.actions}, err
	}
	return Result{Observed: run.snapshot(), Actions: run.actions}, nil
}

// Destroy deletes every child of the stack in reverse dependency order. It
// refuses to start when any child is protected from deletion, so a protected
// database never leaves the stack half torn down.
func (e *Engine) Destroy(ctx context.Context, bp blueprint.Blueprint) (Result, error) {
	observed, err := e.Cloud.Observe(ctx, bp)
	if err != nil {
		return Result{}, fmt.Errorf("observing stack %s: %w", bp.Stack, err)
	}
	for _, key := range sortedKeys(observed) {
		if observed[key].Attrs["deletion_protection"] == "true" {
			return Result{}, fmt.Errorf("%w: %s %q", ErrDeletionProtected, key, observed[key].Name)
		}
	}
	var remove []Action
	for _, key := range sortedKeys(observed) {
		cur := observed[key]
		p, ok := bp.Part(key)
		if !ok {
			p = orphanPart(cur)
		}
		remove = append(remove, Action{Op: OpDelete, Part: p, Current: &cur})
	}
	run := &run{engine: e, refs: Refs{}}
	_, err = e.deleteAll(ctx, run, remove, "delete", finishRunning, nil)
	return Result{Actions: run.actions}, err
}

// deleteAll deletes children so that a child goes only after every child
// that depends on it (blueprint dependencies where known, kind order
// otherwise), independent ones in parallel. It records each deletion as
// "<label> <key>" and returns the node IDs (deleteID) of the children gone,
// with the error of each one that failed.
//
// A node in keep is not deleted: it ends with its keep error, as a failed
// delete does, so what it needs is skipped too (rollback keeps an available
// database this way).
func (e *Engine) deleteAll(ctx context.Context, r *run, remove []Action, label string, policy onFailure, keep map[string]error) (deleteOutcome, error) {
	out := deleteOutcome{deleted: map[string]bool{}, failed: map[string]error{}}
	if len(remove) == 0 {
		return out, nil
	}
	byKey := map[string]Action{}
	nodes := []string{}
	for _, a := range remove {
		id := deleteID(a)
		byKey[id] = a
		nodes = append(nodes, id)
	}
	// Reverse edges: a node waits for everything that must go before it.
	deps := map[string][]string{}
	for _, n := range nodes {
		for _, m := range nodes {
			if n != m && mustDeleteFirst(byKey[m], byKey[n]) {
				deps[n] = append(deps[n], m)
			}
		}
	}
	var mu sync.Mutex
	err := runGraph(ctx, nodes, deps, e.parallelism(), policy, func(ctx context.Context, id string) error {
		a := byKey[id]
		err, kept := keep[id]
		if !kept {
			err = e.Cloud.Delete(ctx, a.Part, *a.Current)
		}
		mu.Lock()
		defer mu.Unlock()
		if kept {
			out.failed[id] = err
			return err
		}
		if err != nil {
			err = fmt.Errorf("deleting %s (%s): %w", a.Part.Key, a.Current.Name, err)
			out.failed[id] = err
			return err
		}
		out.deleted[id] = true
		r.record(label + " " + a.Part.Key)
		return nil
	})
	return out, err
}

// deleteOutcome is what deleteAll did, by deleteID.
type deleteOutcome struct {
	deleted map[string]bool
	failed  map[string]error
}

// deleteID names a child to delete: a replaced child shares its key with the
// new one, so the name tells them apart.
func deleteID(a Action) string { return a.Part.Key + "#" + a.Current.Name }

// mustDeleteFirst reports whether a must be deleted before b: a depends on b
// in the blueprint, or (with no dependency information) a's kind uses b's.
func mustDeleteFirst(a, b Action) bool {
	if slices.Contains(a.Part.DependsOn, b.Part.Key) {
		return true
	}
	if b.Part.Props != nil && slices.Contains(b.Part.DependsOn, a.Part.Key) {
		return false
	}
	if a.Part.Props != nil && b.Part.Props != nil {
		return false // both desired: the blueprint's dependencies are complete
	}
	return deleteRank(a.Part.Kind) < deleteRank(b.Part.Kind)
}

func (e *Engine) parallelism() int {
	if e.Parallelism > 0 {
		return e.Parallelism
	}
	return DefaultParallelism
}

func (e *Engine) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

// run is the mutable state of one reconcile: the refs parts read, and the
// journal of what was created, so a failure can be rolled back.
type run struct {
	engine  *Engine
	mu      sync.Mutex
	refs    Refs
	journal []createdPart
	actions []string
	// interrupted: a part's action ended by cancellation or timeout, so a
	// create call may have reached AWS without its answer reaching us.
	interrupted bool
	// rollout serialises the group updates that roll out a new template
	// version (Action.Rollout): zone by zone, never in every zone at once.
	// Other group updates run in parallel.
	rollout sync.Mutex
}

type createdPart struct {
	part blueprint.Part
	obs  Observation
	// complete: the create returned without error, so the child is whole
	// (a database is available).
	complete bool
}

// completeObservation fills what a partial observation of a just-made child
// lacks from the part it was made for, so it can be deleted and reported.
func completeObservation(p blueprint.Part, o Observation) Observation {
	o.Kind = cmp.Or(o.Kind, p.Kind)
	o.Key = cmp.Or(o.Key, p.Key)
	o.Name = cmp.Or(o.Name, p.Name)
	return o
}

func (r *run) do(ctx context.Context, a Action) error {
	if a.Op == OpNone {
		return nil
	}
	refs := r.refsFor(a.Part)
	r.engine.logf("%s %s (%s)", a.Op, a.Part.Key, a.Part.Name)
	var (
		obs Observation
		err error
	)
	switch a.Op {
	case OpCreate, OpReplace:
		obs, err = r.engine.Cloud.Create(ctx, a.Part, refs)
		// Journal first: a child AWS made is ours even when the create
		// failed after it (Cloud.Create's contract), so rollback deletes it.
		if err == nil || obs.identifies() {
			obs = completeObservation(a.Part, obs)
			r.mu.Lock()
			r.journal = append(r.journal, createdPart{part: a.Part, obs: obs, complete: err == nil})
			r.mu.Unlock()
		}
	case OpUpdate:
		if a.Rollout {
			r.rollout.Lock()
			defer r.rollout.Unlock()
		}
		obs, err = r.engine.Cloud.Update(ctx, a.Part, *a.Current, refs)
	}
	if err != nil {
		if a.Op != OpUpdate && obs.identifies() {
			// Kept in the result too, so a failed update's state names it.
			r.mu.Lock()
			r.refs[a.Part.Key] = obs
			r.mu.Unlock()
		}
		return fmt.Errorf("%s %s (%s): %w", verb(a.Op), a.Part.Key, a.Part.Name, err)
	}
	r.mu.Lock()
	r.refs[a.Part.Key] = obs
	r.mu.Unlock()
	r.record(string(a.Op) + " " + a.Part.Key)
	return nil
}

func verb(op Op) string {
	switch op {
	case OpCreate:
		return "creating"
	case OpReplace:
		return "replacing"
	case OpUpdate:
		return "updating"
	}
	return "deleting"
}

func (r *run) refsFor(p blueprint.Part) Refs {
	r.mu.Lock()
	defer r.mu.Unlock()
	refs := Refs{}
	for _, d := range p.DependsOn {
		if o, ok := r.refs[d]; ok {
			refs[d] = o
		}
	}
	return refs
}

func (r *run) interrupt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.interrupted = true
}

func (r *run) wasInterrupted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.interrupted
}

func (r *run) record(action string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, action)
}

func (r *run) createdParts() []createdPart {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.journal)
}

func (r *run) snapshot() map[string]Observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(map[string]Observation(r.refs))
}

// Observe returns the stack's children as AWS holds them (read-only).
func (e *Engine) Observe(ctx context.Context, bp blueprint.Blueprint) (map[string]Observation, error) {
	observed, err := e.Cloud.Observe(ctx, bp)
	if err != nil {
		return nil, fmt.Errorf("observing stack %s: %w", bp.Stack, err)
	}
	return observed, nil
}
