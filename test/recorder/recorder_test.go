package recorder

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

func TestRecorderCountsCallsByServiceAndAction(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), "Action=DescribeAutoScalingGroups") {
			t.Errorf("body did not reach the target intact: %q", body)
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>`)
	}))
	defer target.Close()
	rec, err := Start(target.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	client := autoscaling.New(autoscaling.Options{Region: "us-east-1", BaseEndpoint: aws.String(rec.URL),
		Credentials: aws.AnonymousCredentials{}})
	for range 3 {
		if _, err := client.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{}); err != nil {
			t.Fatal(err)
		}
	}
	// Anonymous credentials sign nothing, so the service is unknown; the action is read from the body.
	if got := rec.Counts()["unknown:DescribeAutoScalingGroups"]; got != 3 {
		t.Errorf("counted %d calls, want 3 (%s)", got, rec.Summary())
	}
}

// TestCallOutlivesItsCaller: a call that reached the recorder reaches the
// target and completes there even when its caller goes away meanwhile (a
// killed terraform apply), as a call AWS received completes.
func TestCallOutlivesItsCaller(t *testing.T) {
	done := make(chan string, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // then the server watches the connection and cancels r's context when it closes
		select {
		case <-r.Context().Done():
			done <- "cancelled"
		case <-time.After(500 * time.Millisecond):
			done <- "completed"
		}
	}))
	defer target.Close()
	rec, err := Start(target.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, rec.URL, strings.NewReader("Action=CreateSecurityGroup"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the caller was meant to give up before the answer")
	}
	if got := <-done; got != "completed" {
		t.Errorf("the call was %s at the target when its caller went away, want completed", got)
	}
}

// TestGroupOfLeavesTheBodyReadable: the group is read from either field a
// call names it by, and whatever serves the call next still reads the
// whole form.
func TestGroupOfLeavesTheBodyReadable(t *testing.T) {
	for _, form := range []string{
		"Action=UpdateAutoScalingGroup&AutoScalingGroupName=web-us-east-1a",
		"Action=CreateOrUpdateTags&Tags.member.1.ResourceId=web-us-east-1a&Tags.member.1.ResourceType=auto-scaling-group",
	} {
		r, _ := http.NewRequest(http.MethodPost, "http://emulator/", strings.NewReader(form))
		if got := GroupOf(r); got != "web-us-east-1a" {
			t.Errorf("GroupOf(%q) = %q, want web-us-east-1a", form, got)
		}
		rest, _ := io.ReadAll(r.Body)
		if string(rest) != form {
			t.Errorf("body after GroupOf = %q, want %q", rest, form)
		}
	}
}

// S3's REST calls carry no Action: each is named from its method, path and
// subresource, so a check of "no mutating call" sees a read as a read and a
// write as a write (the leak checker's ListBuckets and GetBucketTagging
// once counted as mutating "unknown" calls).
func TestIdentifyNamesS3RESTCalls(t *testing.T) {
	for _, c := range []struct{ method, target, want string }{
		{"GET", "/", "ListBuckets"},
		{"GET", "/?x-id=ListBuckets", "ListBuckets"},
		{"GET", "/logs?tagging", "GetBucketTagging"},
		{"PUT", "/logs?tagging", "PutBucketTagging"},
		{"GET", "/logs?policy", "GetBucketPolicy"},
		{"PUT", "/logs?policy", "PutBucketPolicy"},
		{"GET", "/logs?encryption", "GetBucketEncryption"},
		{"GET", "/logs?location", "GetBucketLocation"},
		{"PUT", "/logs", "CreateBucket"},
		{"DELETE", "/logs", "DeleteBucket"},
		{"HEAD", "/logs", "HeadBucket"},
		{"GET", "/logs?list-type=2", "ListObjectsV2"},
		{"PUT", "/logs/AWSLogs/1/x.gz?x-id=PutObject", "PutObject"},
		{"DELETE", "/logs/a/b", "DeleteObject"},
		{"POST", "/logs?delete", "unknown"},
		{"GET", "/logs?website", "unknown"},
	} {
		r := httptest.NewRequest(c.method, c.target, nil)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20261207/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x")
		if got := Identify(r); got.Service != "s3" || got.Action != c.want {
			t.Errorf("%s %s: %s, want s3:%s", c.method, c.target, got, c.want)
		}
	}
}

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

// TestServedLeavesOutRefusedCalls: a call the target refuses with
// Throttling, which the SDK's retryer sends again, is recorded twice but
// served once; Reset forgets both lists.
func TestServedLeavesOutRefusedCalls(t *testing.T) {
	refused := false
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/xml")
		if !refused {
			refused = true
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`)
			return
		}
		_, _ = io.WriteString(w, `<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>`)
	}))
	defer target.Close()
	rec, err := Start(target.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	client := autoscaling.New(autoscaling.Options{Region: "us-east-1", BaseEndpoint: aws.String(rec.URL),
		Credentials: aws.AnonymousCredentials{}})
	if _, err := client.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{}); err != nil {
		t.Fatal(err)
	}
	if calls, served := len(rec.Calls()), len(rec.Served()); calls != 2 || served != 1 {
		t.Errorf("recorded %d calls, served %d; want 2 (the refused one retried) and 1", calls, served)
	}
	rec.Reset()
	if calls, served := len(rec.Calls()), len(rec.Served()); calls != 0 || served != 0 {
		t.Errorf("after Reset: %d calls, %d served; want none", calls, served)
	}
}
