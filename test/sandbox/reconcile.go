package sandbox

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// observed is one snapshot of moto's state, read with batched describes.
type observed struct {
	groups    []astypes.AutoScalingGroup
	lbs       []elbtypes.LoadBalancer
	listeners map[string][]elbtypes.Listener // LB ARN ->
	tgs       []elbtypes.TargetGroup
	tgAttrs   map[string]map[string]string
	members   map[string][]elbtypes.TargetHealthDescription // TG ARN ->
	dbs       []rdstypes.DBInstance
}

// reconcileLoop brings the data plane in line with moto every tick (ten
// emulated seconds).
func (s *Sandbox) reconcileLoop(ctx context.Context) {
	period := max(s.emu(10*time.Second), 200*time.Millisecond)
	for {
		// Before the rest, which can take a while: a practice run's outcome
		// alarm is read on every tick, however the reconcile goes.
		s.watchPracticeRuns(ctx)
		if err := s.reconcile(ctx); err != nil && ctx.Err() == nil {
			s.logf("reconcile: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
	}
}

func (s *Sandbox) reconcile(ctx context.Context) error {
	obs, err := s.observe(ctx)
	if err != nil {
		return err
	}
	s.syncDatabases(ctx, obs)
	s.refuseLaunches(ctx, obs)
	if err := s.syncInstances(ctx, obs); err != nil {
		return err
	}
	s.syncTargetGroups(ctx, obs)
	if err := s.syncHAProxy(ctx, obs); err != nil {
		return err
	}
	s.syncLBNodes(obs)
	s.replaceUnhealthy(ctx, obs)
	s.advanceRefreshes(ctx, obs)
	return nil
}

func (s *Sandbox) observe(ctx context.Context) (*observed, error) {
	obs := &observed{listeners: map[string][]elbtypes.Listener{}, tgAttrs: map[string]map[string]string{}, members: map[string][]elbtypes.TargetHealthDescription{}}
	groups := autoscaling.NewDescribeAutoScalingGroupsPaginator(s.aws.asg, &autoscaling.DescribeAutoScalingGroupsInput{})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe auto scaling groups: %w", err)
		}
		obs.groups = append(obs.groups, page.AutoScalingGroups...)
	}
	lbs, err := s.aws.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil {
		return nil, fmt.Errorf("describe load balancers: %w", err)
	}
	obs.lbs = lbs.LoadBalancers
	for _, lb := range obs.lbs {
		ls, err := s.aws.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
		if err != nil {
			return nil, fmt.Errorf("describe listeners: %w", err)
		}
		obs.listeners[aws.ToString(lb.LoadBalancerArn)] = ls.Listeners
	}
	tgs, err := s.aws.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe target groups: %w", err)
	}
	obs.tgs = tgs.TargetGroups
	for _, tg := range obs.tgs {
		arn := aws.ToString(tg.TargetGroupArn)
		attrs, err := s.aws.elb.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
		if err == nil {
			obs.tgAttrs[arn] = map[string]string{}
			for _, a := range attrs.Attributes {
				obs.tgAttrs[arn][aws.ToString(a.Key)] = aws.ToString(a.Value)
			}
		}
		th, err := s.aws.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			return nil, fmt.Errorf("describe target health %s: %w", arn, err)
		}
		obs.members[arn] = th.TargetHealthDescriptions
	}
	dbs, err := s.aws.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil {
		return nil, fmt.Errorf("describe db instances: %w", err)
	}
	obs.dbs = dbs.DBInstances
	return obs, nil
}

// live says whether an ASG instance should be running.
func live(i astypes.Instance) bool {
	switch i.LifecycleState {
	case astypes.LifecycleStateTerminating, astypes.LifecycleStateTerminatingWait, astypes.LifecycleStateTerminatingProceed,
		astypes.LifecycleStateTerminated, astypes.LifecycleStateDetaching, astypes.LifecycleStateDetached:
		return false
	}
	return true
}

// standsIn marks id as present in moto and reports whether the sandbox
// already stands in for it (m, one of its maps, has it; read under s.mu):
// the sync loops start a stand-in only for what is new.
func standsIn[V any](s *Sandbox, present map[string]bool, m map[string]V, id string) bool {
	present[id] = true
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := m[id]
	return ok
}

