package ha

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// shortageTypes are the capacity suite's instances.instance_types, in
// priority order: the zone short of the first launches the second.
var shortageTypes = []string{"t3.small", "t3a.small"}

// failedCreateTimeout bounds the create that a zone short of every type
// fails. The provider waits on capacity refusals for DefaultCapacityWait
// (10 minutes, internal/cloud) and has no setting to shorten it, so the
// stack's own create timeout ends the wait instead: past the database's
// create in the sandbox (moto makes it available at once) and the other
// zones' boot, with the short zone still refused.
const failedCreateTimeout = "3m"

// capacityShortage (`make soak` only: it creates its own stack twice, about
// 8 minutes, far above what `make test` can add): a create while one zone
// is short of every listed type fails once its wait is spent and keeps its
// database; with the zone short of the first type only, the next apply
// adopts that database (no CreateDBInstance), completes with the zone on
// the second type and the others on the first, plans nothing, and serves a
// steady soak with no failed request. Sandbox only: the shortage is the
// sandbox's `short` fault (on AWS it would need FIS's
// aws:ec2:asg-insufficient-instance-capacity-error).
func capacityShortage(t *testing.T, sz size) figures {
	tg := e2e.NewStackTarget(t)
	if tg.Sandbox == nil {
		t.Skip("capacity shortage: needs a zone short of instance types (the sandbox's short fault; on AWS an FIS experiment)")
		return figures{}
	}
	ctx, sb := t.Context(), tg.Sandbox.Client()
	zone := secondZone(t, tg)
	name := e2e.StackName("hacap")
	dir := t.TempDir()
	vars := completeVars(tg, name)
	vars["instance_types"] = shortageTypes
	vars["timeouts"] = map[string]any{"create": failedCreateTimeout}
	opts := e2e.TreeOptionsIn(t, filepath.Join(dir, "tree"), "examples/complete", vars, tg.Env)
	defer func() {
		if err := sb.RecoverZone(e2e.Background(), zone); err != nil {
			t.Errorf("ending the shortage in %s: %v", zone, err)
		}
		terraform.DestroyContext(t, e2e.Background(), opts)
		e2e.AssertNothingLeft(t, tg, name)
	}()

	// (b) A zone short of every listed type: the create fails and keeps
	// its database.
	if err := sb.ShortZone(ctx, zone); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := terraform.InitAndApplyContextE(t, ctx, opts)
	took := time.Since(start).Round(time.Second)
	if err == nil {
		t.Fatalf("the create succeeded with %s short of every type %v", zone, shortageTypes)
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	logf(t, "create with %s short of every type failed after %s: %s", zone, took, msg)
	for _, want := range []string{"InsufficientInstanceCapacity", "kept"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failed create's error does not say %q", want)
		}
	}
	before := stackDB(ctx, t, tg, name)
	logf(t, "database kept: %s", before)

	// (a) The zone short of the first type only: the next apply adopts the
	// database and completes on the second type there.
	if err := sb.ShortZone(ctx, zone, shortageTypes[0]); err != nil {
		t.Fatal(err)
	}
	rec, err := recorder.Start(tg.Sandbox.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	delete(opts.Vars, "timeouts") // the provider's default: this create must not be cut short
	recorded := *opts
	recorded.EnvVars = maps.Clone(opts.EnvVars)
	recorded.EnvVars["AWS_ENDPOINT_URL"] = rec.URL
	start = time.Now()
	terraform.ApplyContext(t, ctx, &recorded)
	logf(t, "adopting apply took %s; its calls: %s", time.Since(start).Round(time.Second), rec.Summary())
	if n := rec.Counts()["rds:CreateDBInstance"]; n != 0 {
		t.Errorf("the adopting apply called CreateDBInstance %d times, want 0 (the kept database adopted)", n)
	}
	after := stackDB(ctx, t, tg, name)
	logf(t, "database after the adopting apply: %s", after)
	if after.ID != before.ID || after.ResourceID != before.ResourceID || !after.Created.Equal(before.Created) {
		t.Errorf("database after the adopting apply: %s, want the kept one: %s", after, before)
	}
	if code := terraform.PlanExitCodeContext(t, ctx, opts); code != 0 {
		t.Errorf("plan after the adopting apply exited %d, want 0 (no changes)", code)
	}

	test_structure.SaveTerraformOptions(t, dir, opts)
	test_structure.SaveString(t, dir, "name", name)
	s := openStack(t, tg, dir, sz)
	s.waitSteady(t, sz.Recover)
	types := typesByZone(ctx, t, s)
	logf(t, "instance types by zone: %v", types)
	for _, z := range s.zones {
		want := shortageTypes[0]
		if z == zone {
			want = shortageTypes[1]
		}
		if len(types[z]) == 0 || slices.ContainsFunc(types[z], func(got string) bool { return got != want }) {
			t.Errorf("zone %s runs %v, want only %s", z, types[z], want)
		}
	}
	f := steadyState(t, s)
	f.Suite = "capacity shortage"
	f.Note = "failed create " + took.String() + ", database kept and adopted; " + zone + " on " + shortageTypes[1]
	return f
}

// secondZone is the zone the suite makes short: the second of the region's
// zones, one examples/complete's network puts a group in.
func secondZone(t *testing.T, tg *e2e.Target) string {
	t.Helper()
	out, err := ec2.NewFromConfig(tg.AWS).DescribeAvailabilityZones(t.Context(), &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AvailabilityZones) < 3 {
		t.Fatalf("the region has %d zones, want 3", len(out.AvailabilityZones))
	}
	return aws.ToString(out.AvailabilityZones[1].ZoneName)
}

// dbIdentity is what says a database is the same one: its identifier, its
// resource ID (never reused on AWS; moto gives every database the same one,
// so in the sandbox the creation time and the absence of CreateDBInstance
// carry the proof) and its creation time.
type dbIdentity struct {
	ID, ResourceID string
	Created        time.Time
}

func (d dbIdentity) String() string {
	return d.ID + " (" + d.ResourceID + ", created " + d.Created.UTC().Format(time.RFC3339) + ")"
}

// stackDB is the one database tagged as the stack's, through the RDS API.
func stackDB(ctx context.Context, t *testing.T, tg *e2e.Target, name string) dbIdentity {
	t.Helper()
	var found []dbIdentity
	p := rds.NewDescribeDBInstancesPaginator(rds.NewFromConfig(tg.AWS), &rds.DescribeDBInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("describing DB instances: %v", err)
		}
		for _, db := range page.DBInstances {
			for _, tag := range db.TagList {
				if aws.ToString(tag.Key) == e2e.TagStack && aws.ToString(tag.Value) == name {
					found = append(found, dbIdentity{aws.ToString(db.DBInstanceIdentifier), aws.ToString(db.DbiResourceId), aws.ToTime(db.InstanceCreateTime)})
				}
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("DB instances tagged %s=%s: %v, want exactly one", e2e.TagStack, name, found)
	}
	return found[0]
}

// typesByZone are the instance types the stack's groups run, by zone, as
// EC2 describes their instances (the type an instance was launched as).
func typesByZone(ctx context.Context, t *testing.T, s *stack) map[string][]string {
	t.Helper()
	zoneOf := map[string]string{}
	var ids []string
	for zone, g := range s.groups(ctx, t) {
		for _, i := range g.Instances {
			zoneOf[aws.ToString(i.InstanceId)] = zone
			ids = append(ids, aws.ToString(i.InstanceId))
		}
	}
	out := map[string][]string{}
	if len(ids) == 0 {
		return out
	}
	res, err := ec2.NewFromConfig(s.tg.AWS).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Reservations {
		for _, i := range r.Instances {
			zone := zoneOf[aws.ToString(i.InstanceId)]
			out[zone] = append(out[zone], string(i.InstanceType))
		}
	}
	return out
}
