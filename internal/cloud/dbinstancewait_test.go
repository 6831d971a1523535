package cloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	awsrecorder "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

func TestDBAvailability(t *testing.T) {
	pending := &rdstypes.PendingModifiedValues{DBInstanceClass: aws.String("db.t3.small")}
	for _, tc := range []struct {
		status      string
		pending     *rdstypes.PendingModifiedValues
		afterModify bool
		ready       bool
		stuck       bool
		state       string
	}{
		{status: "available", ready: true, state: "available"},
		{status: "storage-optimization", ready: true, state: "storage-optimization"},
		{status: "creating", state: "creating"},
		{status: "backing-up", state: "backing-up"},
		{status: "modifying", state: "modifying"},
		{status: "configuring-enhanced-monitoring", state: "configuring-enhanced-monitoring"},
		{status: "available", pending: pending, afterModify: true, state: "available, pending DBInstanceClass"},
		{status: "storage-optimization", pending: pending, afterModify: true, state: "storage-optimization, pending DBInstanceClass"},
		// Someone else's change left for the maintenance window is not ours to wait for.
		{status: "available", pending: pending, ready: true, state: "available"},
		{status: "available", pending: &rdstypes.PendingModifiedValues{}, afterModify: true, ready: true, state: "available"},
		{status: "stopped", stuck: true, state: "stopped"},
		{status: "stopping", stuck: true, state: "stopping"},
		{status: "storage-full", stuck: true, state: "storage-full"},
		{status: "failed", stuck: true, state: "failed"},
		{status: "incompatible-parameters", stuck: true, state: "incompatible-parameters"},
		{status: "incompatible-network", stuck: true, state: "incompatible-network"},
		{status: "incompatible-option-group", stuck: true, state: "incompatible-option-group"},
		{status: "incompatible-restore", stuck: true, state: "incompatible-restore"},
		{status: "incompatible-credentials", stuck: true, state: "incompatible-credentials"},
		{status: "inaccessible-encryption-credentials", stuck: true, state: "inaccessible-encryption-credentials"},
		{status: "insufficient-capacity", stuck: true, state: "insufficient-capacity"},
	} {
		name := tc.status
		if tc.pending != nil {
			name += fmt.Sprintf("/pending/afterModify=%t", tc.afterModify)
		}
		t.Run(name, func(t *testing.T) {
			db := &rdstypes.DBInstance{DBInstanceStatus: aws.String(tc.status), PendingModifiedValues: tc.pending}
			ready, state, err := dbAvailability(db, tc.afterModify)
			if ready != tc.ready || state != tc.state || errors.Is(err, errDBInstanceStuck) != tc.stuck {
				t.Errorf("dbAvailability = %t, %q, %v; want %t, %q, stuck %t", ready, state, err, tc.ready, tc.state, tc.stuck)
			}
			if tc.stuck && (err == nil || !strings.Contains(err.Error(), tc.status)) {
				t.Errorf("error %v does not name the state %s", err, tc.status)
			}
		})
	}
}

func TestUniqueSnapshotName(t *testing.T) {
	at := time.Date(2026, 12, 1, 23, 59, 7, 0, time.FixedZone("CET", 3600))
	long := strings.Repeat("a", 300)
	for base, want := range map[string]string{
		"shop-final":                    "shop-final-20261201225907",
		long:                            strings.Repeat("a", 240) + "-20261201225907",
		strings.Repeat("a", 239) + "-b": strings.Repeat("a", 239) + "-20261201225907", // no double hyphen after the cut
	} {
		got := uniqueSnapshotName(base, at)
		if got != want || len(got) > maxSnapshotIDLength || strings.Contains(got, "--") || strings.HasSuffix(got, "-") {
			t.Errorf("uniqueSnapshotName(%.20s...) = %q (%d chars), want %q", base, got, len(got), want)
		}
	}
}

// dbStates answers the first DescribeDBInstances calls for one instance
// with crafted states (real AWS's slow state machine), then lets calls
// reach moto. It counts the describe calls for that instance.
type dbStates struct {
	mu     sync.Mutex
	id     string
	states []dbState
	calls  int
}

type dbState struct {
	status, pendingClass string
	missing              bool
}

