package ha

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// loadRunner (suite 7, `make soak` only): examples/load-runner, whose fleet
// of Apache Bench instances is wired to the stack's URL. On real AWS the
// fleet soaks the stack from inside the VPC and its ab reports, read from
// its log group, must show no failed request. The sandbox runs no user
// data (test/sandbox README, "Known limits"), so there the suite proves the
// wiring (the fleet's user data runs ab against the stack's URL) and soaks
// the same URL from this machine.
func loadRunner(t *testing.T, sz size) figures {
	tg := e2e.NewStackTarget(t)
	name := e2e.StackName("halr")
	opts := tg.TreeOptions(t, "examples/load-runner", map[string]any{"name": name})
	defer func() {
		terraform.DestroyContext(t, e2e.Background(), opts)
		e2e.AssertNothingLeft(t, tg, name)
	}()
	terraform.InitAndApplyContext(t, t.Context(), opts)
	url := terraform.OutputContext(t, t.Context(), opts, "url")
	group := terraform.OutputContext(t, t.Context(), opts, "load_runner_group_name")

	userData := fleetUserData(t, tg, group)
	if !strings.Contains(userData, " "+url) || !strings.Contains(userData, "ab -n") {
		t.Fatalf("the load runners' user data does not run ab against the stack's URL %s:\n%s", url, userData)
	}
	if tg.Real {
		return fleetReports(t, tg, terraform.OutputContext(t, t.Context(), opts, "load_runner_log_group"), sz)
	}
	var st e2e.StackValues
	e2e.StateResource(t, opts, stackAddress, &st)
	s := &stack{tg: tg, opts: opts, name: name, st: st, size: sz, scalingTarget: exampleScalingTarget, url: sandboxURL(t, tg, st.LoadBalancerARN)}
	for z := range st.AutoScalingGroupNames {
		s.zones = append(s.zones, z)
	}
	s.waitSteady(t, sz.Recover)
	p := s.start(t, "load runner's URL", 4, drain)
	until(t, p.Started().Add(sz.Steady))
	res := stop(t, p)
	if res.Sent == 0 || res.Failed > 0 {
		t.Errorf("soak of the load runners' URL: want every request answered 2xx: %s", res.Summary())
	}
	return figures{Suite: "load runner", Requests: res.Sent, Failed: res.Failed, Budget: -1, Note: "fleet wired to " + url + "; soaked from this machine (the sandbox runs no user data)"}
}

// fleetUserData is the user data of the launch template version the load
// runners' group launches.
func fleetUserData(t *testing.T, tg *e2e.Target, group string) string {
	t.Helper()
	ctx := t.Context()
	out, err := autoscaling.NewFromConfig(tg.AWS).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(out.AutoScalingGroups) != 1 || out.AutoScalingGroups[0].LaunchTemplate == nil {
		t.Fatalf("describing the load runners' group %s: %v", group, err)
	}
	lt := out.AutoScalingGroups[0].LaunchTemplate
	v, err := ec2.NewFromConfig(tg.AWS).DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: lt.LaunchTemplateId, Versions: []string{aws.ToString(lt.Version)}})
	if err != nil || len(v.LaunchTemplateVersions) != 1 {
		t.Fatalf("describing launch template %s version %s: %v", aws.ToString(lt.LaunchTemplateId), aws.ToString(lt.Version), err)
	}
	b, err := base64.StdEncoding.DecodeString(aws.ToString(v.LaunchTemplateVersions[0].LaunchTemplateData.UserData))
	if err != nil {
		t.Fatalf("decoding the load runners' user data: %v", err)
	}
	return string(b)
}

var abFailed = regexp.MustCompile(`Failed requests:\s+(\d+)`)
var abComplete = regexp.MustCompile(`Complete requests:\s+(\d+)`)

// fleetReports waits for the fleet's first ab reports in its log group
// (FilterLogEvents) and holds them to zero failed requests.
func fleetReports(t *testing.T, tg *e2e.Target, logGroup string, sz size) figures {
	t.Helper()
	c := cloudwatchlogs.NewFromConfig(tg.AWS)
	f := figures{Suite: "load runner", Budget: -1, Note: "ab reports of the fleet in " + logGroup}
	env.Until(t, "an ab report in "+logGroup, sz.Recover+sz.Steady, func() (bool, string) {
		f.Requests, f.Failed = 0, 0
		p := cloudwatchlogs.NewFilterLogEventsPaginator(c, &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName: aws.String(logGroup), FilterPattern: aws.String(`"requests:"`),
			StartTime: aws.Int64(time.Now().Add(-24 * time.Hour).UnixMilli())})
		for p.HasMorePages() {
			page, err := p.NextPage(t.Context())
			if err != nil {
				return false, err.Error()
			}
			for _, e := range page.Events {
				msg := aws.ToString(e.Message)
				if m := abComplete.FindStringSubmatch(msg); m != nil {
					n, _ := strconv.Atoi(m[1])
					f.Requests += n
				}
				if m := abFailed.FindStringSubmatch(msg); m != nil {
					n, _ := strconv.Atoi(m[1])
					f.Failed += n
				}
			}
		}
		return f.Requests > 0, "no ab report yet"
	})
	if f.Failed > 0 {
		t.Errorf("the load runners' ab reports count %d failed of %d requests", f.Failed, f.Requests)
	}
	return f
}
