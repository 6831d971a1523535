package cloud

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

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
