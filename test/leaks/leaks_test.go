package leaks

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// startMoto starts moto behind a recorder (so a test can inject faults)
// and returns a config that talks to the recorder.
func startMoto(t *testing.T) (aws.Config, *recorder.Recorder) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (it starts its own moto)")
	}
	rec, err := recorder.Start(motoserver.StartT(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	cfg := env.AWSConfig(rec.URL)
	return cfg, rec
}

// TestFindReportsEveryChildKind makes one child of each kind for stack "x"
// with raw SDK calls (and a few of stack "x-us", whose names start with
// "x-"), checks that each of x's is reported and nothing of x-us's, deletes
// x's and checks that nothing is left.
func TestFindReportsEveryChildKind(t *testing.T) {
	cfg, _ := startMoto(t)
	ctx := context.Background()
	w := newWorld(t, ctx, cfg)
	w.makeStack("x", true)
	w.makeStack("x-us", false)

	left, err := Find(ctx, cfg, "x")
	if err != nil {
		t.Fatal(err)
	}
	want := w.want["x"]
	if got := strings.Join(left, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("left of x:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}

	w.deleteStack("x")
	left, err = Find(ctx, cfg, "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("after deleting x, still reported: %v", left)
	}
	if left, err := Find(ctx, cfg, "x-us"); err != nil || len(left) == 0 {
		t.Errorf("x-us: %v, %v; want its children still reported", left, err)
	}
}

// TestFindFailsOnAPIError: a describe answering 500 makes Find fail rather
// than report nothing left, for each kind of call it makes.
func TestFindFailsOnAPIError(t *testing.T) {
	cfg, rec := startMoto(t)
	ctx := context.Background()
	cfg.RetryMaxAttempts = 1 // the 500 is not a transient here: do not wait out retries
	for _, action := range []string{
		"DescribeSecurityGroups", "DescribeLaunchTemplates", "DescribeAutoScalingGroups", "DescribeInstances",
		"DescribeLoadBalancers", "DescribeTargetGroups", "GetInstanceProfile", "GetRole",
		"DescribeDBInstances", "DescribeDBSubnetGroups", "ListSecrets", "GetResources",
	} {
		rec.Before = func(c recorder.Call, w http.ResponseWriter, _ *http.Request) bool {
			if c.Action != action {
				return false
			}
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"__type":"InternalFailure","message":"injected by the test"}`))
			return true
		}
		left, err := Find(ctx, cfg, "x")
		if err == nil {
			t.Errorf("%s answering 500: Find returned no error (left %v)", action, left)
		} else if !strings.Contains(err.Error(), "x") {
			t.Errorf("%s answering 500: error %q does not name the stack", action, err)
		}
	}
	rec.Before = nil
	if left, err := Find(ctx, cfg, "x"); err != nil || len(left) != 0 {
		t.Errorf("without faults on an empty account: %v, %v; want nothing and no error", left, err)
	}
}

// TestFindReportsBuckets: a bucket tagged with the stack (the web-app
// module's access logs bucket) is reported until it is deleted; another
// stack's and an untagged one are not; a failing listing fails Find.
func TestFindReportsBuckets(t *testing.T) {
	cfg, rec := startMoto(t)
	ctx := context.Background()
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	for name, stack := range map[string]string{"x-lb-logs-1": "x", "x-us-lb-logs-1": "x-us", "untagged": ""} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if stack != "" {
			if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(name), Tagging: &s3types.Tagging{
				TagSet: []s3types.Tag{{Key: aws.String("hawebapp:stack"), Value: aws.String(stack)}}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	left, err := Find(ctx, cfg, "x")
	if err != nil || !slices.Contains(left, "s3 bucket x-lb-logs-1") || slices.ContainsFunc(left, func(s string) bool { return strings.Contains(s, "x-us-") || strings.Contains(s, "untagged") }) {
		t.Errorf("left of x: %v, %v; want its bucket only", left, err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("x-lb-logs-1")}); err != nil {
		t.Fatal(err)
	}
	if left, err := Find(ctx, cfg, "x"); err != nil || len(left) != 0 {
		t.Errorf("after deleting the bucket: %v, %v; want nothing", left, err)
	}
	cfg.RetryMaxAttempts = 1
	rec.Before = func(call recorder.Call, w http.ResponseWriter, _ *http.Request) bool {
		if call.Service != "s3" {
			return false
		}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`<Error><Code>InternalError</Code><Message>injected by the test</Message></Error>`))
		return true
	}
	if left, err := Find(ctx, cfg, "x"); err == nil {
		t.Errorf("S3 answering 500: Find returned no error (left %v)", left)
	}
}
