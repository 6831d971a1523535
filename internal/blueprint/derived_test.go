package blueprint

import (
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestValidateName(t *testing.T) {
	cases := map[string]struct {
		name    string
		wantErr string
	}{
		"Valid":          {"fruit-api", ""},
		"MaxLength":      {strings.Repeat("a", NameMaxLength), ""},
		"MinLength":      {"abc", ""},
		"TooLong":        {strings.Repeat("a", NameMaxLength+1), "3 to 25 characters"},
		"TooLongNamesTG": {strings.Repeat("a", NameMaxLength+1), "target group name"},
		"TooShort":       {"a", "3 to 25 characters"},
		"TwoNamesLT":     {"ab", "launch template name \"ab\" would be 2 characters"},
		"SGPrefix":       {"sg-web", "security group names"},
		"Default":        {"default", "DB subnet group"},
		"DefaultPrefix":  {"default-api", ""},
		"Upper":          {"Fruit", "lower-case letter"},
		"DoubleHyphen":   {"fruit--api", "single hyphens"},
		"TrailingHyphen": {"fruit-", "not ending in a hyphen"},
		"LeadingDigit":   {"1fruit", "start with a lower-case letter"},
		"Underscore":     {"fruit_api", "only lower-case letters"},
		"InternalPrefix": {"internal-api", "internal-"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env.WantErr(t, ValidateName(tc.name), tc.wantErr)
		})
	}
}

// TestDerivedNamesFitAWSLimits checks the longest valid stack name against
// every limit AWS sets on the children's names.
func TestDerivedNamesFitAWSLimits(t *testing.T) {
	if NameMinLength != 3 || NameMaxLength != 25 {
		t.Errorf("stack names are %d to %d characters, want 3 (launch template) to 25 (target group)", NameMinLength, NameMaxLength)
	}
	for _, length := range []int{NameMinLength, NameMaxLength} {
		s := goldenSpec()
		s.Name = strings.Repeat("a", length)
		n := NamesFor(s)
		// The limits from AWS's API reference, written out independently of nameRules.
		limits := map[string]struct {
			name     string
			min, max int
		}{
			"load balancer":     {n.LoadBalancer, 1, 32},
			"target group":      {n.TargetGroup, 1, 32},
			"launch template":   {n.LaunchTemplate, 3, 128},
			"iam role":          {n.InstanceRole, 1, 64},
			"role policy":       {n.RolePolicy, 1, 128},
			"security group":    {n.ALBSecurityGroup, 1, 255},
			"db instance":       {n.DBInstance, 1, 63},
			"db subnet group":   {n.DBSubnetGroup, 1, 255},
			"final snapshot":    {n.FinalSnapshot, 1, 255},
			"autoscaling group": {n.AutoScalingGroup("us-east-1-wl1-dfw-wlz-1"), 1, 255},
			"scaling policy":    {n.ScalingPolicy("us-east-1-wl1-dfw-wlz-1"), 1, 255},
		}
		for what, l := range limits {
			if len(l.name) < l.min || len(l.name) > l.max {
				t.Errorf("%s name %q is %d characters, AWS allows %d to %d", what, l.name, len(l.name), l.min, l.max)
			}
		}
	}
}

func TestTargetGroupNameChangesWithImmutableProperties(t *testing.T) {
	a := goldenSpec()
	b := goldenSpec()
	b.Instances.Port = 9090
	if NamesFor(a).TargetGroup == NamesFor(b).TargetGroup {
		t.Error("a new port must give the target group a new name, so the replacement never collides")
	}
	c := goldenSpec()
	c.HealthCheck.Path = "/other"
	if NamesFor(a).TargetGroup != NamesFor(c).TargetGroup {
		t.Error("health-check changes are made in place and must keep the name")
	}
}

