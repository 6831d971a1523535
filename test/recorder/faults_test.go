package recorder

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

func describeGroupsTarget(t *testing.T) *httptest.Server {
	t.Helper()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>`)
	}))
	t.Cleanup(target.Close)
	return target
}

// TestFaultsAreRiddenOutByTheStandardRetryer injects every kind of fault
// into a third of the calls: the SDK's standard retryer (as the provider
// configures it, without the client-side retry quota) retries each kind,
// so every call succeeds, and every kind was injected.
func TestFaultsAreRiddenOutByTheStandardRetryer(t *testing.T) {
	rec, err := Start(describeGroupsTarget(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	f := &Faults{Seed: 7, Rate: 0.3, SlowDelay: 10 * time.Millisecond, Forward: rec.Forward}
	rec.Before = f.Before
	client := autoscaling.New(autoscaling.Options{Region: "us-east-1", BaseEndpoint: aws.String(rec.URL),
		Credentials: aws.AnonymousCredentials{},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 25
			o.MaxBackoff = 20 * time.Millisecond
			o.RateLimiter = ratelimit.None
		})})
	for i := range 150 {
		if _, err := client.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{}); err != nil {
			t.Fatalf("call %d failed despite retries: %v (%s)", i, err, f.Summary())
		}
	}
	got := f.Injected()
	for _, k := range AllKinds {
		if got[k] == 0 {
			t.Errorf("no %s fault injected: %s", k, f.Summary())
		}
	}
	t.Log(f.Summary())
}

// TestFaultsAreDeterministic: one seed faults the same calls of each action
// in two runs; another seed faults others.
func TestFaultsAreDeterministic(t *testing.T) {
	pattern := func(seed int64) string {
		f := &Faults{Seed: seed, Rate: 0.2}
		var b []byte
		for i := range 200 {
			c := Call{Service: "ec2", Action: "DescribeSubnets"}
			if i%2 == 1 {
				c = Call{Service: "autoscaling", Action: "DescribeAutoScalingGroups"}
			}
			kind, ok := f.decide(c)
			if !ok {
				kind = "-"
			}
			b = append(b, kind[0])
		}
		return string(b)
	}
	a, again, other := pattern(1), pattern(1), pattern(2)
	if a != again {
		t.Errorf("seed 1 gave two patterns:\n%s\n%s", a, again)
	}
	if a == other {
		t.Errorf("seeds 1 and 2 gave the same pattern %s", a)
	}
}
