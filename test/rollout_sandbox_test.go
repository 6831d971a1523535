package test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// rolloutConfig is a stack with a request-count target-tracking policy whose
// target the steady load below exceeds, so target tracking wants to act
// during the whole rollout. No database: the app serves from memory.
const rolloutConfig = `
terraform {
  required_providers {
    hawebapp = { source = "hawebapp/hawebapp" }
  }
}

provider "hawebapp" {}

variable "name" { type = string }
variable "vpc_id" { type = string }
variable "app_subnet_ids" { type = list(string) }
variable "lb_subnet_ids" { type = list(string) }
variable "user_data" { type = string }

resource "hawebapp_stack" "app" {
  name           = var.name
  vpc_id         = var.vpc_id
  app_subnet_ids = var.app_subnet_ids
  lb_subnet_ids  = var.lb_subnet_ids
  instances = {
    image_id  = "ami-12c6146b"
    port      = 8080
    user_data = var.user_data
  }
  capacity     = { min = 3, desired = 3, max = 6 }
  scaling      = { metric = "request_count_per_target", target = 10 }
  health_check = { path = "/health" }
}

output "load_balancer_arn" { value = hawebapp_stack.app.load_balancer_arn }
`

// TestRolloutUnderLoadSandbox changes the user data of a stack under steady
// load while its target-tracking policy is active, in the sandbox (real
// health checks, HAProxy, one app process per instance, target tracking on
// real request counts, compressed time). The apply must succeed with no
// failed request, leave every instance on the new launch template version
// and leave the AlarmNotification process resumed.
func TestRolloutUnderLoadSandbox(t *testing.T) {
	sbt := newSandboxTarget(t)
	ctx := t.Context()
	name := stackName("roll")
	ec2c := ec2.NewFromConfig(sbt.aws)
	vpc, err := ec2c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.42.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	var app, lb []string
	for i, zone := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		for j, list := range []*[]string{&app, &lb} {
			sn, err := ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(zone),
				CidrBlock: aws.String(fmt.Sprintf("10.42.%d.0/24", 10*j+i))})
			if err != nil {
				t.Fatal(err)
			}
			*list = append(*list, aws.ToString(sn.Subnet.SubnetId))
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(rolloutConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := terraform.WithDefaultRetryableErrors(t, &terraform.Options{
		TerraformDir: dir, EnvVars: sbt.env, NoColor: true,
		Vars: map[string]any{"name": name, "vpc_id": aws.ToString(vpc.Vpc.VpcId), "app_subnet_ids": app, "lb_subnet_ids": lb,
			"user_data": "#!/bin/sh\necho release one\n"},
	})
	defer terraform.DestroyContext(t, background(), opts)
	terraform.InitAndApplyContext(t, ctx, opts)

	lbARN := terraform.OutputContext(t, ctx, opts, "load_balancer_arn")
	state, err := sbt.sb.Client().State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	url := ""
	for _, l := range state.LoadBalancers {
		if l.ARN == lbARN {
			url = l.URL + "/health"
		}
	}
	if url == "" {
		t.Fatalf("the sandbox serves no load balancer %s: %+v", lbARN, state.LoadBalancers)
	}

	// Steady load: 20 requests a second from one ab process (about 20 per
	// target and emulated minute, twice the policy's target), every request
	// accounted for by the soak library.
	load, err := soak.Start(ctx, soak.Options{Name: "rollout", URL: url, Concurrency: 2, Rate: 20, Drain: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Let target tracking see the load for a few emulated minutes first.
	waitUntil(t, time.Minute, func() bool { return load.Progress().OK >= 150 })

	opts.Vars["user_data"] = "#!/bin/sh\necho release two\n"
	start := time.Now()
	terraform.ApplyContext(t, ctx, opts)
	t.Logf("rollout apply took %s", time.Since(start).Round(time.Second))
	res, err := load.Stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("during the rollout: %s", res.Summary())
	if res.Sent == 0 || res.Failed > 0 {
		t.Errorf("want every request answered 2xx during the rollout: %s (%s)", res.Summary(), soak.FormatReasons(res.Reasons))
	}

	groups, err := autoscaling.NewFromConfig(sbt.aws).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
		Filters: []astypes.Filter{{Name: aws.String("tag:hawebapp:stack"), Values: []string{name}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.AutoScalingGroups) != 3 {
		t.Fatalf("%d groups, want 3", len(groups.AutoScalingGroups))
	}
	for _, g := range groups.AutoScalingGroups {
		want := aws.ToString(g.LaunchTemplate.Version)
		if want != "2" {
			t.Errorf("%s pins launch template version %s, want 2", aws.ToString(g.AutoScalingGroupName), want)
		}
		for _, inst := range g.Instances {
			if v := aws.ToString(inst.LaunchTemplate.Version); v != want {
				t.Errorf("%s: instance %s on version %s, want %s", aws.ToString(g.AutoScalingGroupName), aws.ToString(inst.InstanceId), v, want)
			}
		}
		for _, p := range g.SuspendedProcesses {
			t.Errorf("%s: %s still suspended after the rollout", aws.ToString(g.AutoScalingGroupName), aws.ToString(p.ProcessName))
		}
	}
	if code := terraform.PlanExitCodeContext(t, ctx, opts); code != 0 {
		t.Errorf("plan after the rollout exited %d, want 0 (no changes)", code)
	}
}

// waitUntil polls cond with backoff until it holds, failing the test after d.
func waitUntil(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for delay := 50 * time.Millisecond; !cond(); delay = min(2*delay, time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(delay)
	}
}
