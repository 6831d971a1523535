package strict

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func TestThrottleAboveSustainedRate(t *testing.T) {
	c := through(t, Options{Bucket: 3, Refill: 0.01}, Throttle)
	ctx := t.Context()
	for i := range 3 {
		if _, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
			t.Fatalf("call %d within the bucket: %v", i+1, err)
		}
	}
	_, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantCode(t, err, "RequestLimitExceeded", 503)
	// Each service has its own bucket; Auto Scaling answers Throttling, HTTP 400.
	for range 3 {
		_, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
		must(t, err)
	}
	_, err = c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
	wantCode(t, err, "Throttling", 400)
	wantFired(t, c, Throttle, 2)
}

func TestParseSwitches(t *testing.T) {
	cases := map[string]struct {
		on, off []Rule
	}{
		"":                      {on: All},
		"0":                     {off: All},
		"all":                   {on: All},
		"all,-profile-launch":   {on: []Rule{SGNotFound, DBStates}, off: []Rule{ProfileLaunch}},
		"0,sg-not-found":        {on: []Rule{SGNotFound}, off: []Rule{Throttle}},
		"1,-throttle,db-states": {on: []Rule{DBStates}, off: []Rule{Throttle}},
	}
	for v, tc := range cases {
		got, err := Parse(v)
		if err != nil {
			t.Fatalf("Parse(%q): %v", v, err)
		}
		for _, r := range tc.on {
			if !got[r] {
				t.Errorf("Parse(%q): %s off, want on", v, r)
			}
		}
		for _, r := range tc.off {
			if got[r] {
				t.Errorf("Parse(%q): %s on, want off", v, r)
			}
		}
	}
	if _, err := Parse("all,no-such-rule"); err == nil {
		t.Error("Parse accepted an unknown rule")
	}
}
