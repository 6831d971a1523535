package sandbox_test

// Instance lifecycle: replacing unhealthy instances, launching before
// terminating, suspended processes, instance refresh, notifications and
// target tracking scaling.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestUnhealthyInstanceReplaced: with ELB health checks, an instance whose
// app died is marked Unhealthy after the grace period and replaced; the old
// one leaves the target group and its process is gone; the activity says why.
func TestUnhealthyInstanceReplaced(t *testing.T) {
	_, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "replace", zones: []string{"us-east-1a"}, perZone: 1, healthCheckType: "ELB", grace: 60, deregDelay: 5})
	old := s.waitHealthy(1)[0]
	oldPID := s.pid(old)
	s.fail(sandbox.Failure{Kind: "instance", ID: old})
	var fresh string
	env.Until(t, "a healthy replacement", 60*time.Second, func() (bool, string) {
		h := s.health()
		for id, th := range h {
			if id != old && th.State == elbtypes.TargetHealthStateEnumHealthy {
				fresh = id
			}
		}
		_, stillThere := h[old]
		return fresh != "" && !stillThere, describeHealth(h)
	})
	if ids := s.instances("us-east-1a"); len(ids) != 1 || ids[0] != fresh {
		t.Fatalf("the group should hold only the replacement %s, has %v", fresh, ids)
	}
	env.Until(t, "the replaced instance's process to end", 30*time.Second, func() (bool, string) {
		return !alive(oldPID), "still alive"
	})
	acts := s.activities(s.groups["us-east-1a"])
	found := false
	for _, a := range acts {
		found = found || (strings.Contains(aws.ToString(a.Cause), "ELB system health check failure") && strings.Contains(aws.ToString(a.Description), old))
	}
	if !found {
		t.Fatalf("no scaling activity explains the replacement of %s: %d activities", old, len(acts))
	}
}

// TestLaunchBeforeTerminate: a one-instance zone whose group keeps 100% of
// its capacity healthy replaces a failed instance by launching first: the
// failed instance is terminated only after the replacement is healthy, and
// the desired capacity is 1 again.
func TestLaunchBeforeTerminate(t *testing.T) {
	ctx := context.Background()
	sb, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "lbt", zones: []string{"us-east-1a"}, perZone: 1, healthCheckType: "ELB", grace: 60, deregDelay: 5})
	group := s.groups["us-east-1a"]
	if _, err := s.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group),
		InstanceMaintenancePolicy: &astypes.InstanceMaintenancePolicy{MinHealthyPercentage: aws.Int32(100), MaxHealthyPercentage: aws.Int32(200)}}); err != nil {
		t.Fatal(err)
	}
	old := s.waitHealthy(1)[0]
	s.fail(sandbox.Failure{Kind: "instance", ID: old})
	// The replacement's health and the old instance's termination are a
	// few hundred milliseconds apart in compressed time, too close for a
	// poll to see the order: the order is read afterwards from the
	// sandbox's event log (the replacement's target healthy) and the
	// group's scaling activities (the old instance terminated), one clock.
	var fresh string
	env.Until(t, "the failed instance replaced and the capacity back to 1", 180*time.Second, func() (bool, string) {
		out, err := s.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
		if err != nil {
			return false, err.Error()
		}
		g := out.AutoScalingGroups[0]
		var live []string
		for _, i := range g.Instances {
			if i.LifecycleState == astypes.LifecycleStateInService || i.LifecycleState == astypes.LifecycleStatePending {
				live = append(live, aws.ToString(i.InstanceId))
			}
		}
		if len(live) == 1 && live[0] != old {
			fresh = live[0]
		}
		return fresh != "" && aws.ToInt32(g.DesiredCapacity) == 1 && s.health()[fresh].State == elbtypes.TargetHealthStateEnumHealthy, strings.Join(live, ",")
	})
	evs, err := sb.Client().Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	healthy, ok := firstEvent(evs, sandbox.EventTarget, func(e sandbox.Event) bool { return e.Target == fresh && e.State == "healthy" })
	if !ok {
		t.Fatalf("the event log never shows the replacement %s healthy", fresh)
	}
	acts := s.activities(group)
	found := false
	for _, a := range acts {
		if !strings.Contains(aws.ToString(a.Description), "Terminating EC2 instance: "+old) {
			continue
		}
		found = true
		// The API gives an activity's start to the second.
		if start := aws.ToTime(a.StartTime); start.Before(healthy.At.Truncate(time.Second)) {
			t.Errorf("the failed instance %s was terminated at %s, before its replacement %s was healthy at %s",
				old, start.Format(time.StampMilli), fresh, healthy.At.Format(time.StampMilli))
		}
		if !strings.Contains(aws.ToString(a.Cause), "after its replacement "+fresh) {
			t.Errorf("the termination of %s gives the cause %q, want after its replacement %s", old, aws.ToString(a.Cause), fresh)
		}
	}
	if !found {
		t.Errorf("no scaling activity terminated %s", old)
	}
}

