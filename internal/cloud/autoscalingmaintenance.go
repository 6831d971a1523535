package cloud

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// A zonal group's instance maintenance policy: how much of its desired
// capacity stays in service (min) and may be in service or pending (max)
// while Auto Scaling replaces instances, after a failed health check among
// others. Min 100 with max above 100 launches a replacement and waits for it
// before terminating the instance it replaces (Auto Scaling user guide,
// "Instance maintenance policies"). AWS takes both values together, min
// 0-100 and max 100-200 at most 100 apart, and -1 in both clears a policy
// (API reference, InstanceMaintenancePolicy; hashicorp/aws
// autoscaling/group.go clears a removed instance_maintenance_policy the same way).

// maintenancePolicy is the policy to create a group with (nil: none).
func maintenancePolicy(m blueprint.MaintenanceSpec) *astypes.InstanceMaintenancePolicy {
	if m.MaxHealthyPercent == 0 {
		return nil
	}
	return &astypes.InstanceMaintenancePolicy{MinHealthyPercentage: aws.Int32(m.MinHealthyPercent), MaxHealthyPercentage: aws.Int32(m.MaxHealthyPercent)}
}

// maintenanceUpdate is the policy to update a group to: -1 clears it.
func maintenanceUpdate(m blueprint.MaintenanceSpec) *astypes.InstanceMaintenancePolicy {
	if p := maintenancePolicy(m); p != nil {
		return p
	}
	return &astypes.InstanceMaintenancePolicy{MinHealthyPercentage: aws.Int32(-1), MaxHealthyPercentage: aws.Int32(-1)}
}

// foundMaintenance reads a group's policy (zero: none).
func foundMaintenance(g *astypes.AutoScalingGroup) blueprint.MaintenanceSpec {
	p := g.InstanceMaintenancePolicy
	if p == nil || aws.ToInt32(p.MaxHealthyPercentage) <= 0 {
		return blueprint.MaintenanceSpec{}
	}
	return blueprint.MaintenanceSpec{MinHealthyPercent: aws.ToInt32(p.MinHealthyPercentage), MaxHealthyPercent: aws.ToInt32(p.MaxHealthyPercentage)}
}

func maintenanceDrift(g *astypes.AutoScalingGroup, want blueprint.MaintenanceSpec) []string {
	have := foundMaintenance(g)
	if have == want {
		return nil
	}
	describe := func(m blueprint.MaintenanceSpec) string {
		if m.MaxHealthyPercent == 0 {
			return "none"
		}
		return fmt.Sprintf("%d-%d%% healthy", m.MinHealthyPercent, m.MaxHealthyPercent)
	}
	return []string{fmt.Sprintf("instance maintenance policy %s, want %s", describe(have), describe(want))}
}