func TestDeriveHealthTimings(t *testing.T) {
	cases := map[string]struct {
		detect int32
		given  HealthTimings
		want   HealthTimings
	}{
		// The provider's long-standing defaults come out of a 70 s goal.
		"DefaultGoal":  {detect: 70, want: HealthTimings{Interval: 15, Timeout: 10, HealthyThreshold: 3, UnhealthyThreshold: 4}},
		"ThirtySecond": {detect: 30, want: HealthTimings{Interval: 8, Timeout: 6, HealthyThreshold: 3, UnhealthyThreshold: 3}},
		"Fastest":      {detect: MinTimeToDetect, want: HealthTimings{Interval: 5, Timeout: 2, HealthyThreshold: 3, UnhealthyThreshold: 2}},
		"JustUnder30":  {detect: 29, want: HealthTimings{Interval: 10, Timeout: 9, HealthyThreshold: 3, UnhealthyThreshold: 2}},
		// A slow goal is capped by the largest interval and timeout.
		"Slowest": {detect: MaxTimeToDetect, want: HealthTimings{Interval: 300, Timeout: 120, HealthyThreshold: 3, UnhealthyThreshold: 4}},
		// Explicit values win; the rest fits around them.
		"ExplicitInterval":  {detect: 30, given: HealthTimings{Interval: 10}, want: HealthTimings{Interval: 10, Timeout: 9, HealthyThreshold: 3, UnhealthyThreshold: 2}},
		"ExplicitTimeout":   {detect: 60, given: HealthTimings{Timeout: 5}, want: HealthTimings{Interval: 13, Timeout: 5, HealthyThreshold: 3, UnhealthyThreshold: 4}},
		"ExplicitThreshold": {detect: 30, given: HealthTimings{UnhealthyThreshold: 5, HealthyThreshold: 2}, want: HealthTimings{Interval: 5, Timeout: 4, HealthyThreshold: 2, UnhealthyThreshold: 5}},
		"AllExplicit":       {detect: 100, given: HealthTimings{Interval: 20, Timeout: 10, HealthyThreshold: 5, UnhealthyThreshold: 4}, want: HealthTimings{Interval: 20, Timeout: 10, HealthyThreshold: 5, UnhealthyThreshold: 4}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := DeriveHealthTimings(tc.detect, tc.given)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("DeriveHealthTimings(%d, %+v) = %+v, want %+v", tc.detect, tc.given, got, tc.want)
			}
			if got.Detect() > tc.detect {
				t.Errorf("derived timings detect in %d s, goal %d s", got.Detect(), tc.detect)
			}
		})
	}
}

// TestDeriveHealthTimingsWithinAWSRanges checks every goal AWS's ranges allow:
// the timings are valid and meet the goal.
func TestDeriveHealthTimingsWithinAWSRanges(t *testing.T) {
	for d := int32(MinTimeToDetect); d <= MaxTimeToDetect; d++ {
		h, err := DeriveHealthTimings(d, HealthTimings{})
		if err != nil {
			t.Fatalf("goal %d s: %v", d, err)
		}
		if h.Interval < 5 || h.Interval > 300 || h.Timeout < 2 || h.Timeout > 120 || h.Timeout >= h.Interval ||
			h.UnhealthyThreshold < 2 || h.UnhealthyThreshold > 10 || h.Detect() > d {
			t.Fatalf("goal %d s: invalid timings %+v (detect %d s)", d, h, h.Detect())
		}
	}
}

func TestDeriveHealthTimingsImpossible(t *testing.T) {
	cases := map[string]struct {
		detect int32
		given  HealthTimings
		want   []string
	}{
		"IntervalTooLong": {detect: 30, given: HealthTimings{Interval: 30}, want: []string{"interval = 30", "at least 62", "2 × 30 + 2 = 62"}},
		"TimeoutTooLong":  {detect: 30, given: HealthTimings{Timeout: 10}, want: []string{"timeout = 10", "at least 32"}},
		"ThresholdHigh":   {detect: 30, given: HealthTimings{UnhealthyThreshold: 10}, want: []string{"unhealthy_threshold = 10", "at least 52"}},
		"BelowAWSRange":   {detect: 11, want: []string{"outside 12-3120 s"}},
		"AboveAWSRange":   {detect: 3121, want: []string{"outside 12-3120 s"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DeriveHealthTimings(tc.detect, tc.given)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestTimeToDetect(t *testing.T) {
	if got := TimeToDetect(15*time.Second, 10*time.Second, 4); got != 70*time.Second {
		t.Errorf("TimeToDetect(15 s, 10 s, 4) = %s, want 70s", got)
	}
	if got := (HealthTimings{Interval: 15, Timeout: 10, UnhealthyThreshold: 4}).Detect(); got != 70 {
		t.Errorf("Detect() = %d, want 70", got)
	}
}

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

func TestRenderUserData(t *testing.T) {
	vars := map[string]string{VarDBInstance: "shop", VarStack: "shop"}
	got := RenderUserData("#!/bin/bash\necho start\n", vars)
	want := "#!/bin/bash\n# hawebapp: stack variables\nmkdir -p /etc/hawebapp\ncat > /etc/hawebapp/env <<'HAWEBAPP_ENV'\n" +
		"HAWEBAPP_DB_INSTANCE=shop\nHAWEBAPP_STACK=shop\nHAWEBAPP_ENV\nset -a; . /etc/hawebapp/env; set +a\necho start\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if cloudInit := "#cloud-config\npackages: [nginx]\n"; RenderUserData(cloudInit, vars) != cloudInit {
		t.Error("non-shell user data must pass through unchanged")
	}
}

func TestStripUserDataUndoesRender(t *testing.T) {
	for _, script := range []string{"#!/bin/bash\necho start\n", "#!/bin/sh\n", "#cloud-config\nruncmd: []\n", ""} {
		rendered := RenderUserData(script, map[string]string{VarStack: "shop", VarPort: "8080"})
		if got := StripUserData(rendered); got != script {
			t.Errorf("StripUserData(RenderUserData(%q)) = %q", script, got)
		}
	}
}
