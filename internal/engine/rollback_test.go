package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// rollbackOf applies the test stack with rollback and returns the rollback
// report of the failure the fake was set up to cause.
func rollbackOf(t *testing.T, ctx context.Context, f *fakeCloud, opts Options) *RollbackError {
	t.Helper()
	opts.RollbackOnFailure = true
	_, err := (&Engine{Cloud: f}).Apply(ctx, blueprint.Build(testSpec()), opts)
	var rb *RollbackError
	if !errors.As(err, &rb) {
		t.Fatalf("Apply error = %v, want a *RollbackError", err)
	}
	return rb
}

// checkRollbackFindsDB applies the test stack with rollback and checks that
// the rollback found the database the fake made (though its create did not
// report it), deleted it, and left nothing, in dependency order.
func checkRollbackFindsDB(t *testing.T, f *fakeCloud) {
	t.Helper()
	rb := rollbackOf(t, context.Background(), f, Options{})
	f.checkNothingLeft(t)
	checkRolledBack(t, rb.Report.RolledBack, blueprint.KeyDBInstance)
}

// within waits up to ten seconds for ch to close, as the tests' fakes do for
// what should happen alongside them; past that it answers an error saying
// what did not happen (a deadlock, where the engine ran things one by one).
func within(ch <-chan struct{}, notHappened string) error {
	select {
	case <-ch:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New(notHappened)
	}
}

func keysOf[T any](items []T, key func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = key(it)
	}
	slices.Sort(out)
	return out
}

// A create that fails after AWS made the child (the security group exists,
// but reading it back failed) still journals it: rollback deletes it with
// the ID the create returned, and the error says so.
func TestFailedCreateOfAChildAWSMadeIsRolledBack(t *testing.T) {
	f := newFakeCloud()
	// Not yet visible to reads: only the create's own answer knows it.
	f.hidden = map[string]bool{blueprint.KeyDBSecurityGroup: true}
	f.onCreate = madeButFailedWith(blueprint.KeyDBSecurityGroup, "reading security group sg-db: not found")
	rb := rollbackOf(t, context.Background(), f, Options{})
	if left := f.childKeys(); len(left) != 0 {
		t.Errorf("left behind after rollback: %v", left)
	}
	i := slices.IndexFunc(f.deleted, func(o Observation) bool { return o.Key == blueprint.KeyDBSecurityGroup })
	if i < 0 || f.deleted[i].ID != "id-shop-db" {
		t.Fatalf("the half-created security group was not deleted by its ID; deletes: %v", f.deleted)
	}
	want := "security_group/db (shop-db, id-shop-db)"
	if !slices.ContainsFunc(rb.Report.RolledBack, func(c Child) bool { return c.String() == want }) {
		t.Errorf("rolled back %v, want it to list %s", rb.Report.RolledBack, want)
	}
	if msg := rb.Error(); !strings.Contains(msg, "deleted again") || !strings.Contains(msg, want) || !strings.Contains(msg, "left: 0") {
		t.Errorf("error message does not say the security group was deleted again and nothing is left:\n%s", msg)
	}
}

// A create interrupted before it could report its child (here: no
// observation with its error) still made it, tagged with the stack: the
// rollback looks for such children and deletes them too.
func TestRollbackFindsChildrenCreatesDidNotReport(t *testing.T) {
	f := newFakeCloud()
	f.silent = map[string]bool{blueprint.KeyDBInstance: true}
	f.onCreate = madeButFailedWith(blueprint.KeyDBInstance, "waiting for DB instance (shop): context canceled")
	checkRollbackFindsDB(t, f)
}

// A create call cut by the cancellation may complete at AWS only after the
// rollback's first look: after an interrupted create the rollback looks
// until the children settle, then deletes what it found in dependency order.
func TestRollbackWaitsForInterruptedCreatesToSettle(t *testing.T) {
	f := newFakeCloud()
	f.silent = map[string]bool{blueprint.KeyDBInstance: true}
	f.hidden = map[string]bool{blueprint.KeyDBInstance: true}
	f.onObserve = func(n int) {
		if n == 3 { // the apply's look, the rollback's first, then its second
			delete(f.hidden, blueprint.KeyDBInstance)
		}
	}
	dbStarted := make(chan struct{})
	f.onCreate = func(ctx context.Context, key string) (bool, error) {
		switch key {
		case blueprint.KeyDBInstance:
			close(dbStarted)
			<-ctx.Done() // the create call was sent; its answer never came
			return true, fmt.Errorf("creating DB instance (shop): %w", ctx.Err())
		case blueprint.KeyLoadBalancer:
			<-dbStarted
			return false, errors.New("load balancer quota exceeded")
		}
		return false, nil
	}
	checkRollbackFindsDB(t, f)
}