// firstEvent is the first event of kind that matches.
func firstEvent(evs []sandbox.Event, kind string, match func(sandbox.Event) bool) (sandbox.Event, bool) {
	for _, e := range evs {
		if e.Kind == kind && match(e) {
			return e, true
		}
	}
	return sandbox.Event{}, false
}

// TestSuspendedReplaceUnhealthy: a group whose ReplaceUnhealthy process is
// suspended keeps its unhealthy instance (an evacuated zone's group must
// not launch into the zone), while another group, with the process
// running, replaces its own: asserted once the other's replacement is
// healthy, so the sandbox has had its chance to replace both.
func TestSuspendedReplaceUnhealthy(t *testing.T) {
	ctx := context.Background()
	_, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "suspend", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1, healthCheckType: "ELB", grace: 60, deregDelay: 5})
	s.waitHealthy(2)
	held, running := s.instances("us-east-1a"), s.instances("us-east-1b")
	if _, err := s.asg.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(s.groups["us-east-1a"]),
		ScalingProcesses: []string{"ReplaceUnhealthy"}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range append(slices.Clone(held), running...) {
		s.fail(sandbox.Failure{Kind: "instance", ID: id})
	}
	env.Until(t, "us-east-1b's instance replaced by a healthy one", 60*time.Second, func() (bool, string) {
		h := s.health()
		ids := s.instances("us-east-1b")
		for _, id := range ids {
			if !slices.Contains(running, id) && h[id].State == elbtypes.TargetHealthStateEnumHealthy {
				return true, ""
			}
		}
		return false, fmt.Sprintf("us-east-1b %v; %s", ids, describeHealth(h))
	})
	if got := s.instances("us-east-1a"); !slices.Equal(got, held) {
		t.Fatalf("us-east-1a (ReplaceUnhealthy suspended) has %v, want only its unhealthy %v", got, held)
	}
	if h := s.health()[held[0]]; h.State != elbtypes.TargetHealthStateEnumUnhealthy {
		t.Fatalf("us-east-1a's %s is %s, want unhealthy (nothing proves the suspension held back a replacement)", held[0], h.State)
	}
}

