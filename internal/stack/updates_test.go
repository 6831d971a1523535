package stack_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// TestAccStack_autoscalerOwnsDesired: a desired capacity changed by the
// autoscaler is not drift, and a later apply of another change keeps it.
func TestAccStack_autoscalerOwnsDesired(t *testing.T) {
	c, args := appOnly(t)
	changed := args
	changed.healthPath = "/ready"
	group := args.name + "-us-east-1a"
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config()},
		{
			PreConfig: func() {
				if _, err := c.asg.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{
					AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(2)}); err != nil {
					t.Fatal(err)
				}
			},
			Config:   args.config(),
			PlanOnly: true, // empty plan: the autoscaler's desired is not drift
		},
		{Config: changed.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkHealthPath(c, args.name, "/ready"),
			checkDesired(c, group, 2),
		)},
	})
}

func checkDesired(c clients, group string, want int32) resource.TestCheckFunc {
	return func(*terraform.State) error {
		out, err := c.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
		if err != nil || len(out.AutoScalingGroups) != 1 {
			return fmt.Errorf("group %s: %v", group, err)
		}
		if got := aws.ToInt32(out.AutoScalingGroups[0].DesiredCapacity); got != want {
			return fmt.Errorf("group %s desired %d, want %d (an apply must not reset the autoscaler's choice)", group, got, want)
		}
		return nil
	}
}

// TestAccStack_instancePortChangeReplacesTheTargetGroup changes the port
// the instances serve on, which replaces the target group (its port cannot
// change): the apply finishes (it once waited forever for the load
// balancer to show in the new group), the listener forwards to the new
// group, every zonal group is attached to it alone, the old group is gone,
// and the next plan is empty.
func TestAccStack_instancePortChangeReplacesTheTargetGroup(t *testing.T) {
	c, args := appOnly(t)
	moved := args
	moved.instancesExtra = `port = 8081`
	var before string
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config(), Check: func(s *terraform.State) error {
			before = s.RootModule().Resources[addr].Primary.Attributes["target_group_arn"]
			return checkServedBy(c, args.name, before, 8080)(s)
		}},
		{Config: moved.config(), Check: func(s *terraform.State) error {
			after := s.RootModule().Resources[addr].Primary.Attributes["target_group_arn"]
			if after == before {
				return fmt.Errorf("target group %s kept after the port changed", after)
			}
			if _, err := c.elb.DescribeTargetGroups(context.Background(), &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{before}}); err == nil {
				return fmt.Errorf("the old target group %s is still there", before)
			}
			return checkServedBy(c, args.name, after, 8081)(s)
		}},
		{Config: moved.config(), PlanOnly: true},
	})
}

// checkServedBy checks through the API that the target group has the port,
// that every listener of its load balancer forwards to it, and that every
// zonal group of the stack is attached to it and to nothing else.
func checkServedBy(c clients, stack, tg string, port int32) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		out, err := c.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{tg}})
		if err != nil {
			return err
		}
		g := out.TargetGroups[0]
		if aws.ToInt32(g.Port) != port || len(g.LoadBalancerArns) != 1 {
			return fmt.Errorf("target group %s: port %d, load balancers %v; want port %d behind the stack's", tg, aws.ToInt32(g.Port), g.LoadBalancerArns, port)
		}
		ls, err := c.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(g.LoadBalancerArns[0])})
		if err != nil {
			return err
		}
		for _, l := range ls.Listeners {
			var to []string
			for _, a := range l.DefaultActions {
				to = append(to, aws.ToString(a.TargetGroupArn))
			}
			if !slices.Contains(to, tg) {
				return fmt.Errorf("listener on port %d forwards to %v, not to %s", aws.ToInt32(l.Port), to, tg)
			}
		}
		groups, err := stackGroups(ctx, c, stack)
		if err != nil {
			return err
		}
		for _, ag := range groups {
			if !slices.Equal(ag.TargetGroupARNs, []string{tg}) {
				return fmt.Errorf("group %s is attached to %v, want %s alone", aws.ToString(ag.AutoScalingGroupName), ag.TargetGroupARNs, tg)
			}
		}
		return nil
	}
}

// TestAccStack_rolloutDuringEvacuation: a new launch template version
// during an evacuation rolls out over the zones in service only; the
// evacuated group keeps its instances, on the old version, with no drift;
// the return rolls it out and resumes every process.
func TestAccStack_rolloutDuringEvacuation(t *testing.T) {
	c, args := appOnly(t)
	evac := args
	evac.extra = fmt.Sprintf("evacuate_zones = [%q]", evacuated)
	evacV2 := evac
	evacV2.userData = "#!/bin/bash\necho v2\n"
	returnedV2 := args
	returnedV2.userData = evacV2.userData
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config()},
		{Config: evac.config()},
		{Config: evacV2.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkGroupVersions(c, args.name, map[string]string{"us-east-1a": "2", evacuated: "1", "us-east-1c": "2"}),
			checkSuspended(c, args.name+"-"+evacuated, []string{"AlarmNotification", "Launch", "ReplaceUnhealthy"}),
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
		)},
		{Config: evacV2.config(), PlanOnly: true},
		{Config: returnedV2.config(), Check: resource.ComposeAggregateTestCheckFunc(
			checkInstancesOnVersion(c, args.name, "2"),
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
		)},
		{Config: returnedV2.config(), PlanOnly: true},
	})
}

