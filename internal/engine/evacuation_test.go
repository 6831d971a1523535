package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

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
