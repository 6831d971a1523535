package cloud

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
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
