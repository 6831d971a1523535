package cloud

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// DBPlacement is where a DB instance runs: the zones of its primary and,
// for a multi-AZ deployment, its standby, and the subnets of its DB subnet
// group by zone.
type DBPlacement struct {
	Zones         []string
	SubnetsByZone map[string][]string
}

// DBInstancePlacement reads where the DB instance runs (one
// DescribeDBInstances call, read-only): the plan-time check that a change of
// the app subnets keeps the subnets the database runs in. ModifyDBSubnetGroup
// refuses to remove a subnet an instance runs in (RDS API reference,
// ModifyDBSubnetGroup, SubnetAlreadyInUse; AWS Knowledge Center, "How can I
// delete a subnet that is in an Amazon RDS DB subnet group?"), and a
// DescribeDBInstances answer carries the group's subnets with their zones.
// ErrNotFound (wrapped) when there is no such instance.
func (c *Cloud) DBInstancePlacement(ctx context.Context, id string) (DBPlacement, error) {
	db, err := dbInstances{c}.findDBInstanceByID(ctx, id)
	if err != nil {
		return DBPlacement{}, err
	}
	p := DBPlacement{SubnetsByZone: map[string][]string{}}
	for _, z := range []*string{db.AvailabilityZone, db.SecondaryAvailabilityZone} {
		if aws.ToString(z) != "" {
			p.Zones = append(p.Zones, aws.ToString(z))
		}
	}
	if g := db.DBSubnetGroup; g != nil {
		for _, s := range g.Subnets {
			if s.SubnetAvailabilityZone != nil {
				zone := aws.ToString(s.SubnetAvailabilityZone.Name)
				p.SubnetsByZone[zone] = append(p.SubnetsByZone[zone], aws.ToString(s.SubnetIdentifier))
			}
		}
	}
	return p, nil
}
