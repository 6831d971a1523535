package soak

import (
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// TestLossBudgetMeetsTimeToDetect: a stack whose health_check timings were
// derived from time_to_detect gets a loss budget whose detection time is
// the stack's, and within the goal: the provider and the budgets share one
// formula.
func TestLossBudgetMeetsTimeToDetect(t *testing.T) {
	for _, goal := range []int32{blueprint.MinTimeToDetect, 20, 30, 45, 70, 120, 600} {
		h, err := blueprint.DeriveHealthTimings(goal, blueprint.HealthTimings{})
		if err != nil {
			t.Fatal(err)
		}
		s := ALBDefaults()
		s.HealthCheckInterval, s.HealthCheckTimeout = time.Duration(h.Interval)*time.Second, time.Duration(h.Timeout)*time.Second
		s.HealthyThreshold, s.UnhealthyThreshold = int(h.HealthyThreshold), int(h.UnhealthyThreshold)
		b, err := LossBudget(s, Load{Rate: 100, Concurrency: 4}, 1, 3)
		if err != nil {
			t.Fatal(err)
		}
		if b.Detect != time.Duration(h.Detect())*time.Second || b.Detect > time.Duration(goal)*time.Second {
			t.Errorf("time_to_detect %d s: derived %+v, budget detects in %s, stack in %d s", goal, h, b.Detect, h.Detect())
		}
	}
}
