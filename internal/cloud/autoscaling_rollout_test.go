package cloud

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	testenv "github.com/hawebapp/terraform-provider-hawebapp/test/env"
	callrecorder "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

func describeGroup(t *testing.T, asc *autoscaling.Client, name string) astypes.AutoScalingGroup {
	t.Helper()
	out, err := asc.DescribeAutoScalingGroups(t.Context(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		t.Fatalf("describing group %s: %v", name, err)
	}
	return out.AutoScalingGroups[0]
}

func suspended(g astypes.AutoScalingGroup) []string {
	var names []string
	for _, p := range g.SuspendedProcesses {
		names = append(names, aws.ToString(p.ProcessName))
	}
	return names
}

// assertRetried checks that each action was called more often than it
// was answered "busy": the call was retried until it went through.
func assertRetried(t *testing.T, env *faultEnv, injected map[string]int) {
	t.Helper()
	if left := env.left(); len(left) > 0 {
		t.Errorf("injected answers never asked for: %v", left)
	}
	counts := env.rec.Counts()
	for action, n := range injected {
		if got := counts["autoscaling:"+action]; got <= n {
			t.Errorf("%s called %d times with %d busy answers: not retried", action, got, n)
		}
	}
}

func TestAutoScalingBusyRetried(t *testing.T) {
	env := newFaultEnv(t)
	c := New(env.cfg, nil)
	spec := groupSpec("busy", testenv.Network(t, env.cfg))
	bp := blueprint.Build(spec)
	inject := func(faults map[string]fault, n map[string]int) {
		env.rec.Reset()
		for action, f := range faults {
			env.inject(action, n[action], f)
		}
	}
	// ResourceContention more often than the SDK's standard retryer tries
	// within one call (3 attempts), so only our retry gets through.
	create := map[string]int{"CreateAutoScalingGroup": 4, "PutScalingPolicy": 4}
	inject(map[string]fault{"CreateAutoScalingGroup": busy(errCodeResourceContention), "PutScalingPolicy": busy(errCodeResourceContention)}, create)
	apply(t, c, bp)
	assertRetried(t, env, create)
	destroyed := false
	defer func() {
		if !destroyed {
			destroy(t, c, bp)
		}
	}()

	spec.Instances.UserData = "#!/bin/sh\necho two\n"
	bp = blueprint.Build(spec)
	rollout := map[string]int{"UpdateAutoScalingGroup": 2, "SetDesiredCapacity": 2, "TerminateInstanceInAutoScalingGroup": 2, "SuspendProcesses": 4, "ResumeProcesses": 2}
	inject(map[string]fault{
		"UpdateAutoScalingGroup":              busy(errCodeScalingActivityInProgress),
		"SetDesiredCapacity":                  busy(errCodeScalingActivityInProgress),
		"TerminateInstanceInAutoScalingGroup": busy(errCodeScalingActivityInProgress),
		"SuspendProcesses":                    busy(errCodeResourceContention),
		"ResumeProcesses":                     busy(errCodeResourceInUse),
	}, rollout)
	apply(t, c, bp)
	assertRetried(t, env, rollout)
	observeClean(t, c, bp)

	del := map[string]int{"DeleteAutoScalingGroup": 2, "DeletePolicy": 4}
	inject(map[string]fault{"DeleteAutoScalingGroup": busy(errCodeScalingActivityInProgress), "DeletePolicy": busy(errCodeResourceContention)}, del)
	destroyed = true
	destroy(t, c, bp)
	assertRetried(t, env, del)
}

func TestRolloutResumable(t *testing.T) {
	env := newFaultEnv(t)
	c := New(env.cfg, nil)
	asc := autoscaling.NewFromConfig(testConfig(t, nil)) // straight to the emulator
	spec := groupSpec("resume", testenv.Network(t, env.cfg))
	bp := blueprint.Build(spec)
	apply(t, c, bp)
	defer destroy(t, c, bp)
	obs := refsFrom(t, c, bp)
	var groups []string
	for _, p := range bp.Parts {
		if p.Kind == blueprint.KindAutoScalingGroup {
			groups = append(groups, obs[p.Key].Name)
		}
	}
	oldVersion := obs[blueprint.KeyLaunchTemplate].Attrs["version"]

	// While a rollout adds instances, AlarmNotification is suspended.
	var mu sync.Mutex
	suspendedWhileAdding := map[string][]string{}
	env.hook = func(call callrecorder.Call, r *http.Request) bool {
		if call.Action == "SetDesiredCapacity" {
			name := callrecorder.FormValue(r, "AutoScalingGroupName")
			out, err := asc.DescribeAutoScalingGroups(r.Context(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
			mu.Lock()
			if err == nil && len(out.AutoScalingGroups) == 1 {
				suspendedWhileAdding[name] = suspended(out.AutoScalingGroups[0])
			}
			mu.Unlock()
		}
		return false
	}

	spec.Instances.UserData = "#!/bin/sh\necho two\n"
	bp = blueprint.Build(spec)
	t.Run("a failed rollout resumes what it suspended", func(t *testing.T) {
		env.inject("TerminateInstanceInAutoScalingGroup", 1, fault{status: http.StatusBadRequest, code: errCodeValidationError, msg: "injected: refused"})
		_, err := applyE(t, c, bp)
		if err == nil || !strings.Contains(err.Error(), "injected: refused") {
			t.Fatalf("apply: %v, want AWS's refusal", err)
		}
		for _, name := range groups {
			g := describeGroup(t, asc, name)
			if s := suspended(g); len(s) > 0 || hasRolloutMark(&g) {
				t.Errorf("%s: suspended %v (rollout mark %t) after the failed rollout, want all resumed", name, s, hasRolloutMark(&g))
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if s := suspendedWhileAdding[groups[0]]; !slices.Equal(s, []string{"AlarmNotification"}) {
			t.Errorf("%s: suspended %v while the rollout added instances, want AlarmNotification", groups[0], s)
		}
	})

	t.Run("outdated instances are drift", func(t *testing.T) {
		obs, err := c.Observe(t.Context(), bp)
		if err != nil {
			t.Fatal(err)
		}
		key := blueprint.KeyFor(blueprint.KindAutoScalingGroup, zones[0])
		newVersion := obs[blueprint.KeyLaunchTemplate].Attrs["version"]
		want := fmt.Sprintf("1 instance on launch template version %s, want %s", oldVersion, newVersion)
		if !slices.Contains(obs[key].Drift, want) {
			t.Errorf("%s drift %q, want it to include %q", key, obs[key].Drift, want)
		}
	})

	t.Run("the next apply finishes the rollout, already gone instances included", func(t *testing.T) {
		// The first outdated instance is terminated by someone else just
		// before the rollout asks: AWS then answers "not found".
		env.inject("TerminateInstanceInAutoScalingGroup", 1, fault{respondWith: func(w http.ResponseWriter, r *http.Request) {
			id := callrecorder.FormValue(r, "InstanceId")
			if _, err := asc.TerminateInstanceInAutoScalingGroup(t.Context(), &autoscaling.TerminateInstanceInAutoScalingGroupInput{
				InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(true)}); err != nil {
				t.Errorf("terminating %s behind the rollout's back: %v", id, err)
			}
			writeASGError(w, http.StatusBadRequest, errCodeValidationError, "Instance Id not found - No managed instance found for instance ID: "+id)
		}})
		apply(t, c, bp)
		if left := env.left(); len(left) > 0 {
			t.Errorf("injected answers never asked for: %v", left)
		}
		obs := observeClean(t, c, bp)
		version := obs[blueprint.KeyLaunchTemplate].Attrs["version"]
		for _, name := range groups {
			g := describeGroup(t, asc, name)
			for _, inst := range g.Instances {
				if v := aws.ToString(inst.LaunchTemplate.Version); v != version {
					t.Errorf("%s: instance %s on version %s, want %s", name, aws.ToString(inst.InstanceId), v, version)
				}
			}
			if len(g.Instances) == 0 {
				t.Errorf("%s: no instances", name)
			}
		}
	})

	t.Run("processes a killed rollout left suspended are drift and resumed", func(t *testing.T) {
		name := groups[1]
		if _, err := asc.CreateOrUpdateTags(t.Context(), &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{{Key: aws.String(tagRolloutSuspended),
			Value: aws.String("AlarmNotification"), ResourceId: aws.String(name), ResourceType: aws.String("auto-scaling-group"), PropagateAtLaunch: aws.Bool(false)}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := asc.SuspendProcesses(t.Context(), &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(name), ScalingProcesses: []string{"AlarmNotification"}}); err != nil {
			t.Fatal(err)
		}
		obs, err := c.Observe(t.Context(), bp)
		if err != nil {
			t.Fatal(err)
		}
		key := blueprint.KeyFor(blueprint.KindAutoScalingGroup, zones[1])
		if want := "AlarmNotification suspended by an interrupted rollout, want resumed"; !slices.Contains(obs[key].Drift, want) {
			t.Errorf("%s drift %q, want %q", key, obs[key].Drift, want)
		}
		apply(t, c, bp)
		observeClean(t, c, bp)
		if g := describeGroup(t, asc, name); len(suspended(g)) > 0 || hasRolloutMark(&g) {
			t.Errorf("%s: suspended %v after the apply, want resumed", name, suspended(g))
		}
	})
}

func TestScalingActivityFailures(t *testing.T) {
	env := newFaultEnv(t)
	c := New(env.cfg, nil)
	spec := groupSpec("activity", testenv.Network(t, env.cfg))
	bp := blueprint.Build(spec)

	// AWS's answer while a new instance profile is not yet usable by EC2;
	// Auto Scaling launches again by itself.
	retried := "Value (activity-profile) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name. Launching EC2 instance failed."
	env.inject("DescribeScalingActivities", 3, fault{respondWith: failedActivityAnswer("activity", retried)})
	if _, err := applyE(t, c, bp); err != nil {
		t.Fatalf("create with launches AWS retries: %v", err)
	}
	defer destroy(t, c, bp)
	if left := env.left(); len(left) > 0 {
		t.Errorf("injected answers never asked for: %v", left)
	}

	// Launches refused for want of capacity: Auto Scaling retries them, so
	// the update waits; once they outlast CapacityWait it fails naming them.
	capacity := "We currently do not have sufficient t3.micro capacity in the Availability Zone you requested (us-east-1b). " +
		"Our system will be working on provisioning additional capacity. Launching EC2 instance failed."
	env.inject("DescribeScalingActivities", 1, fault{respondWith: failedActivityAnswer("activity", capacity)})
	spec.Capacity.Max = 7
	if _, err := applyE(t, c, blueprint.Build(spec)); err != nil {
		t.Fatalf("update with launches short of capacity for a while: %v", err)
	}
	if left := env.left(); len(left) > 0 {
		t.Errorf("injected answers never asked for: %v", left)
	}
	c.CapacityWait = time.Nanosecond // every capacity failure has now outlasted it
	env.inject("DescribeScalingActivities", 1, fault{respondWith: failedActivityAnswer("activity", capacity)})
	spec.Capacity.Max = 8
	_, err := applyE(t, c, blueprint.Build(spec))
	if err == nil || !strings.Contains(err.Error(), "refused for want of capacity") || !strings.Contains(err.Error(), capacity) {
		t.Errorf("update: %v, want the capacity failure named once it outlasted CapacityWait", err)
	}
	c.CapacityWait = 0

	// A launch AWS will not retry ends the wait with AWS's reason.
	final := "The image id '[ami-00000000]' does not exist. Launching EC2 instance failed."
	env.inject("DescribeScalingActivities", 1, fault{respondWith: failedActivityAnswer("activity", final)})
	spec.Capacity.Max = 9
	_, err = applyE(t, c, blueprint.Build(spec))
	if err == nil || !strings.Contains(err.Error(), final) {
		t.Errorf("update: %v, want AWS's reason %q", err, final)
	}
}
