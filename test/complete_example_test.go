package test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// webAppOutputs are the outputs examples/complete and examples/load-runner
// share (the web-app module's, passed through).
var webAppOutputs = []string{
	"url", "dns_name", "vpc_id", "autoscaling_group_names", "db_endpoint", "db_secret_arn",
	"capacity_after_zone_loss", "sns_topic_arn", "alarm_arns", "dashboard_name",
}

// alarmSuffixes are the alarms the web-app module makes with a database.
var alarmSuffixes = []string{"-http-5xx-rate", "-unhealthy-hosts", "-high-latency", "-db-cpu", "-db-free-storage"}

// TestCompleteExample applies examples/complete (modules/network +
// modules/web-app with a database, notifications, alarms and a dashboard)
// through the sandbox, checks the stack and its additions with the AWS SDK,
// proves the next plan is empty, destroys, and proves nothing is left.
func TestCompleteExample(t *testing.T) {
	// Its own sandbox, and no load or timing to judge (apply, checks through
	// the API, plan, destroy): runs beside the moto-only tests, after the
	// sandbox tests under load (which run alone).
	t.Parallel()
	tg := newSandboxTarget(t)
	name := stackName("cplx")
	opts := tg.treeOptions(t, "examples/complete", map[string]any{"name": name})
	var made webAppMade

	defer test_structure.RunTestStage(t, "teardown", func() {
		start := time.Now()
		terraform.DestroyContext(t, background(), opts)
		t.Logf("destroy took %s", time.Since(start).Round(time.Second))
		assertNothingLeft(t, tg.target, name)
		assertWebAppGone(t, tg, name, made)
	})

	test_structure.RunTestStage(t, "deploy", func() {
		start := time.Now()
		terraform.InitAndApplyContext(t, t.Context(), opts)
		t.Logf("init and apply took %s", time.Since(start).Round(time.Second))
	})

	test_structure.RunTestStage(t, "validate", func() {
		made = assertWebApp(t, tg, opts, name)
	})

	test_structure.RunTestStage(t, "plan_empty", func() {
		if code := terraform.PlanExitCodeContext(t, t.Context(), opts); code != 0 {
			t.Errorf("plan after apply exited %d, want 0 (no changes)", code)
		}
	})
}

// webAppMade records what the web-app module made, to look for after the
// destroy.
type webAppMade struct {
	VPCID     string
	TopicARN  string
	Dashboard string
}

