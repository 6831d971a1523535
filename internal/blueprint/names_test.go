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
