package stack

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// checkDatabaseSubnets refuses a change of app_subnet_ids that removes a
// subnet the stack's database runs in. The DB subnet group holds the app
// subnets, and RDS refuses to remove a subnet an instance runs in from its
// group (RDS API reference, ModifyDBSubnetGroup, SubnetAlreadyInUse; AWS
// Knowledge Center, "How can I delete a subnet that is in an Amazon RDS DB
// subnet group?"): the apply would fail after the other children changed.
// With one app subnet per zone, the group's subnets in the zones of the
// primary and the standby are the ones the database runs in. One read-only
// DescribeDBInstances call, only when app_subnet_ids changes.
func (r *stackResource) checkDatabaseSubnets(ctx context.Context, plan, state stackModelV0, n nested, diags *diag.Diagnostics) {
	if r.client == nil || n.database == nil || plan.AppSubnetIDs.Equal(state.AppSubnetIDs) || !knownString(state.DBInstanceIdentifier) {
		return
	}
	planned, known := stringsOf(ctx, plan.AppSubnetIDs)
	if !known {
		return
	}
	id := state.DBInstanceIdentifier.ValueString()
	placed, found, err := r.client.Lookup.DatabasePlacement(ctx, id)
	if err != nil {
		diags.AddAttributeError(path.Root("app_subnet_ids"), "Database placement check failed",
			fmt.Sprintf("Could not read where the database %s runs, to check that app_subnet_ids keeps its subnets. Check the provider's credentials allow rds:DescribeDBInstances.\n\nOriginal Error: %s", id, err))
		return
	}
	if !found {
		return // nothing runs yet: the apply creates the database in the new subnets
	}
	for i, zone := range placed.Zones {
		role := "primary"
		if i > 0 {
			role = "standby"
		}
		var removed []string
		for _, s := range placed.SubnetsByZone[zone] {
			if !slices.Contains(planned, s) {
				removed = append(removed, s)
			}
		}
		if len(removed) == 0 {
			continue
		}
		sort.Strings(removed)
		diags.AddAttributeError(path.Root("app_subnet_ids"), "Subnet of the database removed",
			fmt.Sprintf("app_subnet_ids: the change removes %s (%s), where the database %s runs its %s. The stack's DB subnet group holds the app subnets, "+
				"and RDS refuses to remove a subnet a database runs in (ModifyDBSubnetGroup: SubnetAlreadyInUse), so the apply would fail halfway. "+
				"Keep %s in app_subnet_ids. To leave %s, move the database out of that zone first (AWS Knowledge Center, "+
				"\"How can I delete a subnet that is in an Amazon RDS DB subnet group?\"), then remove the subnet.",
				strings.Join(removed, ", "), zone, id, role, strings.Join(removed, ", "), zone))
	}
}