// TestInstanceRefreshUnderLoad: a new launch template version rolled out
// zone by zone with instance refresh replaces every instance while ab runs,
// and not one request fails.
func TestInstanceRefreshUnderLoad(t *testing.T) {
	ctx := context.Background()
	zones := []string{"us-east-1a", "us-east-1b"}
	_, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "refresh", zones: zones, perZone: 1, grace: 60, deregDelay: 10})
	before := s.waitHealthy(2)
	load := startLoad(t, s.url()+"/fruits", 4)

	s.newTemplateVersion("refresh", "#!/bin/bash\n# v2\n")
	for _, z := range zones {
		group := s.groups[z]
		if _, err := s.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group),
			LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("refresh"), Version: aws.String("2")}}); err != nil {
			t.Fatal(err)
		}
		out, err := s.asg.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String(group),
			Preferences: &astypes.RefreshPreferences{MinHealthyPercentage: aws.Int32(0), InstanceWarmup: aws.Int32(10)}})
		if err != nil {
			t.Fatal(err)
		}
		env.Until(t, "the refresh of "+group, 90*time.Second, func() (bool, string) {
			d, err := s.asg.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(group),
				InstanceRefreshIds: []string{aws.ToString(out.InstanceRefreshId)}})
			if err != nil || len(d.InstanceRefreshes) != 1 {
				return false, "describe failed"
			}
			r := d.InstanceRefreshes[0]
			return r.Status == astypes.InstanceRefreshStatusSuccessful, string(r.Status)
		})
	}
	// The refreshed zones' new instances must be serving before load stops.
	after := s.waitHealthy(2)
	res := load.stop(t)
	for _, id := range after {
		for _, old := range before {
			if id == old {
				t.Errorf("instance %s survived the refresh", id)
			}
		}
	}
	t.Logf("load: %s", res.Summary())
	if bad, _ := load.failures(t, "start"); len(bad) != 0 {
		t.Fatalf("%d requests failed during the refresh:\n%s", len(bad), describeFailed(bad, 20))
	}
}

// TestNotifications: an ASG notification configuration (moto lacks it)
// delivers launch and terminate events through SNS to a subscribed SQS queue.
func TestNotifications(t *testing.T) {
	ctx := context.Background()
	_, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "notify", zones: []string{"us-east-1a"}, perZone: 1, maxPerZone: 2})
	sn, sq := sns.NewFromConfig(s.cfg), sqs.NewFromConfig(s.cfg)
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("asg-events")})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("asg-events")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}
	group := s.groups["us-east-1a"]
	if _, err := s.asg.PutNotificationConfiguration(ctx, &autoscaling.PutNotificationConfigurationInput{AutoScalingGroupName: aws.String(group),
		TopicARN: topic.TopicArn, NotificationTypes: []string{"autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_TERMINATE"}}); err != nil {
		t.Fatal(err)
	}
	desc, err := s.asg.DescribeNotificationConfigurations(ctx, &autoscaling.DescribeNotificationConfigurationsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(desc.NotificationConfigurations) != 2 {
		t.Fatalf("describe notification configurations: %v %+v", err, desc)
	}

	events := map[string]string{} // event -> instance
	receive := func(want string) func() (bool, string) {
		return func() (bool, string) {
			out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10})
			if err != nil {
				return false, err.Error()
			}
			for _, m := range out.Messages {
				var envelope struct{ Message string }
				var msg struct{ Event, EC2InstanceId string }
				_ = json.Unmarshal([]byte(aws.ToString(m.Body)), &envelope)
				_ = json.Unmarshal([]byte(envelope.Message), &msg)
				events[msg.Event] = msg.EC2InstanceId
				_, _ = sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: queue.QueueUrl, ReceiptHandle: m.ReceiptHandle})
			}
			_, ok := events[want]
			return ok, fmt.Sprint(events)
		}
	}
	env.Until(t, "the test notification", 30*time.Second, receive("autoscaling:TEST_NOTIFICATION"))

	s.setDesired(group, 2)
	env.Until(t, "a launch notification", 30*time.Second, receive("autoscaling:EC2_INSTANCE_LAUNCH"))
	launched := events["autoscaling:EC2_INSTANCE_LAUNCH"]
	if _, err := s.asg.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{InstanceId: aws.String(launched),
		ShouldDecrementDesiredCapacity: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	env.Until(t, "a terminate notification", 30*time.Second, receive("autoscaling:EC2_INSTANCE_TERMINATE"))
	if got := events["autoscaling:EC2_INSTANCE_TERMINATE"]; got != launched {
		t.Fatalf("terminate notification for %s, want %s", got, launched)
	}
	if _, err := s.asg.DeleteNotificationConfiguration(ctx, &autoscaling.DeleteNotificationConfigurationInput{AutoScalingGroupName: aws.String(group), TopicARN: topic.TopicArn}); err != nil {
		t.Fatal(err)
	}
}

