package strict

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Unsigned calls (the sandbox's admin API) pass through untouched, even
// with every rule on and an empty token bucket.
func TestUnsignedCallsPassThrough(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "admin "+r.URL.Path) })
	rules, err := Parse("all")
	must(t, err)
	l := New(next, Options{Rules: rules, Bucket: 1, Refill: 0.001})
	srv := httptest.NewServer(l)
	defer srv.Close()
	for range 3 {
		resp, err := http.Post(srv.URL+"/_sandbox/zones/us-east-1a/down", "application/json", nil)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "admin /_sandbox/zones/us-east-1a/down" {
			t.Fatalf("admin call answered %d %q", resp.StatusCode, body)
		}
	}
	if f := l.Fired(); len(f) != 0 {
		t.Fatalf("rules fired on unsigned calls: %v", f)
	}
}

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
