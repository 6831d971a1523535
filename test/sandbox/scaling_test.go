package sandbox_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestTargetTrackingScalesOutAndIn: under ab load the request count per
// target breaches the policy's target, the group scales out (within max),
// and once the load stops it scales back in to min; the activities say why
// and the metric is in CloudWatch.
func TestTargetTrackingScalesOutAndIn(t *testing.T) {
	ctx := context.Background()
	// One emulated minute per real second: scale-in needs 15 datapoints.
	sb := startSandbox(t, sandbox.Options{MinuteSeconds: 1})
	s := newStack(t, sb, stackSpec{name: "scale", zones: []string{"us-east-1a"}, perZone: 1, maxPerZone: 3, grace: 60, deregDelay: 5})
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
	acts, err := s.asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(group)})
	if err != nil {
		t.Fatal(err)
	}
	var out, in bool
	for _, a := range acts.Activities {
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
