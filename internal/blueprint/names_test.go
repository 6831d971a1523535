package blueprint

import (
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	cases := map[string]struct {
		name    string
		wantErr string
	}{
		"Valid":          {"fruit-api", ""},
		"MaxLength":      {strings.Repeat("a", NameMaxLength), ""},
		"TooLong":        {strings.Repeat("a", NameMaxLength+1), "2 to 24 characters"},
		"TooShort":       {"a", "2 to 24 characters"},
		"Upper":          {"Fruit", "lower-case letter"},
		"DoubleHyphen":   {"fruit--api", "single hyphens"},
		"TrailingHyphen": {"fruit-", "not ending in a hyphen"},
		"LeadingDigit":   {"1fruit", "start with a lower-case letter"},
		"Underscore":     {"fruit_api", "only lower-case letters"},
		"InternalPrefix": {"internal-api", "internal-"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := ValidateName(tc.name)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestDerivedNamesFitAWSLimits checks the longest valid stack name against
// every limit AWS sets on the children's names.
func TestDerivedNamesFitAWSLimits(t *testing.T) {
	s := goldenSpec()
	s.Name = strings.Repeat("a", NameMaxLength)
	n := NamesFor(s)
	limits := map[string]struct {
		name string
		max  int
	}{
		"load balancer":     {n.LoadBalancer, 32},
		"target group":      {n.TargetGroup, 32},
		"launch template":   {n.LaunchTemplate, 128},
		"iam role":          {n.InstanceRole, 64},
		"db instance":       {n.DBInstance, 63},
		"final snapshot":    {n.FinalSnapshot, 255},
		"autoscaling group": {n.AutoScalingGroup("ap-southeast-2a"), 255},
	}
	for what, l := range limits {
		if len(l.name) > l.max {
			t.Errorf("%s name %q is %d characters, AWS allows %d", what, l.name, len(l.name), l.max)
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