func (s *dbStates) before(c awsrecorder.Call, w http.ResponseWriter, r *http.Request) bool {
	if c.Action != "DescribeDBInstances" {
		return false
	}
	// Read the form without consuming the body the proxy forwards.
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if form, err := url.ParseQuery(string(body)); err != nil || form.Get("DBInstanceIdentifier") != s.id {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if len(s.states) == 0 {
		return false
	}
	st := s.states[0]
	s.states = s.states[1:]
	w.Header().Set("Content-Type", "text/xml")
	if st.missing {
		w.WriteHeader(http.StatusNotFound)
		_, _ = fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance %s not found.</Message></Error></ErrorResponse>`, s.id)
		return true
	}
	pending := ""
	if st.pendingClass != "" {
		pending = "<PendingModifiedValues><DBInstanceClass>" + st.pendingClass + "</DBInstanceClass></PendingModifiedValues>"
	}
	_, _ = fmt.Fprintf(w, `<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult><DBInstances>`+
		`<DBInstance><DBInstanceIdentifier>%s</DBInstanceIdentifier><DBInstanceStatus>%s</DBInstanceStatus><Engine>postgres</Engine>%s</DBInstance>`+
		`</DBInstances></DescribeDBInstancesResult><ResponseMetadata><RequestId>test</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`,
		s.id, st.status, pending)
	return true
}

func (s *dbStates) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// recordedDB makes a bare moto DB instance and a client whose calls go
// through a recorder that answers with states.
func recordedDB(t *testing.T, id string, states ...dbState) (dbInstances, *dbStates) {
	t.Helper()
	cfg, rec := recordedConfig(t)
	_, err := rds.NewFromConfig(cfg).CreateDBInstance(t.Context(), &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t3.micro"),
		AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("app"), MasterUserPassword: aws.String("not-a-secret-1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = rds.NewFromConfig(cfg).DeleteDBInstance(context.Background(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)})
	})
	s := &dbStates{id: id, states: states}
	rec.Before = s.before
	return dbInstances{New(cfg, nil)}, s
}

// TestDBInstanceWaits polls moto through states only real AWS shows.
func TestDBInstanceWaits(t *testing.T) {
	budget := func(t *testing.T) context.Context {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		t.Cleanup(cancel)
		return ctx
	}
	t.Run("storage-optimization is ready", func(t *testing.T) {
		states := make([]dbState, 100)
		for i := range states {
			states[i] = dbState{status: "storage-optimization"}
		}
		c, s := recordedDB(t, "wait-storage-opt", states...)
		db, err := c.waitDBInstanceAvailable(budget(t), "wait-storage-opt", dbUnchanged, nil)
		if err != nil || aws.ToString(db.DBInstanceStatus) != "storage-optimization" {
			t.Fatalf("wait through storage-optimization: %v (after %d describes)", err, s.count())
		}
	})
	t.Run("stopped fails at once", func(t *testing.T) {
		c, s := recordedDB(t, "wait-stopped", dbState{status: "stopped"}, dbState{status: "stopped"}, dbState{status: "stopped"})
		_, err := c.waitDBInstanceAvailable(budget(t), "wait-stopped", dbUnchanged, nil)
		if err == nil || !strings.Contains(err.Error(), "stopped") || s.count() != 1 {
			t.Fatalf("wait on a stopped instance: %v after %d describes, want an error naming the state after 1", err, s.count())
		}
	})
	t.Run("modification done when nothing is pending", func(t *testing.T) {
		c, s := recordedDB(t, "wait-pending",
			dbState{status: "available", pendingClass: "db.t3.small"}, dbState{status: "available", pendingClass: "db.t3.small"},
			dbState{status: "modifying", pendingClass: "db.t3.small"}, dbState{status: "available", pendingClass: "db.t3.small"})
		if _, err := c.waitDBInstanceAvailable(budget(t), "wait-pending", dbModified, nil); err != nil {
			t.Fatal(err)
		}
		if want := 4 + dbSettleCount; s.count() != want {
			t.Errorf("returned after %d describes, want %d (the crafted pending ones, then %d in a row from moto)", s.count(), want, dbSettleCount)
		}
	})
	// After a modification, "available" with nothing pending is believed at
	// once only when the asked settings show in effect; otherwise the reads
	// must span dbModifySettle (the modification may not have shown yet).
	t.Run("modification believed once the asked settings are in effect", func(t *testing.T) {
		c, s := recordedDB(t, "wait-in-effect")
		inEffect := func(db *rdstypes.DBInstance) bool { return aws.ToString(db.DBInstanceClass) == "db.t3.micro" }
		if _, err := c.waitDBInstanceAvailable(budget(t), "wait-in-effect", dbModified, inEffect); err != nil {
			t.Fatal(err)
		}
		if s.count() != dbSettleCount {
			t.Errorf("returned after %d describes, want %d (the asked class in effect from the first)", s.count(), dbSettleCount)
		}
	})
	t.Run("modification not believed while the asked settings are not in effect", func(t *testing.T) {
		c, s := recordedDB(t, "wait-not-in-effect")
		inEffect := func(db *rdstypes.DBInstance) bool { return aws.ToString(db.DBInstanceClass) == "db.t3.small" }
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		_, err := c.waitDBInstanceAvailable(ctx, "wait-not-in-effect", dbModified, inEffect)
		if err == nil || !strings.Contains(err.Error(), "has not shown yet") || s.count() <= dbSettleCount {
			t.Errorf("wait with the old class in effect: %v after %d describes, want it still waiting (the modification has not shown yet) after more than %d",
				err, s.count(), dbSettleCount)
		}
	})
	t.Run("a state is believed when seen in a row", func(t *testing.T) {
		c, s := recordedDB(t, "wait-settle",
			dbState{status: "available"}, dbState{status: "modifying"}, dbState{status: "available"}, dbState{status: "backing-up"})
		if _, err := c.waitDBInstanceAvailable(budget(t), "wait-settle", dbUnchanged, nil); err != nil {
			t.Fatal(err)
		}
		if want := 4 + dbSettleCount; s.count() != want {
			t.Errorf("returned after %d describes, want %d", s.count(), want)
		}
	})
	t.Run("deletion believed when gone in a row", func(t *testing.T) {
		c, s := recordedDB(t, "wait-deleted")
		if _, err := c.rds.DeleteDBInstance(t.Context(), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("wait-deleted"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		s.states = []dbState{{status: "deleting"}, {missing: true}, {status: "deleting"}}
		s.mu.Unlock()
		if err := c.waitDBInstanceDeleted(budget(t), "wait-deleted"); err != nil {
			t.Fatal(err)
		}
		if want := 3 + dbSettleCount; s.count() != want {
			t.Errorf("returned after %d describes, want %d", s.count(), want)
		}
	})
	t.Run("deletion fails on a state it does not pass through", func(t *testing.T) {
		c, s := recordedDB(t, "wait-delete-failed", dbState{status: "deleting"}, dbState{status: "failed"})
		err := c.waitDBInstanceDeleted(budget(t), "wait-delete-failed")
		if err == nil || !strings.Contains(err.Error(), "failed") || s.count() != 2 {
			t.Fatalf("deletion wait: %v after %d describes, want an error naming the state after 2", err, s.count())
		}
	})
}