// TestTargetTrackingScalesOutAndIn: under ab load the request count per
// target breaches the policy's target, the group scales out (within max),
// and once the load stops it scales back in to min; the activities say why
// and the metric is in CloudWatch.
func TestTargetTrackingScalesOutAndIn(t *testing.T) {
	ctx := context.Background()
	// One emulated minute per real second: scale-in needs 15 datapoints.
	sb, s := sandboxStack(t, sandbox.Options{MinuteSeconds: 1}, stackSpec{name: "scale", zones: []string{"us-east-1a"}, perZone: 1, maxPerZone: 3, grace: 60, deregDelay: 5})
	s.waitHealthy(1)
	group := s.groups["us-east-1a"]
	lbName, tgName := s.lbARN[strings.Index(s.lbARN, "loadbalancer/")+len("loadbalancer/"):], s.tgARN[strings.Index(s.tgARN, "targetgroup/"):]
	if _, err := s.asg.PutScalingPolicy(ctx, &autoscaling.PutScalingPolicyInput{AutoScalingGroupName: aws.String(group), PolicyName: aws.String("requests"),
		PolicyType: aws.String("TargetTrackingScaling"), EstimatedInstanceWarmup: aws.Int32(10),
		TargetTrackingConfiguration: &astypes.TargetTrackingConfiguration{TargetValue: aws.Float64(100),
			PredefinedMetricSpecification: &astypes.PredefinedMetricSpecification{PredefinedMetricType: astypes.MetricTypeALBRequestCountPerTarget,
				ResourceLabel: aws.String(lbName + "/" + tgName)}}}); err != nil {
		t.Fatal(err)
	}
	desired := func() int32 {
		out, err := s.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToInt32(out.AutoScalingGroups[0].DesiredCapacity)
	}

	load := startLoad(t, s.url()+"/fruits", 2)
	env.Until(t, "a scale-out to max", 60*time.Second, func() (bool, string) {
		d := desired()
		return d == 3, fmt.Sprint("desired ", d)
	})
	s.waitHealthy(3)
	res := load.stop(t)
	t.Logf("load: %s", res.Summary())

	env.Until(t, "a scale-in to min", 90*time.Second, func() (bool, string) {
		d := desired()
		return d == 1, fmt.Sprint("desired ", d)
	})
	acts := s.activities(group)
	var out, in bool
	for _, a := range acts {
		cause := aws.ToString(a.Cause)
		out = out || strings.Contains(cause, "AlarmHigh") && strings.Contains(cause, "policy requests")
		in = in || strings.Contains(cause, "AlarmLow") && strings.Contains(cause, "policy requests")
	}
	if !out || !in {
		t.Fatalf("activities lack the target-tracking causes (out %v, in %v)", out, in)
	}

	// The metric the policy tracked is readable from CloudWatch.
	now := time.Now().UTC()
	form := url.Values{"Action": {"GetMetricData"}, "Version": {"2010-08-01"},
		"StartTime": {now.Add(-10 * time.Minute).Format(time.RFC3339)}, "EndTime": {now.Add(time.Minute).Format(time.RFC3339)},
		"MetricDataQueries.member.1.Id":                                          {"rcpt"},
		"MetricDataQueries.member.1.MetricStat.Metric.Namespace":                 {"AWS/ApplicationELB"},
		"MetricDataQueries.member.1.MetricStat.Metric.MetricName":                {"RequestCountPerTarget"},
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name":  {"TargetGroup"},
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value": {tgName},
		"MetricDataQueries.member.1.MetricStat.Period":                           {"60"},
		"MetricDataQueries.member.1.MetricStat.Stat":                             {"Maximum"},
	}
	body, err := sandbox.QueryCall(ctx, sb.Endpoint, "monitoring", "us-east-1", form)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "<Values>") || !strings.Contains(body, "<member>") {
		t.Fatalf("GetMetricData returned no RequestCountPerTarget values:\n%s", body)
	}
}
