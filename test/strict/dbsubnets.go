package strict

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// dbSubnetInUseRule refuses ModifyDBSubnetGroup when the new subnet list
// drops a subnet a database of the group runs in; moto accepts any list.
// AWS answers SubnetAlreadyInUse (RDS API reference, ModifyDBSubnetGroup,
// Errors: "The DB subnet is already in use in the Availability Zone"; AWS
// Knowledge Center, "How can I delete a subnet that is in an Amazon RDS DB
// subnet group?": a subnet can leave the group only when no instance runs
// in it). The instance runs in the group's subnet of its zone (primary, and
// the standby's for multi-AZ): a group with one subnet per zone, as a
// stack's, makes that subnet unambiguous; with several in a zone the layer
// takes all of them as in use.
func dbSubnetInUseRule() *rule {
	return &rule{name: DBSubnetInUse,
		before: func(l *Layer, c *call) *apiError {
			if !c.is("rds", "ModifyDBSubnetGroup") {
				return nil
			}
			keep := c.list("SubnetIds.SubnetIdentifier", "") // RDS's query list member name
			if len(keep) == 0 {
				return nil
			}
			if inUse := l.dbSubnetsInUse(c.region, c.params.Get("DBSubnetGroupName")); len(inUse) > 0 {
				var dropped []string
				for _, s := range inUse {
					if !slices.Contains(keep, s) {
						dropped = append(dropped, s)
					}
				}
				if len(dropped) > 0 {
					return errorf(400, "SubnetAlreadyInUse", "Some of the subnets to be deleted are currently in use: %s", strings.Join(dropped, ", "))
				}
			}
			return nil
		}}
}

// dbSubnetsInUse looks in the emulator for the subnets of the group that its
// databases run in. A failed look-up counts as none: the layer adds
// strictness, never outages.
func (l *Layer) dbSubnetsInUse(region, group string) []string {
	ctx, cancel := sideCtx()
	defer cancel()
	out, err := l.side.region(region).rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil {
		return nil
	}
	var inUse []string
	for _, db := range out.DBInstances {
		g := db.DBSubnetGroup
		if g == nil || aws.ToString(g.DBSubnetGroupName) != group {
			continue
		}
		zones := []string{aws.ToString(db.AvailabilityZone), aws.ToString(db.SecondaryAvailabilityZone)}
		for _, s := range g.Subnets {
			if s.SubnetAvailabilityZone != nil && slices.Contains(zones, aws.ToString(s.SubnetAvailabilityZone.Name)) {
				inUse = append(inUse, aws.ToString(s.SubnetIdentifier))
			}
		}
	}
	return inUse
}
