package sandbox_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox/postgres"
)

// startSandbox starts a sandbox for one test; its cleanup stops it and
// proves that no process it started is still alive.
func startSandbox(t *testing.T, opts sandbox.Options) *sandbox.Sandbox {
	t.Helper()
	prereq.Require(t, sandbox.Check())
	opts.Logf = t.Logf
	sb, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st, err := sb.Client().State(context.Background())
		sb.Stop()
		if err != nil {
			t.Errorf("state before stop: %v", err)
			return
		}
		if len(st.Processes) == 0 {
			t.Errorf("the sandbox reported no processes")
		}
		for _, p := range st.Processes {
			if alive(p.PID) {
				t.Errorf("%s (pid %d) outlived the sandbox", p.Kind, p.PID)
			}
		}
	})
	return sb
}

func alive(pid int) bool {
	return pid > 0 && !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// stack is an HA web app set up by hand with SDK calls, as the provider would:
// VPC, a subnet per zone, ALB, target group, listener, launch template and
// one Auto Scaling group per zone.
type stack struct {
	t       *testing.T
	sb      *sandbox.Sandbox
	ec2     *ec2.Client
	elb     *elb.Client
	asg     *autoscaling.Client
	cfg     aws.Config
	lbARN   string
	tgARN   string
	groups  map[string]string // zone -> ASG name
	subnets map[string]string
}

// The target group's health check in every test stack (emulated seconds).
const hcInterval, hcTimeout, hcUnhealthy = 5, 4, 2

// detectionTime bounds, in real time, how long the load balancer keeps
// sending requests to a target that stopped answering: a check goes out
// every interval, and the UnhealthyThresholdCount-th failed one, sent that
// many intervals after the last passed check, fails after the timeout.
func detectionTime(sb *sandbox.Sandbox) time.Duration {
	interval, timeout := sb.HealthCheckTiming(hcInterval*time.Second, hcTimeout*time.Second)
	return hcUnhealthy*interval + timeout
}

type stackSpec struct {
	name            string
	zones           []string
	perZone         int32 // desired per zone; min is the same unless minPerZone is set
	minPerZone      *int32
	maxPerZone      int32
	healthCheckType string // EC2 (default) or ELB
	grace           int32
	userData        string
	deregDelay      int
	unhealthy       int32 // UnhealthyThresholdCount; default hcUnhealthy
}

func newStack(t *testing.T, sb *sandbox.Sandbox, spec stackSpec) *stack {
	t.Helper()
	ctx := context.Background()
	cfg := env.AWSConfig(sb.Endpoint)
	s := &stack{t: t, sb: sb, cfg: cfg, ec2: ec2.NewFromConfig(cfg), elb: elb.NewFromConfig(cfg), asg: autoscaling.NewFromConfig(cfg),
		groups: map[string]string{}, subnets: map[string]string{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	net := env.Network(t, cfg, spec.zones...)
	for i, z := range net.Zones {
		s.subnets[z] = net.App[i]
	}
	lb, err := s.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(spec.name), Subnets: net.App})
	must(err)
	s.lbARN = *lb.LoadBalancers[0].LoadBalancerArn
	tg, err := s.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(spec.name), Port: aws.Int32(8080), Protocol: elbtypes.ProtocolEnumHttp,
		VpcId: aws.String(net.VPCID), TargetType: elbtypes.TargetTypeEnumInstance, HealthCheckPath: aws.String("/health"),
		HealthCheckIntervalSeconds: aws.Int32(hcInterval), HealthCheckTimeoutSeconds: aws.Int32(hcTimeout), HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(cmp.Or(spec.unhealthy, hcUnhealthy)),
		Matcher: &elbtypes.Matcher{HttpCode: aws.String("200")}})
	must(err)
	s.tgARN = *tg.TargetGroups[0].TargetGroupArn
	delay := spec.deregDelay
	if delay == 0 {
		delay = 20
	}
	_, err = s.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(s.tgARN),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(strconv.Itoa(delay))}}})
	must(err)
	_, err = s.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(s.lbARN), Port: aws.Int32(80), Protocol: elbtypes.ProtocolEnumHttp,
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(s.tgARN)}}})
	must(err)
	_, err = s.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(spec.name), LaunchTemplateData: templateData(spec.userData)})
	must(err)
	hc := spec.healthCheckType
	if hc == "" {
		hc = "EC2"
	}
	for _, z := range spec.zones {
		name := spec.name + "-" + z
		minSize := spec.perZone
		if spec.minPerZone != nil {
			minSize = *spec.minPerZone
		}
		_, err := s.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
			MinSize: aws.Int32(minSize), MaxSize: aws.Int32(max(spec.maxPerZone, spec.perZone)), DesiredCapacity: aws.Int32(spec.perZone),
			VPCZoneIdentifier: aws.String(s.subnets[z]), TargetGroupARNs: []string{s.tgARN}, HealthCheckType: aws.String(hc),
			HealthCheckGracePeriod: aws.Int32(spec.grace), DefaultInstanceWarmup: aws.Int32(10),
			LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(spec.name), Version: aws.String("1")}})
		must(err)
		s.groups[z] = name
	}
	return s
}