// Rollback deletes independent children at once: the database and the role
// need nothing of each other, and each one's
// delete goes on only while the other's is under way, which deadlocks (and
// times out) if rollback deleted one child at a time. The fake checks that
// nothing goes while something still uses it.
func TestRollbackDeletesInParallelWhereTheGraphAllows(t *testing.T) {
	f := newFakeCloud()
	// The database is made but never becomes available (so the rollback
	// deletes it), while the role already exists (the fleet no longer waits
	// for the database).
	f.onCreate = madeButFailed(blueprint.KeyDBInstance)
	dbStarted, roleStarted := make(chan struct{}), make(chan struct{})
	meet := func(mine, other chan struct{}, what string) error {
		close(mine)
		return within(other, what+" was not deleted while the other was")
	}
	f.onDelete = func(_ context.Context, key string) error {
		switch key {
		case blueprint.KeyDBInstance:
			return meet(dbStarted, roleStarted, "the instance role")
		case blueprint.KeyInstanceRole:
			return meet(roleStarted, dbStarted, "the database")
		}
		return nil
	}
	rb := rollbackOf(t, context.Background(), f, Options{})
	if len(rb.Report.Left) != 0 || len(f.childKeys()) != 0 {
		t.Errorf("left after rollback: %v (fake holds %v)", rb.Report.Left, f.childKeys())
	}
	f.checkOrder(t)
	if diff := cmp.Diff(keysOf(rb.Report.Created, func(c Child) string { return c.Key }), keysOf(rb.Report.RolledBack, func(c Child) string { return c.Key })); diff != "" {
		t.Errorf("created vs rolled back (-created +rolled back):\n%s", diff)
	}
}

// When one create fails, the creates still running are cancelled (the
// database need not finish its twenty minutes), and what they had made
// already is rolled back too.
func TestFailedCreateCancelsSiblingsAndRollsBackWhatTheyMade(t *testing.T) {
	f := newFakeCloud()
	dbStarted := make(chan struct{})
	f.onCreate = func(ctx context.Context, key string) (bool, error) {
		switch key {
		case blueprint.KeyDBInstance:
			// CreateDBInstance answered; now waiting for "available".
			close(dbStarted)
			if err := within(ctx.Done(), "the database's create was not cancelled when a sibling failed"); err != nil {
				return true, err
			}
			return true, fmt.Errorf("waiting for DB instance (shop): %w", ctx.Err())
		case blueprint.KeyLoadBalancer:
			<-dbStarted
			return false, errors.New("load balancer quota exceeded")
		}
		return false, nil
	}
	rb := rollbackOf(t, context.Background(), f, Options{})
	if msg := rb.Err.Error(); !strings.Contains(msg, "load balancer quota exceeded") || strings.Contains(msg, "not cancelled") || strings.Contains(msg, "context canceled") {
		t.Errorf("create error = %q, want only the load balancer's failure", msg)
	}
	if !slices.ContainsFunc(rb.Report.RolledBack, func(c Child) bool { return c.Key == blueprint.KeyDBInstance }) {
		t.Errorf("the cancelled database was not rolled back: %v", rb.Report.RolledBack)
	}
	if left := f.childKeys(); len(left) != 0 {
		t.Errorf("left behind after rollback: %v", left)
	}
}

