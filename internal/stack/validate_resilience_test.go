package stack_test

import (
	"strings"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// TestAccStack_resiliencePlanTimeValidation: health timings that cannot meet
// time_to_detect, and a maintenance range AWS refuses, fail the plan naming
// the attribute and the fix, before anything is created.
func TestAccStack_resiliencePlanTimeValidation(t *testing.T) {
	c := newClients(t)
	net := env.StackNetwork(t, c.cfg)
	name := stackName()
	cases := map[string]invalidCase{
		"IntervalTooLongForGoal": {func(a *stackArgs) { a.healthExtra = "time_to_detect = 30, interval = 30" }, "health_check.time_to_detect",
			`health_check.time_to_detect 30 s cannot be met with interval = 30[\s\S]*at least 2 × 30 \+ 2 = 62 s[\s\S]*Raise time_to_detect to at least 62, or remove interval to let it be derived`},
		"TimeoutTooLongForGoal": {func(a *stackArgs) { a.healthExtra = "time_to_detect = 30, timeout = 10" }, "health_check.time_to_detect",
			`time_to_detect 30 s cannot be met with timeout = 10[\s\S]*at least 32`},
		"ThresholdTooHighForGoal": {func(a *stackArgs) { a.healthExtra = "time_to_detect = 30, unhealthy_threshold = 10" }, "health_check.time_to_detect",
			`cannot be met with unhealthy_threshold = 10[\s\S]*at least 52`},
		"GoalBelowAWSRange": {func(a *stackArgs) { a.healthExtra = "time_to_detect = 5" }, "health_check.time_to_detect", `health_check.time_to_detect[\s\S]*between 12 and 3120`},
		"FailOpenAbove100":  {func(a *stackArgs) { a.healthExtra = "fail_open_below_percent = 101" }, "health_check.fail_open_below_percent", `health_check.fail_open_below_percent[\s\S]*between 0 and 100`},
		"MaintenanceRangeTooWide": {func(a *stackArgs) {
			a.extra = "instance_maintenance = { min_healthy_percent = 50, max_healthy_percent = 200 }"
		}, "instance_maintenance.max_healthy_percent",
			`instance_maintenance.max_healthy_percent \(200\) is more than 100 above[\s\S]*at most 150`},
		"MaintenanceMaxBelow100": {func(a *stackArgs) { a.extra = "instance_maintenance = { max_healthy_percent = 90 }" }, "instance_maintenance.max_healthy_percent",
			`instance_maintenance.max_healthy_percent[\s\S]*between 100 and 200`},
	}
	for caseName, tc := range cases {
		t.Run(caseName, func(t *testing.T) {
			a := defaultArgs(name, net)
			a.withDB = false
			tc.mutate(&a)
			// Terraform wraps messages: any space may be a line break.
			tc.want = strings.ReplaceAll(tc.want, " ", `\s+`)
			planMustFail(t, c, a, tc)
		})
	}
}
