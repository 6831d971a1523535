package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// fakeCloud keeps children in memory. It checks that a part is only created
// once its dependencies exist and that a child is only deleted after the
// children depending on it are gone, and it can fail a chosen operation.
type fakeCloud struct {
	mu       sync.Mutex
	children map[string]Observation // by key + "#" + name
	deps     map[string][]string    // child id -> ids it was created with
	calls    []string
	failOn   string // "create <key>" etc.
	errs     []string
	active   atomic.Int32
	maxASG   atomic.Int32
	// onCreate, when set, runs (unlocked) before each create. A non-nil
	// error fails the create; made says whether AWS made the child first
	// (it is then kept and returned with the error, as Cloud.Create's
	// contract says).
	onCreate func(ctx context.Context, key string) (made bool, err error)
	// onDelete, when set, runs (unlocked) before each delete; a non-nil
	// error fails it.
	onDelete func(ctx context.Context, key string) error
	// deleted holds every observation Delete was called with.
	deleted []Observation
	// hidden keys are invisible to Observe, as a new child is to AWS's
	// eventually consistent reads.
	hidden map[string]bool
	// silent keys' failed creates return no observation even when the
	// child was made (a create interrupted before it could say).
	silent map[string]bool
	// onObserve, when set, runs (locked) at the start of each Observe with
	// the call's number, from 1.
	onObserve func(n int)
	observes  int
	// dropped keys' creates and updates succeed but the child reports the
	// drift given (a setting the service accepted and did not take).
	dropped map[string]string
	// onUpdate, when set, runs (unlocked) before each update; a non-nil
	// error fails it.
	onUpdate func(ctx context.Context, key string) error
}

func newFakeCloud() *fakeCloud {
	return &fakeCloud{children: map[string]Observation{}, deps: map[string][]string{}}
}

func childID(key, name string) string { return key + "#" + name }

func (f *fakeCloud) Observe(_ context.Context, bp blueprint.Blueprint) (map[string]Observation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "observe")
	if f.observes++; f.onObserve != nil {
		f.onObserve(f.observes)
	}
	out := map[string]Observation{}
	for _, o := range f.children {
		if o.Tags[blueprint.TagStack] != bp.Stack || f.hidden[o.Key] {
			continue
		}
		if prev, ok := out[o.Key]; ok {
			if p, desired := bp.Part(o.Key); desired && prev.Name == p.Name {
				continue // prefer the child with the desired name
			}
		}
		out[o.Key] = o
	}
	return out, nil
}

func (f *fakeCloud) Create(ctx context.Context, p blueprint.Part, refs Refs) (Observation, error) {
	var made bool
	var hookErr error
	if f.onCreate != nil {
		made, hookErr = f.onCreate(ctx, p.Key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "create "+p.Key)
	if f.failOn == "create "+p.Key {
		return Observation{}, fmt.Errorf("injected failure")
	}
	if hookErr != nil && !made {
		return Observation{}, hookErr
	}
	var deps []string
	for _, d := range p.DependsOn {
		r, ok := refs[d]
		if !ok {
			f.errs = append(f.errs, fmt.Sprintf("%s created before its dependency %s", p.Key, d))
			continue
		}
		deps = append(deps, childID(r.Key, r.Name))
	}
	o := Observation{Kind: p.Kind, Key: p.Key, Name: p.Name, ID: "id-" + p.Name, Tags: maps.Clone(p.Tags), Attrs: map[string]string{"version": "1"}}
	if d, ok := f.dropped[p.Key]; ok {
		o.Drift = []string{d}
	}
	id := childID(p.Key, p.Name)
	f.children[id] = o
	f.deps[id] = deps
	if hookErr != nil && f.silent[p.Key] {
		return Observation{}, hookErr
	}
	if hookErr != nil {
		// What a create that failed after AWS answered knows: the ID.
		return Observation{ID: o.ID}, hookErr
	}
	return o, nil
}

func (f *fakeCloud) Update(ctx context.Context, p blueprint.Part, cur Observation, refs Refs) (Observation, error) {
	if p.Kind == blueprint.KindAutoScalingGroup {
		if n := f.active.Add(1); n > f.maxASG.Load() {
			f.maxASG.Store(n)
		}
		defer f.active.Add(-1)
	}
	if f.onUpdate != nil {
		if err := f.onUpdate(ctx, p.Key); err != nil {
			return Observation{}, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "update "+p.Key)
	if f.failOn == "update "+p.Key {
		return Observation{}, fmt.Errorf("injected failure")
	}
	cur.Drift = nil
	if d, ok := f.dropped[p.Key]; ok {
		cur.Drift = []string{d}
	}
	f.children[childID(cur.Key, cur.Name)] = cur
	var deps []string // an updated child uses what it now references
	for _, r := range refs {
		deps = append(deps, childID(r.Key, r.Name))
	}
	f.deps[childID(cur.Key, cur.Name)] = deps
	return cur, nil
}

func (f *fakeCloud) Delete(ctx context.Context, p blueprint.Part, cur Observation) error {
	var hookErr error
	if f.onDelete != nil {
		hookErr = f.onDelete(ctx, cur.Key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "delete "+cur.Key+"#"+cur.Name)
	f.deleted = append(f.deleted, cur)
	if hookErr != nil {
		return hookErr
	}
	id := childID(cur.Key, cur.Name)
	for other, deps := range f.deps {
		if _, alive := f.children[other]; alive && slices.Contains(deps, id) {
			f.errs = append(f.errs, fmt.Sprintf("%s deleted while %s still uses it", id, other))
		}
	}
	delete(f.children, id)
	return nil
}

func (f *fakeCloud) callsWith(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, strings.TrimPrefix(c, prefix))
		}
	}
	slices.Sort(out)
	return out
}

// childKeys lists the keys of the children the fake holds.
func (f *fakeCloud) childKeys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var keys []string
	for _, o := range f.children {
		keys = append(keys, o.Key)
	}
	slices.Sort(keys)
	return keys
}

func (f *fakeCloud) resetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// setDrift marks a child as out of date, as an out-of-band change would.
func (f *fakeCloud) setDrift(key, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, o := range f.children {
		if o.Key == key {
			o.Drift = []string{why}
			f.children[id] = o
		}
	}
}

func (f *fakeCloud) remove(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, o := range f.children {
		if o.Key == key {
			delete(f.children, id)
		}
	}
}

// checkOrder fails t when the fake saw a call out of dependency order.
func (f *fakeCloud) checkOrder(t *testing.T) {
	t.Helper()
	if len(f.errs) > 0 {
		t.Errorf("ordering violations: %v", f.errs)
	}
}

// checkNothingLeft fails t when the fake still holds children, or saw a
// call out of dependency order.
func (f *fakeCloud) checkNothingLeft(t *testing.T) {
	t.Helper()
	if left := f.childKeys(); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	f.checkOrder(t)
}

// checkRolledBack fails t when a rollback's report does not list the
// part key among the children it rolled back.
func checkRolledBack(t *testing.T, rolledBack []Child, key string) {
	t.Helper()
	if !slices.ContainsFunc(rolledBack, func(c Child) bool { return c.Key == key }) {
		t.Errorf("rolled back %v, want %s", rolledBack, key)
	}
}
