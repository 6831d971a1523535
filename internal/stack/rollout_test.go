package stack_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// TestAccStack_interruptedRolloutIsDrift fails a user-data rollout halfway
// (AWS refuses to terminate the first outdated instance): the apply fails
// with AWS's reason, the plan afterwards is not empty (an instance still
// runs the old launch template version), and the next apply finishes the
// rollout, leaving every instance on the new version and nothing suspended.
func TestAccStack_interruptedRolloutIsDrift(t *testing.T) {
	if accRecorder == nil {
		t.Skip("injects faults through the emulator's recorder: not run against real AWS (HAWEBAPP_ACC_REAL_AWS)")
	}
	c, args := appOnly(t)
	updated := args
	updated.userData = "#!/bin/bash\necho v2\n"
	refuseOnce := func() {
		refused := false
		accRecorder.Before = func(call recorder.Call, w http.ResponseWriter, _ *http.Request) bool {
			if call.Action != "TerminateInstanceInAutoScalingGroup" || refused {
				return false
			}
			refused = true
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>refused by the test</Message></Error></ErrorResponse>`))
			return true
		}
	}
	t.Cleanup(func() { accRecorder.Before = nil })
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config()},
		{PreConfig: refuseOnce, Config: updated.config(), ExpectError: regexp.MustCompile(`refused by the test`)},
		{
			PreConfig:          func() { accRecorder.Before = nil },
			Config:             updated.config(),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		},
		{Config: updated.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
			checkInstancesOnVersion(c, args.name, "2"),
		)},
		{Config: updated.config(), PlanOnly: true},
	})
}

// checkInstancesOnVersion checks through the API that every instance of the
// stack's groups runs the launch template version and that no process is
// left suspended.
func checkInstancesOnVersion(c clients, stack, version string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		groups, err := stackGroups(context.Background(), c, stack)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if len(g.Instances) == 0 {
				return fmt.Errorf("group %s has no instances", aws.ToString(g.AutoScalingGroupName))
			}
			for _, inst := range g.Instances {
				if inst.LaunchTemplate == nil || aws.ToString(inst.LaunchTemplate.Version) != version {
					return fmt.Errorf("group %s: instance %s not on launch template version %s", aws.ToString(g.AutoScalingGroupName), aws.ToString(inst.InstanceId), version)
				}
			}
			if len(g.SuspendedProcesses) > 0 {
				return fmt.Errorf("group %s: %d processes still suspended", aws.ToString(g.AutoScalingGroupName), len(g.SuspendedProcesses))
			}
		}
		return nil
	}
}
