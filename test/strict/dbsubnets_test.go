package strict

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestDBSubnetInUseCannotLeaveItsGroup(t *testing.T) {
	c := through(t, Options{}, DBSubnetInUse)
	ctx := t.Context()
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b", "us-east-1c")
	subnets, inC := n.App[:2], n.App[2]
	group := "strict-db-subnets"
	_, err := c.rds.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: aws.String(group),
		DBSubnetGroupDescription: aws.String("x"), SubnetIds: append([]string{inC}, subnets...)})
	must(t, err)
	// moto places a database in the region's "a" zone: subnets[0].
	_, err = c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("strict-db-subnets"), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("app"),
		MasterUserPassword: aws.String("not-a-secret-1"), DBSubnetGroupName: aws.String(group)})
	must(t, err)
	t.Cleanup(func() {
		_, _ = c.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("strict-db-subnets"), SkipFinalSnapshot: aws.Bool(true)})
	})
	modify := func(subnets ...string) error {
		_, err := c.rds.ModifyDBSubnetGroup(ctx, &rds.ModifyDBSubnetGroupInput{DBSubnetGroupName: aws.String(group), SubnetIds: subnets})
		return err
	}
	// Dropping a subnet no database runs in is fine.
	must(t, modify(subnets...))
	// Dropping the one it runs in is refused, also for another subnet in its place.
	err = modify(subnets[1], inC)
	wantCode(t, err, "SubnetAlreadyInUse", 400)
	if err == nil || !strings.Contains(err.Error(), subnets[0]) {
		t.Errorf("refusal %v does not name the subnet in use %s", err, subnets[0])
	}
	wantFired(t, c, DBSubnetInUse, 1)
}