// checkGroupVersions checks, by zone, the launch template version every
// instance of the zone's group runs.
func checkGroupVersions(c clients, stack string, want map[string]string) resource.TestCheckFunc {
	return checkGroups(c, stack, func(g astypes.AutoScalingGroup) error {
		name := aws.ToString(g.AutoScalingGroupName)
		version, ok := want[name[len(stack)+1:]]
		if !ok {
			return fmt.Errorf("group %s: no version expected", name)
		}
		return onVersion(g, version)
	})
}

// TestAccStack_interruptedRolloutIsDrift fails a user-data rollout halfway
// (AWS refuses to terminate the first outdated instance): the apply fails
// with AWS's reason, the plan afterwards is not empty (an instance still
// runs the old launch template version), and the next apply finishes the
// rollout, leaving every instance on the new version and nothing suspended.
func TestAccStack_interruptedRolloutIsDrift(t *testing.T) {
	needRecorder(t, "injects faults")
	c, args := appOnly(t)
	updated := args
	updated.userData = "#!/bin/bash\necho v2\n"
	refuseOnce := func() {
		refused := false
		accRecorder.Before = func(call recorder.Call, w http.ResponseWriter, _ *http.Request) bool {
			if call.Action != "TerminateInstanceInAutoScalingGroup" || refused {
				return false
			}
			refused = true
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>refused by the test</Message></Error></ErrorResponse>`))
			return true
		}
	}
	t.Cleanup(func() { accRecorder.Before = nil })
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config()},
		{PreConfig: refuseOnce, Config: updated.config(), ExpectError: regexp.MustCompile(`refused by the test`)},
		{
			PreConfig:          func() { accRecorder.Before = nil },
			Config:             updated.config(),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		},
		{Config: updated.config(), Check: resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr(addr, "drift.#", "0"),
			checkInstancesOnVersion(c, args.name, "2"),
		)},
		{Config: updated.config(), PlanOnly: true},
	})
}

// checkInstancesOnVersion checks through the API that every instance of the
// stack's groups runs the launch template version and that no process is
// left suspended.
func checkInstancesOnVersion(c clients, stack, version string) resource.TestCheckFunc {
	return checkGroups(c, stack, func(g astypes.AutoScalingGroup) error {
		if err := onVersion(g, version); err != nil {
			return err
		}
		if len(g.SuspendedProcesses) > 0 {
			return fmt.Errorf("group %s: %d processes still suspended", aws.ToString(g.AutoScalingGroupName), len(g.SuspendedProcesses))
		}
		return nil
	})
}

// TestAccStack_settingNotTaken: an emulator (or a region) that accepts
// CreateAutoScalingGroup and drops its InstanceMaintenancePolicy. The
// create fails with an error naming the zonal group and the setting, as
// found and as asked, instead of Terraform's "Provider produced inconsistent
// result after apply: .drift: new element 0 has appeared"; it is rolled back
// like any failed create, so nothing is left.
func TestAccStack_settingNotTaken(t *testing.T) {
	needRecorder(t, "rewrites calls")
	c, args := appOnly(t)
	var dropped atomic.Int32
	accRecorder.Before = func(call recorder.Call, _ http.ResponseWriter, r *http.Request) bool {
		if call.Action != "CreateAutoScalingGroup" {
			return false
		}
		form := readForm(r)
		if !strings.HasSuffix(form.Get("AutoScalingGroupName"), "-us-east-1b") {
			return false
		}
		kept := url.Values{}
		for k, v := range form {
			if !strings.HasPrefix(k, "InstanceMaintenancePolicy.") {
				kept[k] = v
			}
		}
		writeForm(r, kept)
		dropped.Add(1)
		return false
	}
	t.Cleanup(func() { accRecorder.Before = nil })
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config(), ExpectError: regexp.MustCompile(`(?s)AWS\s+accepted\s+the\s+calls\s+but\s+did\s+not\s+keep.*` +
			`Nothing\s+this\s+apply\s+created\s+is\s+left.*` +
			`autoscaling_group/us-east-1b\s+\(` + args.name + `-us-east-1b\):\s+instance\s+maintenance\s+policy\s+none,\s+want\s+100-200%\s+healthy`)},
		{
			PreConfig: func() { accRecorder.Before = nil },
			Config:    `provider "hawebapp" {}`,
			Check:     checkNothingTagged(c, args.name),
		},
	})
	if dropped.Load() == 0 {
		t.Fatal("no CreateAutoScalingGroup of the us-east-1b group was seen")
	}
}
