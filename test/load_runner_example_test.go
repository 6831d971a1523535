package test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gruntwork-io/terratest/modules/terraform"
	test_structure "github.com/gruntwork-io/terratest/modules/test-structure"
)

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

	defer test_structure.RunTestStage(t, "teardown", func() {
		start := time.Now()
		terraform.DestroyContext(t, background(), opts)
		t.Logf("destroy took %s", time.Since(start).Round(time.Second))
		assertNothingLeft(t, tg.target, name)
		assertWebAppGone(t, tg, name, made)
		assertLoadRunnerGone(t, tg, fleet)
	})

	test_structure.RunTestStage(t, "deploy", func() {
		start := time.Now()
		terraform.InitAndApplyContext(t, t.Context(), opts)
		t.Logf("init and apply took %s", time.Since(start).Round(time.Second))
	})

	test_structure.RunTestStage(t, "validate", func() {
		made = assertWebApp(t, tg, opts, name)
		fleet = assertLoadRunner(t, tg, opts, name)
	})

	test_structure.RunTestStage(t, "plan_empty", func() {
		if code := terraform.PlanExitCodeContext(t, t.Context(), opts); code != 0 {
			t.Errorf("plan after apply exited %d, want 0 (no changes)", code)
		}
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
