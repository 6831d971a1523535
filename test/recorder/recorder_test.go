package recorder

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
