package cloud

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
)

var timeSuffix = regexp.MustCompile(`-[0-9]{14}$`)

// TestDatabaseDeletion covers deletion protection and final snapshots,
// including an orphan database, which always gets "<id>-final", and a
// stack destroyed again after an earlier destroy left "<id>-final" behind:
// that one stays, and the new one gets a time suffix.
func TestDatabaseDeletion(t *testing.T) {
	ctx := t.Context()
	cfg := testConfig(t, nil)
	c := New(cfg, nil)
	rdsc := rds.NewFromConfig(cfg)
	n := env.Network(t, cfg)
	for _, tc := range []struct {
		name                   string
		skip, orphan, leftOver bool
		snapshots              string // the manual snapshots expected, sorted; "-final-<time>" stands for the suffix
	}{
		{name: "db-snap", snapshots: "db-snap-final"},
		{name: "db-skip", skip: true},
		{name: "db-orphan", orphan: true, snapshots: "db-orphan-final"},
		{name: "db-again", leftOver: true, snapshots: "db-again-final db-again-final-<time>"},
		{name: "db-orphan-again", orphan: true, leftOver: true, snapshots: "db-orphan-again-final db-orphan-again-final-<time>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := fullSpec(tc.name, n)
			spec.Database.DeletionProtection = true
			spec.Database.SkipFinalSnapshot = tc.skip
			bp := blueprint.Build(spec)
			refs := engine.Refs{}
			for _, key := range []string{blueprint.KeyALBSecurityGroup, blueprint.KeyAppSecurityGroup, blueprint.KeyDBSecurityGroup, blueprint.KeyDBSubnetGroup, blueprint.KeyDBInstance} {
				p, _ := bp.Part(key)
				o, err := c.Create(ctx, p, refs)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				refs[key] = o
			}
			p, _ := bp.Part(blueprint.KeyDBInstance)
			db := refs[blueprint.KeyDBInstance]
			if db.Attrs["deletion_protection"] != "true" {
				t.Errorf("deletion_protection attribute %q, want true", db.Attrs["deletion_protection"])
			}
			err := c.Delete(ctx, p, db)
			if !errors.Is(err, ErrDeletionProtected) || !strings.Contains(err.Error(), "database.deletion_protection = false") {
				t.Fatalf("Delete of a protected database: %v, want ErrDeletionProtected telling what to do", err)
			}
			spec.Database.DeletionProtection = false
			p, _ = blueprint.Build(spec).Part(blueprint.KeyDBInstance)
			if db, err = c.Update(ctx, p, db, refs); err != nil {
				t.Fatal(err)
			}
			if db.Attrs["deletion_protection"] != "false" {
				t.Errorf("deletion_protection after update %q, want false", db.Attrs["deletion_protection"])
			}
			if tc.orphan {
				p = blueprint.Part{Kind: p.Kind, Key: p.Key, Name: p.Name}
			}
			if tc.leftOver {
				// What an earlier destroy of a stack of the same name left behind.
				if _, err := rdsc.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(tc.name), DBSnapshotIdentifier: aws.String(tc.name + "-final")}); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Delete(ctx, p, db); err != nil {
				t.Fatal(err)
			}
			snaps, err := rdsc.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(tc.name), SnapshotType: aws.String("manual")})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range snaps.DBSnapshots {
				got = append(got, timeSuffix.ReplaceAllString(aws.ToString(s.DBSnapshotIdentifier), "-<time>"))
			}
			slices.Sort(got)
			if strings.Join(got, " ") != tc.snapshots {
				t.Errorf("manual snapshots %q, want %q", got, tc.snapshots)
			}
			for i := len(bp.Parts) - 1; i >= 0; i-- {
				if o, ok := refs[bp.Parts[i].Key]; ok && bp.Parts[i].Key != blueprint.KeyDBInstance {
					if err := c.Delete(ctx, bp.Parts[i], o); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// TestDBStorageAutoscalingOff sets max_allocated_storage equal to
// allocated_storage, which turns storage autoscaling off: CreateDBInstance
// must not carry it (AWS refuses an equal maximum, modelled by the strict
// layer's validation rule), AWS then reports no maximum, which is not drift,
// and turning autoscaling off on a database that has it sets the maximum to
// the allocated storage.
func TestDBStorageAutoscalingOff(t *testing.T) {
	_, n := testNetwork(t)
	c, _, layer := behindStrict(t, strict.Options{Rules: map[strict.Rule]bool{strict.Validation: true}})
	ctx := t.Context()
	dbKeys := []string{blueprint.KeyALBSecurityGroup, blueprint.KeyAppSecurityGroup, blueprint.KeyDBSecurityGroup, blueprint.KeyDBSubnetGroup, blueprint.KeyDBInstance}
	build := func(name string, maxStorage int32) blueprint.Blueprint {
		spec := fullSpec(name, n)
		spec.Database.MultiAZ, spec.Database.BackupRetentionDays = false, 0
		spec.Database.SkipFinalSnapshot, spec.Database.MaxAllocatedStorage = true, maxStorage
		return blueprint.Build(spec)
	}
	create := func(bp blueprint.Blueprint) (engine.Observation, engine.Refs) {
		t.Helper()
		refs := engine.Refs{}
		for _, key := range dbKeys {
			p, _ := bp.Part(key)
			o, err := c.Create(ctx, p, refs)
			if err != nil {
				t.Fatalf("%s: %v (strict layer: %s)", key, err, layer.Layer.Summary())
			}
			refs[key] = o
		}
		t.Cleanup(func() {
			for i := len(dbKeys) - 1; i >= 0; i-- {
				key := dbKeys[i]
				p, _ := bp.Part(key)
				if err := c.Delete(context.Background(), p, refs[key]); err != nil {
					t.Errorf("deleting %s: %v", key, err)
				}
			}
		})
		return refs[blueprint.KeyDBInstance], refs
	}

	off := build("db-autoscale-off", 20)
	db, _ := create(off)
	if len(db.Drift) > 0 {
		t.Errorf("drift right after create with autoscaling off: %v", db.Drift)
	}
	obs, err := c.Observe(ctx, off)
	if err != nil {
		t.Fatal(err)
	}
	o := obs[blueprint.KeyDBInstance]
	if len(o.Drift) > 0 {
		t.Errorf("refresh of a database with autoscaling off shows drift: %v", o.Drift)
	}
	if got := o.Props.(blueprint.DBInstanceProps).MaxAllocatedStorage; got != 20 {
		t.Errorf("observed max_allocated_storage %d, want 20 (absent reads as allocated_storage)", got)
	}

	on := build("db-autoscale-on", 100)
	db, refs := create(on)
	p, _ := build("db-autoscale-on", 20).Part(blueprint.KeyDBInstance)
	if db, err = c.Update(ctx, p, db, refs); err != nil {
		t.Fatalf("turning storage autoscaling off: %v", err)
	}
	if len(db.Drift) > 0 {
		t.Errorf("drift after turning autoscaling off: %v", db.Drift)
	}
}

// TestDBMaxStorageAbsentIsAllocated reads a database as AWS reports it with
// storage autoscaling off (no MaxAllocatedStorage) and on.
func TestDBMaxStorageAbsentIsAllocated(t *testing.T) {
	props := blueprint.DBInstanceProps{DatabaseSpec: blueprint.DatabaseSpec{Engine: "postgres", AllocatedStorage: 20, MaxAllocatedStorage: 20}}
	db := &rdstypes.DBInstance{Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(20)}
	for _, d := range dbInstanceDrift(db, props, engine.Refs{}) {
		if strings.Contains(d, "max storage") {
			t.Errorf("autoscaling off as wanted, drift %q", d)
		}
	}
	if got := dbInstanceProps(db, engine.Refs{}).MaxAllocatedStorage; got != 20 {
		t.Errorf("read max_allocated_storage %d, want 20", got)
	}
	db.MaxAllocatedStorage = aws.Int32(100)
	if !strings.Contains(strings.Join(dbInstanceDrift(db, props, engine.Refs{}), "; "), "want storage autoscaling off") {
		t.Errorf("autoscaling on, wanted off: no drift")
	}
}

// TestDBInstanceWaitsOutlastRDSLag creates and modifies a database behind
// the strict layer's db-lag rule: a new instance is not found by its
// identifier for a while (the create's wait must not end there), and a
// modification shows as "available" with nothing pending and the settings
// from before the call before it turns "modifying" (the wait must not
// believe that "available"). The wait may end as soon as the asked settings
// show in effect, which the layer, as AWS, shows only once the modifying
// window is over.
func TestDBInstanceWaitsOutlastRDSLag(t *testing.T) {
	opts := strict.Options{Rules: map[strict.Rule]bool{strict.DBLag: true, strict.DBStates: true},
		DBLag: 2 * time.Second, DBCreating: 2 * time.Second, DBModifying: 2 * time.Second}
	c, _, layer := behindStrict(t, opts)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	n := env.Network(t, testConfig(t, nil))
	build := func(class string) blueprint.Blueprint {
		spec := fullSpec("db-lag", n)
		spec.Database.MultiAZ, spec.Database.BackupRetentionDays, spec.Database.SkipFinalSnapshot = false, 0, true
		spec.Database.InstanceClass = class
		return blueprint.Build(spec)
	}
	bp := build("db.t3.micro")
	keys := []string{blueprint.KeyALBSecurityGroup, blueprint.KeyAppSecurityGroup, blueprint.KeyDBSecurityGroup, blueprint.KeyDBSubnetGroup, blueprint.KeyDBInstance}
	refs := createInOrder(ctx, t, c, bp, keys, layer)
	if layer.Layer.Fired()[strict.DBLag] == 0 {
		t.Errorf("the create never met a not-found database (strict layer: %s)", layer.Layer.Summary())
	}

	p, _ := build("db.t3.small").Part(blueprint.KeyDBInstance)
	start := time.Now()
	if _, err := c.Update(ctx, p, refs[blueprint.KeyDBInstance], refs); err != nil {
		t.Fatalf("modifying the class: %v", err)
	}
	// The modification shows DBLag after the call and lasts DBModifying: a
	// wait that returns earlier believed the "available" from before it.
	if took, done := time.Since(start), opts.DBLag+opts.DBModifying; took < done {
		t.Errorf("the update returned after %s, before the modification was done (%s after the call)", took.Round(time.Millisecond), done)
	}
	out, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(p.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if s := aws.ToString(out.DBInstances[0].DBInstanceStatus); s != "available" {
		t.Errorf("after the update the database is %s, want available", s)
	}
}
