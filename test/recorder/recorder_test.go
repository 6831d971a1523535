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