// assertWebApp checks the stack (as examples/minimal's test does: three
// zonal groups, security groups, role, multi-AZ database) and what the
// web-app module adds: a notification configuration on every zonal group,
// the SNS topic with its TLS-only policy, the five alarms on the right
// dimensions, and the dashboard.
func assertWebApp(t *testing.T, tg *sandboxTarget, opts *terraform.Options, name string) webAppMade {
	t.Helper()
	ctx := t.Context()
	var st stackValues
	stateResource(t, opts, "module.web_app.hawebapp_stack.this", &st)
	outputs := terraform.OutputForKeysContext(t, ctx, opts, webAppOutputs)
	assertMinimalStack(t, tg.target, name, st, outputs)

	made := webAppMade{}
	made.VPCID, _ = outputs["vpc_id"].(string)
	made.TopicARN, _ = outputs["sns_topic_arn"].(string)
	made.Dashboard, _ = outputs["dashboard_name"].(string)
	if made.TopicARN == "" || made.Dashboard != name {
		t.Fatalf("outputs sns_topic_arn = %q, dashboard_name = %q: want a topic and the dashboard %q", made.TopicARN, made.Dashboard, name)
	}

	// The topic, with a policy that refuses plain HTTP.
	attrs, err := sns.NewFromConfig(tg.aws).GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(made.TopicARN)})
	if err != nil {
		t.Fatalf("getting attributes of topic %s: %v", made.TopicARN, err)
	}
	if p := attrs.Attributes["Policy"]; !strings.Contains(p, "aws:SecureTransport") {
		t.Errorf("topic %s policy does not deny insecure transport: %s", made.TopicARN, p)
	}

	// Scaling notifications on every zonal group.
	out, err := autoscaling.NewFromConfig(tg.aws).DescribeNotificationConfigurations(ctx, &autoscaling.DescribeNotificationConfigurationsInput{
		AutoScalingGroupNames: mapValues(st.AutoScalingGroupNames),
	})
	if err != nil {
		t.Fatalf("describing notification configurations: %v", err)
	}
	for zone, group := range st.AutoScalingGroupNames {
		var types []string
		for _, c := range out.NotificationConfigurations {
			if aws.ToString(c.AutoScalingGroupName) == group && aws.ToString(c.TopicARN) == made.TopicARN {
				types = append(types, aws.ToString(c.NotificationType))
			}
		}
		if len(types) != 4 || !slices.Contains(types, "autoscaling:EC2_INSTANCE_LAUNCH_ERROR") {
			t.Errorf("group %s (%s) notifies %s of %v, want the 4 launch/terminate types", group, zone, made.TopicARN, types)
		}
	}

	// Alarms, with the load balancer's ARN suffix as dimension and the topic
	// as action.
	lbSuffix := st.LoadBalancerARN[strings.Index(st.LoadBalancerARN, ":loadbalancer/")+len(":loadbalancer/"):]
	alarms := cloudWatchQuery(ctx, t, tg, url.Values{"Action": {"DescribeAlarms"}, "AlarmNamePrefix": {name + "-"}})
	for _, s := range alarmSuffixes {
		if !strings.Contains(alarms, "<AlarmName>"+name+s+"</AlarmName>") {
			t.Errorf("alarm %s%s not found", name, s)
		}
	}
	if !strings.Contains(alarms, lbSuffix) || !strings.Contains(alarms, made.TopicARN) || !strings.Contains(alarms, st.DBInstanceIdentifier) {
		t.Errorf("alarms do not name the load balancer %s, the database %s and the topic %s:\n%s", lbSuffix, st.DBInstanceIdentifier, made.TopicARN, alarms)
	}

	// The dashboard covers every zonal group and the database.
	body := cloudWatchQuery(ctx, t, tg, url.Values{"Action": {"GetDashboard"}, "DashboardName": {name}})
	for _, group := range st.AutoScalingGroupNames {
		if !strings.Contains(body, group) {
			t.Errorf("dashboard %s does not show group %s", name, group)
		}
	}
	if !strings.Contains(body, lbSuffix) || !strings.Contains(body, st.DBInstanceIdentifier) {
		t.Errorf("dashboard %s does not show the load balancer %s and the database %s", name, lbSuffix, st.DBInstanceIdentifier)
	}
	return made
}

// assertWebAppGone proves the destroy removed the network, the topic, the
// alarms and the dashboard (the stack's children are checked by tag).
func assertWebAppGone(t *testing.T, tg *sandboxTarget, name string, made webAppMade) {
	t.Helper()
	ctx := background()
	if made.VPCID != "" {
		vpcs, err := ec2.NewFromConfig(tg.aws).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{
			Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{made.VPCID}}},
		})
		if err != nil {
			t.Errorf("describing VPC %s: %v", made.VPCID, err)
		} else if len(vpcs.Vpcs) != 0 {
			t.Errorf("VPC %s is left after destroy", made.VPCID)
		}
	}
	if made.TopicARN != "" {
		_, err := sns.NewFromConfig(tg.aws).GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(made.TopicARN)})
		if err == nil {
			t.Errorf("topic %s is left after destroy", made.TopicARN)
		}
	}
	if alarms := cloudWatchQuery(ctx, t, tg, url.Values{"Action": {"DescribeAlarms"}, "AlarmNamePrefix": {name + "-"}}); strings.Contains(alarms, "<AlarmName>") {
		t.Errorf("alarms named %s-* are left after destroy:\n%s", name, alarms)
	}
	if dashboards := cloudWatchQuery(ctx, t, tg, url.Values{"Action": {"ListDashboards"}, "DashboardNamePrefix": {name}}); strings.Contains(dashboards, "<DashboardName>") {
		t.Errorf("dashboard %s is left after destroy:\n%s", name, dashboards)
	}
}

// cloudWatchQuery calls CloudWatch with the query protocol through the
// sandbox (the SDK's client speaks a protocol moto does not) and returns
// the XML answer.
func cloudWatchQuery(ctx context.Context, t *testing.T, tg *sandboxTarget, form url.Values) string {
	t.Helper()
	form.Set("Version", "2010-08-01")
	out, err := sandbox.QueryCall(ctx, tg.sb.Endpoint, "monitoring", tg.aws.Region, form)
	if err != nil {
		t.Fatalf("CloudWatch %s: %v", form.Get("Action"), err)
	}
	return out
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
