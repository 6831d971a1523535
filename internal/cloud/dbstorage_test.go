package cloud

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
)

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