// syncInstances starts an app process for every new ASG instance and marks
// the ones moto terminated as gone (their process stops once drained).
func (s *Sandbox) syncInstances(ctx context.Context, obs *observed) error {
	seen := map[string]bool{}
	for _, g := range obs.groups {
		for _, i := range g.Instances {
			if !live(i) {
				continue
			}
			id := aws.ToString(i.InstanceId)
			if standsIn(s, seen, s.instances, id) {
				continue
			}
			lt := i.LaunchTemplate
			if lt == nil {
				lt = g.LaunchTemplate
			}
			userData := s.userData(ctx, lt)
			az := aws.ToString(i.AvailabilityZone)
			env, err := s.instanceEnv(userData, id, az)
			if err != nil {
				return err
			}
			in, err := newInstance(id, aws.ToString(g.AutoScalingGroupName), az, s.opts.AppBinary, s.dir, env)
			if err != nil {
				return err
			}
			if in.guest, err = s.newGuest(ctx, in, lt, userData); err != nil {
				return fmt.Errorf("instance %s: %w", id, err)
			}
			s.mu.Lock()
			down := s.zonesDown[az]
			s.instances[id] = in
			s.mu.Unlock()
			if down {
				in.powerOff() // launched into a zone without power: it never answers
			}
			in.nic.gray.Store(s.grayFor(az))
			s.logf("instance %s launched in %s (%s)", id, az, in.asg)
			go in.boot(ctx, s.emu(time.Duration(s.opts.BootSeconds*float64(time.Second))))
			s.notify(ctx, in.asg, "autoscaling:EC2_INSTANCE_LAUNCH", id, az)
		}
	}
	s.mu.Lock()
	var gone []*instance
	for id, in := range s.instances {
		if !seen[id] && in.goneSince.IsZero() {
			in.goneSince = time.Now()
			gone = append(gone, in)
		}
	}
	s.mu.Unlock()
	for _, in := range gone {
		s.logf("instance %s terminated (%s)", in.id, in.asg)
		s.notify(ctx, in.asg, "autoscaling:EC2_INSTANCE_TERMINATE", in.id, in.az)
	}
	return nil
}

// userData fetches (and caches, for numbered versions) a launch template's user data.
func (s *Sandbox) userData(ctx context.Context, lt *astypes.LaunchTemplateSpecification) string {
	if lt == nil {
		return ""
	}
	version := aws.ToString(lt.Version)
	if version == "" {
		version = "$Default"
	}
	key := aws.ToString(lt.LaunchTemplateId) + aws.ToString(lt.LaunchTemplateName) + "@" + version
	s.mu.Lock()
	ud, ok := s.ltCache[key]
	s.mu.Unlock()
	if ok {
		return ud
	}
	out, err := s.aws.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: lt.LaunchTemplateId, LaunchTemplateName: lt.LaunchTemplateName, Versions: []string{version}})
	if err != nil || len(out.LaunchTemplateVersions) == 0 || out.LaunchTemplateVersions[0].LaunchTemplateData == nil {
		return ""
	}
	b, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LaunchTemplateVersions[0].LaunchTemplateData.UserData))
	if !strings.HasPrefix(version, "$") {
		s.mu.Lock()
		s.ltCache[key] = string(b)
		s.mu.Unlock()
	}
	return string(b)
}

var userDataVar = regexp.MustCompile(`^(?:export\s+)?(HAWEBAPP_[A-Z0-9_]+)=(.*)$`)

// The file the provider's user data saves its variables to, and the heredoc
// it writes it with (internal/blueprint.RenderUserData).
const (
	envFilePath  = "/etc/hawebapp/env"
	envFileOpen  = "cat > " + envFilePath + " <<'HAWEBAPP_ENV'\n"
	envFileClose = "\nHAWEBAPP_ENV\n"
)

// bootEnvFile is what the user data's boot step writes to /etc/hawebapp/env,
// and whether it writes it at all.
func bootEnvFile(userData string) (string, bool) {
	_, rest, ok := strings.Cut(userData, envFileOpen)
	if !ok {
		return "", false
	}
	body, _, ok := strings.Cut(rest, envFileClose)
	return body + "\n", ok
}

// instanceEnv is what the app sees on a real instance: its identity from
// IMDS and the HAWEBAPP_* variables its user data sets, plus (the sandbox's
// "DNS") the local address of the database the endpoint names. An app that
// looks the database up by HAWEBAPP_DB_INSTANCE gets the local address from
// DescribeDBInstances instead (dbview.go).
//
// It is the environment of the image's baked-in app, which starts only when
// the user data (run for real, boot.go) succeeds without starting a service
// (tests whose user data is a placeholder): the env file the provider's
// user data saves is written to <dir>/<id>/etc/hawebapp/env and the app
// started with what it holds; user data without that file contributes the
// HAWEBAPP_* assignments found on its lines.
func (s *Sandbox) instanceEnv(userData, id, az string) ([]string, error) {
	vars := map[string]string{"HAWEBAPP_REGION": s.opts.Region}
	lines := userData
	if file, ok := bootEnvFile(userData); ok {
		path := filepath.Join(s.dir, id, envFilePath)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("instance %s boot: %w", id, err)
		}
		if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
			return nil, fmt.Errorf("instance %s boot: %w", id, err)
		}
		lines = file
	}
	for _, line := range strings.Split(lines, "\n") {
		if m := userDataVar.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			vars[m[1]] = strings.Trim(m[2], `"'`)
		}
	}
	if ep := vars["HAWEBAPP_DB_ENDPOINT"]; ep != "" {
		s.mu.Lock()
		for _, db := range s.dbs {
			if db.address == ep || db.id == ep {
				vars["HAWEBAPP_DB_ENDPOINT"], vars["HAWEBAPP_DB_PORT"] = "127.0.0.1", strconv.Itoa(db.port)
			}
		}
		s.mu.Unlock()
	}
	env := []string{"INSTANCE_ID=" + id, "AVAILABILITY_ZONE=" + az}
	for k, v := range s.Env() {
		if k == "AWS_ACCESS_KEY_ID" {
			v = instanceAccessKey // the instance's own identity (see dbview.go)
		}
		env = append(env, k+"="+v)
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env, nil
}