// A database with deletion protection on cannot be deleted: rollback tries
// it once, leaves it with exactly what it needs (AWS refuses to delete those
// while it exists), deletes everything else, and says what is left and why.
func TestRollbackLeavesDeletionProtectedDatabaseAndWhatItNeeds(t *testing.T) {
	f := newFakeCloud()
	// Made, but never available: the rollback tries to delete it.
	f.onCreate = madeButFailed(blueprint.KeyDBInstance)
	f.onDelete = func(_ context.Context, key string) error {
		if key == blueprint.KeyDBInstance {
			return fmt.Errorf("deleting DB instance (shop): %w", ErrDeletionProtected)
		}
		return nil
	}
	rb := rollbackOf(t, context.Background(), f, Options{})
	want := databaseAndWhatItNeeds()
	if diff := cmp.Diff(want, keysOf(rb.Report.Left, func(l LeftChild) string { return l.Key })); diff != "" {
		t.Errorf("left (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, f.childKeys()); diff != "" {
		t.Errorf("children in the cloud after rollback (-want +got):\n%s", diff)
	}
	if got := f.callsWith("delete " + blueprint.KeyDBInstance); len(got) != 1 {
		t.Errorf("the protected database's delete was tried %d times, want once", len(got))
	}
	for _, k := range want {
		if k != blueprint.KeyDBInstance && len(f.callsWith("delete "+k+"#")) != 0 {
			t.Errorf("%s: delete tried while the database still needs it", k)
		}
	}
	for _, l := range rb.Report.Left {
		if (l.Key == blueprint.KeyDBInstance) != l.Protected || l.Err != nil {
			t.Errorf("%s: protected %t, err %v", l.Key, l.Protected, l.Err)
		}
	}
	msg := rb.Error()
	for _, s := range []string{
		"db_instance (shop, id-shop): deletion protection is on",
		"security_group/db (shop-db, id-shop-db): still used by db_instance",
		"db_subnet_group (shop, id-shop): still used by db_instance",
		"left: 5",
	} {
		if !strings.Contains(msg, s) {
			t.Errorf("error message lacks %q:\n%s", s, msg)
		}
	}
	f.checkOrder(t)
}

// The rollback runs on its own budget, fit for a database delete, even
// when the apply's context expired (here: a create outlived it).
func TestRollbackHasItsOwnDeadlineAfterTheApplyExpired(t *testing.T) {
	f := newFakeCloud()
	f.onCreate = func(ctx context.Context, key string) (bool, error) {
		if key == blueprint.KeyFor(blueprint.KindAutoScalingGroup, "us-east-1b") {
			<-ctx.Done()
			return false, ctx.Err()
		}
		return false, nil
	}
	var (
		mu       sync.Mutex
		problems []string
		earliest time.Time
	)
	f.onDelete = func(ctx context.Context, key string) error {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			problems = append(problems, key+": "+ctx.Err().Error())
		}
		d, ok := ctx.Deadline()
		if !ok {
			problems = append(problems, key+": no deadline")
		} else if earliest.IsZero() || d.Before(earliest) {
			earliest = d
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	rb := rollbackOf(t, ctx, f, Options{})
	if !errors.Is(rb, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the apply's deadline", rb)
	}
	if len(problems) > 0 {
		t.Errorf("deletes ran on a spent context: %v", problems)
	}
	// hashicorp/aws gives a database delete 60 minutes.
	if min := start.Add(59 * time.Minute); earliest.Before(min) {
		t.Errorf("rollback deadline %s after start, want about an hour", earliest.Sub(start))
	}
	// The database became available before the apply expired: kept.
	if diff := cmp.Diff(databaseAndWhatItNeeds(), f.childKeys()); diff != "" {
		t.Errorf("left behind after rollback (-want +got):\n%s", diff)
	}
}

// databaseAndWhatItNeeds are the children a rollback that cannot or must
// not delete the database leaves: AWS refuses to delete the others while
// it exists.
func databaseAndWhatItNeeds() []string {
	want := []string{
		blueprint.KeyALBSecurityGroup, // the app group's rule references it
		blueprint.KeyAppSecurityGroup, // the database group's rule references it
		blueprint.KeyDBSecurityGroup, blueprint.KeyDBInstance, blueprint.KeyDBSubnetGroup,
	}
	slices.Sort(want)
	return want
}

// madeButFailed makes the fake's create of key fail after AWS made the
// child, as a database that never becomes available does.
func madeButFailed(key string) func(context.Context, string) (bool, error) {
	return madeButFailedWith(key, key+": the instance went to status failed")
}

// madeButFailedWith makes the fake's create of key fail with msg after AWS
// made the child; the other creates succeed.
func madeButFailedWith(key, msg string) func(context.Context, string) (bool, error) {
	return func(_ context.Context, k string) (bool, error) {
		if k == key {
			return true, errors.New(msg)
		}
		return false, nil
	}
}

// A failed create keeps a database that had become available (making it
// again costs 15 to 30 minutes): its delete is never tried, it stays with
// what it needs, everything else goes, the error says so, and the next
// apply adopts it instead of making another.
func TestRollbackKeepsAnAvailableDatabase(t *testing.T) {
	f := newFakeCloud()
	// A zone short of capacity fails its group after the database is up.
	f.failOn = "create " + blueprint.KeyFor(blueprint.KindAutoScalingGroup, "us-east-1b")
	rb := rollbackOf(t, context.Background(), f, Options{})
	want := databaseAndWhatItNeeds()
	if diff := cmp.Diff(want, f.childKeys()); diff != "" {
		t.Errorf("children in the cloud after rollback (-want +got):\n%s", diff)
	}
	if got := f.callsWith("delete " + blueprint.KeyDBInstance); len(got) != 0 {
		t.Errorf("the available database's delete was tried: %v", got)
	}
	for _, l := range rb.Report.Left {
		if (l.Key == blueprint.KeyDBInstance) != l.Kept || l.Err != nil || l.Protected {
			t.Errorf("%s: kept %t, protected %t, err %v", l.Key, l.Kept, l.Protected, l.Err)
		}
	}
	if msg := rb.Error(); !strings.Contains(msg, "db_instance (shop, id-shop): kept: it had become available, and the next apply adopts it") {
		t.Errorf("the error does not say the database was kept:\n%s", msg)
	}

	f.failOn = ""
	f.resetCalls()
	if _, err := (&Engine{Cloud: f}).Apply(context.Background(), blueprint.Build(testSpec()), Options{RollbackOnFailure: true}); err != nil {
		t.Fatalf("the next apply: %v", err)
	}
	if got := f.callsWith("create " + blueprint.KeyDBInstance); len(got) != 0 {
		t.Errorf("the next apply made the database again: %v", got)
	}
	if got := f.callsWith("create " + blueprint.KeyFor(blueprint.KindAutoScalingGroup, "us-east-1b")); len(got) != 1 {
		t.Errorf("the next apply did not create the failed group: %v", got)
	}
	f.checkOrder(t)
}
