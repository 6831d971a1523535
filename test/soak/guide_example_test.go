package soak_test

// This file is the example contributing/soak-testing.md points to:
// soakThroughLoss runs in TestGuideExample against a miniature load
// balancer, and completeExampleInstanceLoss, the Terratest test around it,
// is compiled with every build of the tests.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// completeExampleInstanceLoss applies examples/complete, reads the stack's
// settings through the load balancing API, and soaks it while one
// instance dies without warning.
func completeExampleInstanceLoss(t *testing.T) {
	ctx := t.Context()
	opts := &terraform.Options{TerraformDir: "../../examples/complete"}
	defer terraform.DestroyContext(t, context.WithoutCancel(ctx), opts)
	terraform.InitAndApplyContext(t, ctx, opts)
	url := terraform.OutputContext(t, ctx, opts, "url")
	dns := terraform.OutputContext(t, ctx, opts, "dns_name")
	groups := terraform.OutputMapContext(t, ctx, opts, "autoscaling_group_names")

	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	settings, _, err := soak.SettingsForDNSName(ctx, elb.NewFromConfig(cfg), dns)
	if err != nil {
		t.Fatal(err)
	}
	var instances []string
	for _, g := range groups {
		out, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx,
			&autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{g}})
		if err != nil {
			t.Fatal(err)
		}
		for _, grp := range out.AutoScalingGroups {
			for _, in := range grp.Instances {
				instances = append(instances, aws.ToString(in.InstanceId))
			}
		}
	}
	// Terminating through EC2 (not Auto Scaling) gives the load balancer no
	// warning: its health checks must find out.
	kill := func() error {
		_, err := ec2.NewFromConfig(cfg).TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: instances[:1]})
		return err
	}
	res, err := soakThroughLoss(ctx, url+"/fruits", settings, len(instances), kill)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
}

// soakThroughLoss computes the budget for losing one of targets before any
// load, soaks url, breaks one target once the load is steady, keeps the
// load through the budget's window and holds the result to the budget.
func soakThroughLoss(ctx context.Context, url string, settings soak.Settings, targets int, breakOne func() error) (*soak.Result, error) {
	load := soak.Load{Rate: 100, Concurrency: 8}
	budget, err := soak.LossBudget(settings, load, 1, targets)
	if err != nil {
		return nil, err
	}
	// Drain: when the load stops, the requests already sent get as long as
	// the budget's window to finish, so one still on the wire at that
	// moment is judged by its answer, not counted as a failure that ended
	// at Stop, long after the window.
	phase, err := soak.Start(ctx, soak.Options{Name: "instance loss", URL: url, Concurrency: load.Concurrency, Rate: load.Rate, Drain: budget.Window})
	if err != nil {
		return nil, err
	}
	// A steady second of load first: no failure is allowed in it.
	steady := time.NewTimer(time.Second)
	select {
	case <-steady.C:
	case <-ctx.Done():
	}
	broke := time.Now()
	if err := breakOne(); err != nil {
		_, _ = phase.Stop()
		return nil, fmt.Errorf("breaking a target: %w", err)
	}
	// Keep the load through the window and as long again: failures after
	// the window break the budget too.
	through := time.NewTimer(2 * budget.Window)
	select {
	case <-through.C:
	case <-ctx.Done():
	}
	res, err := phase.Stop()
	if err != nil {
		return res, err
	}
	if err := res.Accounted(); err != nil {
		return res, err
	}
	return res, budget.Check(res, broke)
}

// miniLB answers like a load balancer in front of three targets, round
// robin: once a target is killed, its share of the requests fails (502)
// until the load balancer notices after detect.
func miniLB(t *testing.T, detect time.Duration) (*httptest.Server, func() error) {
	var n atomic.Int64
	var killed atomic.Int64 // unix nanos of the kill; 0: alive
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := killed.Load()
		if n.Add(1)%3 == 0 && k != 0 && time.Since(time.Unix(0, k)) < detect {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte(`{"fruits":[]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() error { killed.Store(time.Now().UnixNano()); return nil }
}

// guideSettings: a 1 s interval, 0.5 s timeout, 2 failures, in real time:
// the load balancer notices a dead target within 2.5 s, and a request it
// failed may end up to 4.5 s after the kill. The 2 s between the two are
// the measurement's own slack: the load, the tap and the mini load
// balancer share the machine with everything else a test run does, and at
// a tenth of these timings (0.2 s of slack) a busy machine's scheduling
// delay was once counted against the budget.
func guideSettings() soak.Settings {
	return soak.Settings{HealthCheckInterval: time.Second, HealthCheckTimeout: 500 * time.Millisecond, HealthyThreshold: 2, UnhealthyThreshold: 2,
		DeregistrationDelay: 5 * time.Second, IdleTimeout: 2 * time.Second, ConnectTimeout: time.Second, TimeScale: 1}
}

func TestGuideExample(t *testing.T) {
	if _, err := soak.FindAB(); err != nil {
		t.Fatal(err)
	}
	srv, kill := miniLB(t, 2500*time.Millisecond)
	res, err := soakThroughLoss(t.Context(), srv.URL+"/fruits", guideSettings(), 3, kill)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed == 0 {
		t.Fatalf("the kill failed no request: %s", res.Summary())
	}
	t.Log(res.Summary())
}

// A load balancer that takes ten times longer than the settings allow to
// stop sending to the dead target breaks the budget.
func TestGuideExampleCatchesSlowDetection(t *testing.T) {
	if _, err := soak.FindAB(); err != nil {
		t.Fatal(err)
	}
	srv, kill := miniLB(t, 25*time.Second)
	res, err := soakThroughLoss(t.Context(), srv.URL+"/fruits", guideSettings(), 3, kill)
	if err == nil {
		t.Fatalf("a slow detection stayed within the budget: %s", res.Summary())
	}
	t.Log(err)
}

var _ = completeExampleInstanceLoss // compiled with the tests; the suites in test/ run stacks