// templateData is the launch template of every test stack, with userData.
func templateData(userData string) *ec2types.RequestLaunchTemplateData {
	return &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Small,
		UserData: aws.String(base64.StdEncoding.EncodeToString([]byte(userData)))}
}

// newTemplateVersion adds a version of the launch template name with
// other user data.
func (s *stack) newTemplateVersion(name, userData string) {
	s.t.Helper()
	if _, err := s.ec2.CreateLaunchTemplateVersion(context.Background(), &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: templateData(userData)}); err != nil {
		s.t.Fatal(err)
	}
}

// sandboxStack starts a sandbox with opts, as startSandbox does, and
// builds the stack of spec in it: the start of most tests.
func sandboxStack(t *testing.T, opts sandbox.Options, spec stackSpec) (*sandbox.Sandbox, *stack) {
	t.Helper()
	sb := startSandbox(t, opts)
	return sb, newStack(t, sb, spec)
}

// fail injects a failure (or its recovery) through the admin API.
func (s *stack) fail(f sandbox.Failure) {
	s.t.Helper()
	if err := s.sb.Client().Fail(context.Background(), f); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stack) setDesired(group string, n int32) {
	s.t.Helper()
	if _, err := s.asg.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(n)}); err != nil {
		s.t.Fatal(err)
	}
}

// activities are all the group's scaling activities, every page, through
// the AWS API.
func (s *stack) activities(group string) []astypes.Activity {
	s.t.Helper()
	var acts []astypes.Activity
	p := autoscaling.NewDescribeScalingActivitiesPaginator(s.asg, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			s.t.Fatal(err)
		}
		acts = append(acts, page.Activities...)
	}
	return acts
}

// failedLaunches are the group's failed activities, through the AWS API.
func (s *stack) failedLaunches(group string) []astypes.Activity {
	s.t.Helper()
	var failed []astypes.Activity
	for _, a := range s.activities(group) {
		if a.StatusCode == astypes.ScalingActivityStatusCodeFailed {
			failed = append(failed, a)
		}
	}
	return failed
}

// enableZonalShift turns zonal shift on for the stack's load balancer.
func (s *stack) enableZonalShift() {
	s.t.Helper()
	if _, err := s.elb.ModifyLoadBalancerAttributes(context.Background(), &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(s.lbARN),
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("zonal_shift.config.enabled"), Value: aws.String("true")}}}); err != nil {
		s.t.Fatal(err)
	}
}

// zoneID is a zone's ID (use1-az1...), as DescribeAvailabilityZones says.
func (s *stack) zoneID(zone string) string {
	s.t.Helper()
	azs, err := s.ec2.DescribeAvailabilityZones(context.Background(), &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{zone}})
	if err != nil {
		s.t.Fatal(err)
	}
	return aws.ToString(azs.AvailabilityZones[0].ZoneId)
}

