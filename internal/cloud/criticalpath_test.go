package cloud

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	awsrecorder "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// slowDBDelay is how long the database answers "creating" (no endpoint) in
// TestFleetBesideSlowDatabase: real AWS takes 10 to 20 minutes for a
// multi-AZ instance, compressed here.
const slowDBDelay = 8 * time.Second

// slowDatabase makes one DB instance look like real AWS's: after
// CreateDBInstance, DescribeDBInstances answers "creating" without an
// endpoint until the delay has passed, then moto's answer goes through. It
// numbers every call, so a test can compare the order of events.
type slowDatabase struct {
	id    string
	delay time.Duration

	mu        sync.Mutex
	seq       int
	createdAt time.Time
	available int            // sequence number of the first describe let through after the delay; 0 = not yet
	first     map[string]int // action -> sequence number of its first call
}

func (s *slowDatabase) before(c awsrecorder.Call, w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	if _, seen := s.first[c.Action]; !seen {
		s.first[c.Action] = s.seq
	}
	switch c.Action {
	case "CreateDBInstance":
		s.createdAt = time.Now()
		return false
	case "DescribeDBInstances":
	default:
		return false
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	if s.createdAt.IsZero() || form.Get("DBInstanceIdentifier") != s.id || s.available > 0 {
		return false
	}
	if time.Since(s.createdAt) >= s.delay {
		s.available = s.seq
		return false
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult><DBInstances>`+
		`<DBInstance><DBInstanceIdentifier>%s</DBInstanceIdentifier><DBInstanceStatus>creating</DBInstanceStatus><Engine>postgres</Engine></DBInstance>`+
		`</DBInstances></DescribeDBInstancesResult><ResponseMetadata><RequestId>slow</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`, s.id)
	return true
}

// TestFleetBesideSlowDatabase creates a whole stack with the engine while the
// database takes slowDBDelay to become available: the launch template and
// every zonal group are created before the database is available, and the
// role policy (which names the database) after it. Before the fleet was
// taken off the database's path, the template waited for it.
func TestFleetBesideSlowDatabase(t *testing.T) {
	cfg, rec := recordedConfig(t)
	c := New(cfg, nil)
	spec := fullSpec("slowdb", env.Network(t, cfg))
	bp := blueprint.Build(spec)
	slow := &slowDatabase{id: bp.Stack, delay: slowDBDelay, first: map[string]int{}}
	if db, _ := bp.Part(blueprint.KeyDBInstance); db.Name != slow.id {
		t.Fatalf("database named %q, want %q", db.Name, slow.id)
	}
	rec.Before = slow.before
	e := &engine.Engine{Cloud: c, Logf: t.Logf}
	t.Cleanup(func() {
		rec.Before = nil
		if _, err := e.Destroy(context.Background(), bp); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
	start := time.Now()
	if _, err := e.Apply(t.Context(), bp, engine.Options{RollbackOnFailure: true}); err != nil {
		t.Fatal(err)
	}
	t.Logf("create took %s with the database %s in creating", time.Since(start).Round(100*time.Millisecond), slowDBDelay)

	slow.mu.Lock()
	defer slow.mu.Unlock()
	if slow.available == 0 {
		t.Fatal("the database was never let become available: the create did not wait for it")
	}
	for _, action := range []string{"CreateLaunchTemplate", "CreateAutoScalingGroup"} {
		if at, ok := slow.first[action]; !ok || at > slow.available {
			t.Errorf("first %s was call %d, the database became available at call %d: the fleet waited for the database", action, at, slow.available)
		}
	}
	if at := slow.first["PutRolePolicy"]; at < slow.available {
		t.Errorf("PutRolePolicy was call %d, before the database was available (call %d): the policy must name its ARN and secret", at, slow.available)
	}
}
