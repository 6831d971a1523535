package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

func testSpec() blueprint.Spec {
	return blueprint.Spec{
		Name: "shop", VPCID: "vpc-1", VPCCIDR: "10.0.0.0/16",
		AppSubnets:  []blueprint.Subnet{{ID: "subnet-a", Zone: "us-east-1a"}, {ID: "subnet-b", Zone: "us-east-1b"}, {ID: "subnet-c", Zone: "us-east-1c"}},
		LBSubnetIDs: []string{"subnet-pa", "subnet-pb", "subnet-pc"},
		Listener:    blueprint.ListenerSpec{HTTPPort: 80, HTTPSPort: 443},
		Instances:   blueprint.InstancesSpec{ImageID: "ami-1", InstanceType: "t3.small", Port: 8080},
		Capacity:    blueprint.CapacitySpec{Min: 3, Desired: 3, Max: 9},
		Scaling:     blueprint.ScalingSpec{Metric: blueprint.MetricCPU, Target: 50},
		Database:    &blueprint.DatabaseSpec{Engine: "postgres", Port: 5432},
	}
}

func allKeys(bp blueprint.Blueprint) []string {
	var keys []string
	for _, p := range bp.Parts {
		keys = append(keys, p.Key)
	}
	slices.Sort(keys)
	return keys
}