// dnsName is the load balancer's DNS name, as DescribeLoadBalancers says.
func (s *stack) dnsName() string {
	s.t.Helper()
	lbs, err := s.elb.DescribeLoadBalancers(context.Background(), &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{s.lbARN}})
	if err != nil {
		s.t.Fatal(err)
	}
	return aws.ToString(lbs.LoadBalancers[0].DNSName)
}

// pid is the PID of an instance's app from the admin API, 0 when the
// sandbox does not list the instance.
func (s *stack) pid(id string) int {
	s.t.Helper()
	st, err := s.sb.Client().State(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	for _, in := range st.Instances {
		if in.ID == id {
			return in.PID
		}
	}
	return 0
}

// health reads DescribeTargetHealth through the endpoint: id -> state/reason.
func (s *stack) health() map[string]elbtypes.TargetHealth {
	out, err := s.elb.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(s.tgARN)})
	if err != nil {
		s.t.Fatal(err)
	}
	m := map[string]elbtypes.TargetHealth{}
	for _, d := range out.TargetHealthDescriptions {
		m[*d.Target.Id] = *d.TargetHealth
	}
	return m
}

func describeHealth(m map[string]elbtypes.TargetHealth) string {
	var parts []string
	for id, h := range m {
		parts = append(parts, fmt.Sprintf("%s=%s/%s", id, h.State, h.Reason))
	}
	return strings.Join(parts, " ")
}

// waitHealthy waits until n targets are healthy and returns their IDs.
func (s *stack) waitHealthy(n int) []string {
	s.t.Helper()
	var ids []string
	env.Until(s.t, fmt.Sprintf("%d healthy targets", n), 60*time.Second, func() (bool, string) {
		h := s.health()
		ids = ids[:0]
		for id, th := range h {
			if th.State == elbtypes.TargetHealthStateEnumHealthy {
				ids = append(ids, id)
			}
		}
		return len(ids) == n && len(h) == n, describeHealth(h)
	})
	return ids
}

// url is the load balancer's local URL from the admin API.
func (s *stack) url() string {
	s.t.Helper()
	var u string
	env.Until(s.t, "the load balancer to be served", 30*time.Second, func() (bool, string) {
		st, err := s.sb.Client().State(context.Background())
		if err != nil {
			return false, err.Error()
		}
		for _, lb := range st.LoadBalancers {
			if lb.ARN == s.lbARN && lb.URL != "" {
				u = lb.URL
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", st.LoadBalancers)
	})
	return u
}

// get fetches path through the load balancer: status and serving instance.
func get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Instance-Id"), nil
}

func (s *stack) instances(zone string) []string {
	out, err := s.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{s.groups[zone]}})
	if err != nil {
		s.t.Fatal(err)
	}
	var ids []string
	for _, i := range out.AutoScalingGroups[0].Instances {
		ids = append(ids, *i.InstanceId)
	}
	return ids
}

// newDatabase creates an RDS instance with a managed secret, waits until the
// sandbox runs it, and returns user data that points the app at it.
func newDatabase(t *testing.T, sb *sandbox.Sandbox, id string) string {
	t.Helper()
	prereq.Require(t, postgres.Available())
	ctx := context.Background()
	cfg := env.AWSConfig(sb.Endpoint)
	db, err := rds.NewFromConfig(cfg).CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), DBName: aws.String("app"),
		MasterUsername: aws.String("app"), ManageMasterUserPassword: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	in := db.DBInstance
	env.Until(t, "the database to run", 60*time.Second, func() (bool, string) {
		st, err := sb.Client().State(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, d := range st.Databases {
			if d.ID == id && d.PID != 0 {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", st.Databases)
	})
	return fmt.Sprintf("#!/bin/bash\nHAWEBAPP_DB_ENDPOINT=%s\nHAWEBAPP_DB_PORT=%d\nHAWEBAPP_DB_NAME=app\nHAWEBAPP_DB_SECRET_ARN=%s\n",
		aws.ToString(in.Endpoint.Address), aws.ToInt32(in.Endpoint.Port), aws.ToString(in.MasterUserSecret.SecretArn))
}
