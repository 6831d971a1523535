package stack_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// TestAccStack_rolloutDuringEvacuation: a new launch template version
// during an evacuation rolls out over the zones in service only; the
// evacuated group keeps its instances, on the old version, with no drift;
// the return rolls it out and resumes every process.
func TestAccStack_rolloutDuringEvacuation(t *testing.T) {
	c, args := appOnly(t)
	evac := args
	evac.extra = fmt.Sprintf("evacuate_zones = [%q]", evacuated)
	evacV2 := evac
	evacV2.userData = "#!/bin/bash\necho v2\n"
	returnedV2 := args
	returnedV2.userData = evacV2.userData
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config()},
		{Config: evac.config()},
		{Config: evacV2.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkGroupVersions(c, args.name, map[string]string{"us-east-1a": "2", evacuated: "1", "us-east-1c": "2"}),
			checkSuspended(c, args.name+"-"+evacuated, []string{"AlarmNotification", "Launch", "ReplaceUnhealthy"}),
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
		)},
		{Config: evacV2.config(), PlanOnly: true},
		{Config: returnedV2.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkInstancesOnVersion(c, args.name, "2"),
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
		)},
		{Config: returnedV2.config(), PlanOnly: true},
	})
}

// checkGroupVersions checks, by zone, the launch template version every
// instance of the zone's group runs.
func checkGroupVersions(c clients, stack string, want map[string]string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		groups, err := stackGroups(context.Background(), c, stack)
		if err != nil {
			return err
		}
		for _, g := range groups {
			name := aws.ToString(g.AutoScalingGroupName)
			version, ok := want[name[len(stack)+1:]]
			if !ok {
				return fmt.Errorf("group %s: no version expected", name)
			}
			if len(g.Instances) == 0 {
				return fmt.Errorf("group %s has no instances", name)
			}
			for _, inst := range g.Instances {
				if inst.LaunchTemplate == nil || aws.ToString(inst.LaunchTemplate.Version) != version {
					return fmt.Errorf("group %s: instance %s not on launch template version %s", name, aws.ToString(inst.InstanceId), version)
				}
			}
		}
		return nil
	}
}
