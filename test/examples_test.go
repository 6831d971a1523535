package test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/gruntwork-io/terratest/modules/terraform"

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

	exampleStages(t, opts, func() {
		made = assertWebApp(t, tg, opts, name)
	}, func() {
		assertNothingLeft(t, tg.target, name)
		assertWebAppGone(t, tg, name, made)
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

// TestLoadRunnerExample applies examples/load-runner (examples/complete's
// stack plus a fleet of Apache Bench instances aimed at its URL) through the
// sandbox, checks the stack, its additions and the fleet with the AWS SDK,
// proves the next plan is empty, destroys, and proves nothing is left.
func TestLoadRunnerExample(t *testing.T) {
	// Its own sandbox, and no load or timing to judge (apply, checks through
	// the API, plan, destroy): runs beside the moto-only tests, after the
	// sandbox tests under load (which run alone).
	t.Parallel()
	tg := newSandboxTarget(t)
	name := stackName("soak")
	opts := tg.treeOptions(t, "examples/load-runner", map[string]any{"name": name})
	var (
		made  webAppMade
		fleet loadRunnerMade
	)

	exampleStages(t, opts, func() {
		made = assertWebApp(t, tg, opts, name)
		fleet = assertLoadRunner(t, tg, opts, name)
	}, func() {
		assertNothingLeft(t, tg.target, name)
		assertWebAppGone(t, tg, name, made)
		assertLoadRunnerGone(t, tg, fleet)
	})
}

// loadRunnerMade records what the load-runner module made.
type loadRunnerMade struct {
	Group, LogGroup, SecurityGroup, LaunchTemplate string
}

// launchTemplateValues are the attributes of the fleet's launch template
// the checks compare with AWS.
type launchTemplateValues struct {
	ID string `json:"id"`
}

type securityGroupValues struct {
	ID string `json:"id"`
}

// assertLoadRunner checks the fleet: a group of two instances launched from
// a pinned template version that requires IMDSv2, gives no public IP and
// encrypts the root volume; a security group without inbound rules; the log
// group; and a role that may only write to it.
func assertLoadRunner(t *testing.T, tg *sandboxTarget, opts *terraform.Options, name string) loadRunnerMade {
	t.Helper()
	ctx := t.Context()
	var lt launchTemplateValues
	var sg securityGroupValues
	stateResource(t, opts, "module.load_runner.aws_launch_template.this", &lt)
	stateResource(t, opts, "module.load_runner.aws_security_group.this", &sg)
	made := loadRunnerMade{
		Group:          terraform.OutputContext(t, ctx, opts, "load_runner_group_name"),
		LogGroup:       terraform.OutputContext(t, ctx, opts, "load_runner_log_group"),
		SecurityGroup:  sg.ID,
		LaunchTemplate: lt.ID,
	}
	if made.LogGroup != "/load-runner/"+name+"-load" {
		t.Errorf("output load_runner_log_group = %q, want /load-runner/%s-load", made.LogGroup, name)
	}

	groups, err := autoscaling.NewFromConfig(tg.aws).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
		AutoScalingGroupNames: []string{made.Group},
	})
	if err != nil || len(groups.AutoScalingGroups) != 1 {
		t.Fatalf("describing the load runners' group %s: %d groups, %v", made.Group, len(groups.AutoScalingGroups), err)
	}
	g := groups.AutoScalingGroups[0]
	if aws.ToInt32(g.DesiredCapacity) != 2 || len(g.Instances) != 2 {
		t.Errorf("load runners' group %s: desired %d, %d instances; want 2 and 2", made.Group, aws.ToInt32(g.DesiredCapacity), len(g.Instances))
	}
	if g.LaunchTemplate == nil || aws.ToString(g.LaunchTemplate.LaunchTemplateId) != lt.ID || aws.ToString(g.LaunchTemplate.Version) != "1" {
		t.Errorf("load runners' group %s launches %+v, want template %s pinned to version 1", made.Group, g.LaunchTemplate, lt.ID)
	}

	ec2c := ec2.NewFromConfig(tg.aws)
	versions, err := ec2c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(lt.ID), Versions: []string{"1"},
	})
	if err != nil || len(versions.LaunchTemplateVersions) != 1 {
		t.Fatalf("describing launch template %s version 1: %v", lt.ID, err)
	}
	data := versions.LaunchTemplateVersions[0].LaunchTemplateData
	switch {
	case data.MetadataOptions == nil || data.MetadataOptions.HttpTokens != ec2types.LaunchTemplateHttpTokensStateRequired:
		t.Errorf("launch template %s does not require IMDSv2: %+v", lt.ID, data.MetadataOptions)
	case len(data.NetworkInterfaces) != 1 || aws.ToBool(data.NetworkInterfaces[0].AssociatePublicIpAddress):
		t.Errorf("launch template %s gives instances a public IP", lt.ID)
	case len(data.BlockDeviceMappings) != 1 || data.BlockDeviceMappings[0].Ebs == nil || !aws.ToBool(data.BlockDeviceMappings[0].Ebs.Encrypted):
		t.Errorf("launch template %s does not encrypt the root volume", lt.ID)
	}

	sgs, err := ec2c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg.ID}})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatalf("describing security group %s: %v", sg.ID, err)
	}
	if n := len(sgs.SecurityGroups[0].IpPermissions); n != 0 {
		t.Errorf("load runners' security group %s has %d inbound rules, want none", sg.ID, n)
	}

	logs, err := cloudwatchlogs.NewFromConfig(tg.aws).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(made.LogGroup)})
	if err != nil || len(logs.LogGroups) != 1 {
		t.Fatalf("describing log group %s: %v (%d found)", made.LogGroup, err, len(logs.LogGroups))
	}

	var role struct {
		Name string `json:"name"`
	}
	stateResource(t, opts, "module.load_runner.aws_iam_role.this", &role)
	pol, err := iam.NewFromConfig(tg.aws).GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role.Name), PolicyName: aws.String("write-logs")})
	if err != nil {
		t.Fatalf("getting the load runners' role policy: %v", err)
	}
	doc, err := url.QueryUnescape(aws.ToString(pol.PolicyDocument)) // IAM returns it URL-encoded
	if err != nil {
		t.Fatalf("decoding the load runners' role policy: %v", err)
	}
	if !strings.Contains(doc, "PutLogEvents") || !strings.Contains(doc, made.LogGroup+":log-stream:*") || strings.Contains(doc, "logs:*") {
		t.Errorf("the load runners' role policy is not limited to writing to %s: %s", made.LogGroup, doc)
	}
	return made
}

// assertLoadRunnerGone proves the destroy removed the fleet.
func assertLoadRunnerGone(t *testing.T, tg *sandboxTarget, made loadRunnerMade) {
	t.Helper()
	ctx := background()
	if made.Group != "" {
		out, err := autoscaling.NewFromConfig(tg.aws).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{made.Group}})
		if err != nil || len(out.AutoScalingGroups) != 0 {
			t.Errorf("load runners' group %s after destroy: %d found, %v", made.Group, len(out.AutoScalingGroups), err)
		}
	}
	if made.LogGroup != "" {
		out, err := cloudwatchlogs.NewFromConfig(tg.aws).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(made.LogGroup)})
		if err != nil || len(out.LogGroups) != 0 {
			t.Errorf("log group %s after destroy: %d found, %v", made.LogGroup, len(out.LogGroups), err)
		}
	}
	if made.LaunchTemplate != "" {
		out, err := ec2.NewFromConfig(tg.aws).DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{
			Filters: []ec2types.Filter{{Name: aws.String("launch-template-id"), Values: []string{made.LaunchTemplate}}},
		})
		if err != nil || len(out.LaunchTemplates) != 0 {
			t.Errorf("launch template %s after destroy: %v", made.LaunchTemplate, err)
		}
	}
}
