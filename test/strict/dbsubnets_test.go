package strict

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

func TestDBSubnetInUseCannotLeaveItsGroup(t *testing.T) {
	c := through(t, Options{}, DBSubnetInUse)
	ctx := t.Context()
	n := newTestNetwork(t, c, 43)
	third, err := c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(n.vpc), AvailabilityZone: aws.String("us-east-1c"),
		CidrBlock: aws.String("10.43.2.0/24")})
	must(t, err)
	inC := aws.ToString(third.Subnet.SubnetId)
	group := "strict-db-subnets"
	_, err = c.rds.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: aws.String(group),
		DBSubnetGroupDescription: aws.String("x"), SubnetIds: append([]string{inC}, n.subnets...)})
	must(t, err)
	// moto places a database in the region's "a" zone: n.subnets[0].
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
	must(t, modify(n.subnets...))
	// Dropping the one it runs in is refused, also for another subnet in its place.
	err = modify(n.subnets[1], inC)
	wantCode(t, err, "SubnetAlreadyInUse", 400)
	if err == nil || !strings.Contains(err.Error(), n.subnets[0]) {
		t.Errorf("refusal %v does not name the subnet in use %s", err, n.subnets[0])
	}
	wantFired(t, c, DBSubnetInUse, 1)
}
