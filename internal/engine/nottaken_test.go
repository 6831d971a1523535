package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

const droppedPolicy = "instance maintenance policy none, want 100-200% healthy"

// A create whose calls succeed while a child reports a setting other than
// the one asked for fails naming the child and the setting, and is rolled
// back like any failed create.
func TestCreateFailsNamingASettingNotTaken(t *testing.T) {
	f := newFakeCloud()
	key := blueprint.KeyFor(blueprint.KindAutoScalingGroup, "us-east-1b")
	f.dropped = map[string]string{key: droppedPolicy}
	// Without a database: a failed create keeps one that became available.
	spec := testSpec()
	spec.Database = nil
	bp := blueprint.Build(spec)
	_, err := (&Engine{Cloud: f}).Apply(context.Background(), bp, Options{RollbackOnFailure: true})
	var nt *NotTakenError
	if !errors.As(err, &nt) {
		t.Fatalf("Apply = %v, want a NotTakenError", err)
	}
	part, _ := bp.Part(key)
	want := key + " (" + part.Name + "): " + droppedPolicy
	if len(nt.Settings) != 1 || nt.Settings[0] != want || !strings.Contains(err.Error(), want) {
		t.Fatalf("settings not taken = %q, want [%q]", nt.Settings, want)
	}
	var rb *RollbackError
	if !errors.As(err, &rb) || len(rb.Report.RolledBack) != len(bp.Parts) {
		t.Fatalf("want every created child rolled back, got %v", err)
	}
	if left := f.childKeys(); len(left) != 0 {
		t.Fatalf("children left after the rollback: %v", left)
	}
}

// An update that does not take keeps what exists and returns the children
// as they are, so the state records the drift, and the error names it.
func TestUpdateFailsNamingASettingNotTaken(t *testing.T) {
	f, e, bp := appliedStack(t, testSpec())
	key := blueprint.KeyFor(blueprint.KindAutoScalingGroup, "us-east-1a")
	f.setDrift(key, "max size 2, want 3")
	f.dropped = map[string]string{key: "max size 2, want 3"}
	res, err := e.Apply(context.Background(), bp, Options{})
	var nt *NotTakenError
	if !errors.As(err, &nt) || !strings.Contains(err.Error(), "max size 2, want 3") {
		t.Fatalf("Apply = %v, want a NotTakenError naming the size", err)
	}
	if got := res.Observed[key].Drift; len(got) != 1 {
		t.Fatalf("observed drift of %s = %v, want the setting not taken", key, got)
	}
	if len(f.childKeys()) != len(bp.Parts) {
		t.Fatalf("an update that did not take deleted children: %v", f.childKeys())
	}
}
