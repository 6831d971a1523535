package blueprint

import "testing"

// The outcome alarm lasts as long as the load balancer takes to take a
// failed target out of service, in whole minutes, at least one.
func TestOutcomeEvaluationPeriods(t *testing.T) {
	for _, tc := range []struct {
		interval, unhealthy, want int32
	}{
		{15, 4, 1}, // the provider's default health check: 60 s
		{30, 3, 2}, // 90 s
		{10, 2, 1}, // 20 s: still one minute
		{300, 10, 50},
	} {
		if got := OutcomeEvaluationPeriods(HealthCheckSpec{Interval: tc.interval, UnhealthyThreshold: tc.unhealthy}); got != tc.want {
			t.Errorf("interval %d s × %d: %d periods, want %d", tc.interval, tc.unhealthy, got, tc.want)
		}
	}
}

// Without zonal_autoshift the stack has neither part; with it, the alarm
// follows the load balancer and the autoshift part follows both.
func TestBuildAutoshiftParts(t *testing.T) {
	for _, p := range Build(goldenSpec()).Parts {
		if p.Kind == KindOutcomeAlarm || p.Kind == KindAutoshift {
			t.Errorf("%s built without zonal_autoshift", p.Key)
		}
	}
	s := goldenSpec()
	s.Autoshift = &AutoshiftSpec{Enabled: true}
	bp := Build(s)
	alarm, ok := bp.Part(KeyOutcomeAlarm)
	if !ok || alarm.Name != "fruit-api-autoshift-outcome" || len(alarm.DependsOn) != 1 || alarm.DependsOn[0] != KeyLoadBalancer {
		t.Errorf("alarm part %+v", alarm)
	}
	shift, ok := bp.Part(KeyAutoshift)
	if !ok || len(shift.DependsOn) != 2 || shift.DependsOn[0] != KeyLoadBalancer || shift.DependsOn[1] != KeyOutcomeAlarm {
		t.Errorf("autoshift part %+v", shift)
	}
}