func TestApplyCreatesEveryPartAfterItsDependencies(t *testing.T) {
	f := newFakeCloud()
	bp := blueprint.Build(testSpec())
	res, err := (&Engine{Cloud: f}).Apply(context.Background(), bp, Options{RollbackOnFailure: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.errs) > 0 {
		t.Fatalf("ordering violations: %v", f.errs)
	}
	if diff := cmp.Diff(allKeys(bp), f.callsWith("create ")); diff != "" {
		t.Errorf("created parts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(allKeys(bp), sortedKeys(res.Observed)); diff != "" {
		t.Errorf("observed parts in result (-want +got):\n%s", diff)
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	f, e, bp := appliedStack(t, testSpec())
	f.resetCalls()
	if _, err := e.Apply(context.Background(), bp, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := f.callsWith(""); !slices.Equal(got, []string{"observe"}) {
		t.Errorf("second apply of an unchanged stack made calls %v, want only observe", got)
	}
}

func TestApplyUpdatesDriftAndDependents(t *testing.T) {
	cases := map[string]struct {
		drifted string
		want    []string
	}{
		"OneZoneGroup": {
			drifted: "autoscaling_group/us-east-1b",
			want:    []string{"autoscaling_group/us-east-1b", "scaling_policy/us-east-1b"},
		},
		"LaunchTemplateRollsToEveryZone": {
			drifted: blueprint.KeyLaunchTemplate,
			want: []string{
				"autoscaling_group/us-east-1a", "autoscaling_group/us-east-1b", "autoscaling_group/us-east-1c",
				blueprint.KeyLaunchTemplate,
				"scaling_policy/us-east-1a", "scaling_policy/us-east-1b", "scaling_policy/us-east-1c",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, e, bp := appliedStack(t, testSpec())
			f.resetCalls()
			f.setDrift(tc.drifted, "changed out of band")
			if _, err := e.Apply(context.Background(), bp, Options{}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, f.callsWith("update ")); diff != "" {
				t.Errorf("updated parts (-want +got):\n%s", diff)
			}
			if got := f.callsWith("create "); len(got) != 0 {
				t.Errorf("created %v, want nothing", got)
			}
			if f.maxASG.Load() > 1 {
				t.Errorf("%d zonal groups updated at once, want one zone at a time", f.maxASG.Load())
			}
		})
	}
}

func TestApplyRestoresDeletedGroup(t *testing.T) {
	f, e, bp := appliedStack(t, testSpec())
	f.resetCalls()
	f.remove("autoscaling_group/us-east-1c")
	if _, err := e.Apply(context.Background(), bp, Options{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"autoscaling_group/us-east-1c"}, f.callsWith("create ")); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
}

func TestApplyAdoptsWhatAKilledApplyLeft(t *testing.T) {
	f := newFakeCloud()
	bp := blueprint.Build(testSpec())
	e := &Engine{Cloud: f}
	// A first apply "killed" after the load balancer side was made: build a
	// partial blueprint of the first parts and apply only that.
	partial := blueprint.Blueprint{Stack: bp.Stack, Parts: bp.Parts[:6]}
	if _, err := e.Apply(context.Background(), partial, Options{}); err != nil {
		t.Fatal(err)
	}
	f.resetCalls()
	if _, err := e.Apply(context.Background(), bp, Options{RollbackOnFailure: true}); err != nil {
		t.Fatal(err)
	}
	created := f.callsWith("create ")
	for _, p := range partial.Parts {
		if slices.Contains(created, p.Key) {
			t.Errorf("%s was created again instead of adopted", p.Key)
		}
	}
	if want := len(bp.Parts) - len(partial.Parts); len(created) != want {
		t.Errorf("created %d parts, want %d", len(created), want)
	}
}

// Without a database, a failed create leaves nothing (with one, the
// database is kept once available: TestRollbackKeepsAnAvailableDatabase).
func TestFailedCreateRollsBackEverythingItCreated(t *testing.T) {
	f := newFakeCloud()
	f.failOn = "create autoscaling_group/us-east-1b"
	spec := testSpec()
	spec.Database = nil
	bp := blueprint.Build(spec)
	_, err := (&Engine{Cloud: f}).Apply(context.Background(), bp, Options{RollbackOnFailure: true})
	if err == nil {
		t.Fatal("want an error")
	}
	f.checkNothingLeft(t)
}

func TestFailedUpdateKeepsChildren(t *testing.T) {
	f, e, bp := appliedStack(t, testSpec())
	f.setDrift(blueprint.KeyLaunchTemplate, "user data")
	f.failOn = "update autoscaling_group/us-east-1a"
	res, err := e.Apply(context.Background(), bp, Options{})
	if err == nil {
		t.Fatal("want an error")
	}
	if len(f.children) != len(bp.Parts) {
		t.Errorf("children after failed update: %d, want %d", len(f.children), len(bp.Parts))
	}
	if _, ok := res.Observed[blueprint.KeyLoadBalancer]; !ok {
		t.Error("result of a failed update should still describe the children")
	}
}

func TestReplacementCreatesNewThenDeletesOld(t *testing.T) {
	spec := testSpec()
	f, e, _ := appliedStack(t, spec)
	oldTG := blueprint.NamesFor(spec).TargetGroup
	spec.Instances.Port = 9090 // the target group's port cannot change in place
	bp := blueprint.Build(spec)
	f.resetCalls()
	if _, err := e.Apply(context.Background(), bp, Options{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{blueprint.KeyTargetGroup}, f.callsWith("create ")); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{blueprint.KeyTargetGroup + "#" + oldTG}, f.callsWith("delete ")); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	if !slices.Contains(f.callsWith("update "), blueprint.KeyHTTPListener) {
		t.Error("listener should be updated to forward to the new target group")
	}
}

func TestOrphansAreDeleted(t *testing.T) {
	spec := testSpec()
	f, e, _ := appliedStack(t, spec)
	spec.AppSubnets = spec.AppSubnets[:2]
	spec.Database = nil
	f.resetCalls()
	// The cloud reports the template's user data (which names the database) as drift.
	f.setDrift(blueprint.KeyLaunchTemplate, "user data")
	if _, err := e.Apply(context.Background(), blueprint.Build(spec), Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"autoscaling_group/us-east-1c#shop-us-east-1c", "db_instance#shop", "db_subnet_group#shop",
		"instance_role_policy#shop-read-db-secret", "scaling_policy/us-east-1c#shop-us-east-1c-target-tracking",
		"security_group/db#shop-db",
	}
	if diff := cmp.Diff(want, f.callsWith("delete ")); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	f.checkOrder(t)
}

func TestDestroyDeletesInReverseDependencyOrder(t *testing.T) {
	f, e, bp := appliedStack(t, testSpec())
	if _, err := e.Destroy(context.Background(), bp); err != nil {
		t.Fatal(err)
	}
	f.checkNothingLeft(t)
}

func TestDestroyRefusesWhenDeletionProtected(t *testing.T) {
	f, e, bp := appliedStack(t, testSpec())
	for id, o := range f.children {
		if o.Key == blueprint.KeyDBInstance {
			o.Attrs["deletion_protection"] = "true"
			f.children[id] = o
		}
	}
	f.resetCalls()
	_, err := e.Destroy(context.Background(), bp)
	if !errors.Is(err, ErrDeletionProtected) {
		t.Fatalf("err = %v, want ErrDeletionProtected", err)
	}
	if got := f.callsWith("delete "); len(got) != 0 {
		t.Errorf("deleted %v before refusing", got)
	}
}

// TestApplyRunsIndependentPartsInParallel: the database (slow on AWS) is
// created while the load balancer is: the database's create waits until the
// load balancer's has started, which deadlocks (and times out) if the engine
// ran them one after the other.
func TestApplyRunsIndependentPartsInParallel(t *testing.T) {
	f := newFakeCloud()
	lbStarted := make(chan struct{})
	f.onCreate = func(_ context.Context, key string) (bool, error) {
		switch key {
		case blueprint.KeyLoadBalancer:
			close(lbStarted)
		case blueprint.KeyDBInstance:
			if err := within(lbStarted, "the load balancer was not created while the database was"); err != nil {
				t.Error(err)
			}
		}
		return false, nil
	}
	if _, err := (&Engine{Cloud: f}).Apply(context.Background(), blueprint.Build(testSpec()), Options{}); err != nil {
		t.Fatal(err)
	}
}

// appliedStack is a fake cloud holding the spec's stack, applied once.
func appliedStack(t *testing.T, spec blueprint.Spec) (*fakeCloud, *Engine, blueprint.Blueprint) {
	t.Helper()
	f := newFakeCloud()
	bp := blueprint.Build(spec)
	e := &Engine{Cloud: f}
	if _, err := e.Apply(context.Background(), bp, Options{}); err != nil {
		t.Fatal(err)
	}
	return f, e, bp
}

// overlapBudget bounds how long one surviving group's update waits for the
// other's to start. It only ends a run that would otherwise hang (the
// updates serialised); a passing run never waits for it.
const overlapBudget = time.Minute

// TestApplyEvacuatesADownZoneFirst: with the zone down, the shift is the
// apply's first action, the evacuated group comes after it, and the
// surviving groups' updates overlap (each waits inside its update until
// the other has started).
func TestApplyEvacuatesADownZoneFirst(t *testing.T) {
	f, e, _ := appliedStack(t, testSpec())
	f.resetCalls()
	spec := testSpec()
	spec.EnableZonalShift = true
	spec.EvacuateZones = []string{"us-east-1b"}
	spec.ZoneReadings = map[string]blueprint.ZoneReading{
		"us-east-1a": {InService: 1, Min: 1, Desired: 1},
		"us-east-1b": {Unhealthy: 1, Min: 1, Desired: 1},
		"us-east-1c": {InService: 1, Min: 1, Desired: 1},
	}
	bp := blueprint.Build(spec)
	started := map[string]chan struct{}{
		"autoscaling_group/us-east-1a": make(chan struct{}),
		"autoscaling_group/us-east-1c": make(chan struct{}),
	}
	other := map[string]string{"autoscaling_group/us-east-1a": "autoscaling_group/us-east-1c", "autoscaling_group/us-east-1c": "autoscaling_group/us-east-1a"}
	f.onUpdate = func(ctx context.Context, key string) error {
		ch, surviving := started[key]
		if !surviving {
			return nil
		}
		close(ch)
		select {
		case <-started[other[key]]:
			return nil
		case <-time.After(overlapBudget):
			return fmt.Errorf("%s's update did not start while %s's ran: the surviving groups are raised one at a time", other[key], key)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if _, err := e.Apply(context.Background(), bp, Options{}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	calls := slices.Clone(f.calls)
	f.mu.Unlock()
	first := slices.IndexFunc(calls, func(c string) bool { return c != "observe" })
	if first < 0 || calls[first] != "create zonal_shift/us-east-1b" {
		t.Fatalf("calls %v, want the zonal shift first", calls)
	}
	for _, c := range calls[:first] {
		if strings.Contains(c, "autoscaling_group") {
			t.Errorf("%s before the zonal shift", c)
		}
	}
	if !slices.Contains(calls, "update autoscaling_group/us-east-1b") {
		t.Errorf("calls %v: the evacuated group was not updated (its processes suspended)", calls)
	}
}

// TestApplyRaisesBeforeTheShiftWhenTheZoneIsUp: with the zone up and the
// zones left short of the load, the shift comes after the surviving
// groups, and the evacuated group after the shift.
func TestApplyRaisesBeforeTheShiftWhenTheZoneIsUp(t *testing.T) {
	f, e, _ := appliedStack(t, testSpec())
	f.resetCalls()
	f.setDrift("autoscaling_group/us-east-1a", "min size 1, want 2")
	f.setDrift("autoscaling_group/us-east-1c", "min size 1, want 2")
	spec := testSpec()
	spec.EnableZonalShift = true
	spec.EvacuateZones = []string{"us-east-1b"}
	healthy := blueprint.ZoneReading{InService: 1, Min: 1, Desired: 1}
	spec.ZoneReadings = map[string]blueprint.ZoneReading{"us-east-1a": healthy, "us-east-1b": healthy, "us-east-1c": healthy}
	if _, err := e.Apply(context.Background(), blueprint.Build(spec), Options{}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	calls := slices.Clone(f.calls)
	f.mu.Unlock()
	pos := func(c string) int {
		i := slices.Index(calls, c)
		if i < 0 {
			t.Fatalf("calls %v lack %q", calls, c)
		}
		return i
	}
	shift := pos("create zonal_shift/us-east-1b")
	if pos("update autoscaling_group/us-east-1a") > shift || pos("update autoscaling_group/us-east-1c") > shift {
		t.Errorf("calls %v: want the surviving groups raised before the shift", calls)
	}
	if pos("update autoscaling_group/us-east-1b") < shift {
		t.Errorf("calls %v: want the evacuated group after the shift", calls)
	}
}
