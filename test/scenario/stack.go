// Package scenario holds the failure scenarios the HA suites (test/ha) and
// the demo (test/demo, `make demo`) share, so both prove the same thing with
// the same code: today the evacuation of a zone that is impaired (power
// lost, launches refused) or gray (connections dropped), with its return.
//
// A scenario returns an error when it cannot go on (a wait that timed out,
// an API call that failed) and lists, in its Result, every requirement it
// saw broken; the suites turn those into test errors and the demo into its
// verdict.
package scenario

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// Stack is a stack that is up, as the scenarios read it through the AWS
// API and drive it through Terraform.
type Stack struct {
	AWS aws.Config
	// Sandbox is the sandbox the stack runs in; nil on real AWS, where only
	// the reads below work.
	Sandbox *sandbox.Sandbox
	// Groups is the zonal Auto Scaling group of each zone.
	Groups                          map[string]string
	TargetGroupARN, LoadBalancerARN string
	// URL is the load balancer's HTTP URL, as this machine reaches it.
	URL string
	// ScalingTarget is the target-tracking target, requests per target and
	// AWS minute; MinuteSeconds is how long an AWS minute lasts here.
	ScalingTarget, MinuteSeconds float64
	// Terraform applies and plans the root the stack belongs to.
	Terraform Terraform
	// Logf prints a progress line.
	Logf func(format string, args ...any)
}

// Terraform is the root the stack belongs to, with its evacuate_zones.
type Terraform interface {
	// Apply applies the root with evacuate_zones = zones (kept for later
	// plans). endpoint, when set, is the AWS endpoint its providers call
	// instead of the stack's (a call recorder).
	Apply(ctx context.Context, zones []string, endpoint string) error
	// Changes plans the root and says whether the plan has changes.
	Changes(ctx context.Context) (bool, error)
}

// Zones are the stack's zones, sorted.
func (s *Stack) Zones() []string {
	var out []string
	for z := range s.Groups {
		out = append(out, z)
	}
	sort.Strings(out)
	return out
}

// BaseRate is the load of the failure scenarios and suites, in requests a
// second: 40% of the target-tracking target (requests per target and AWS
// minute) on targets targets, so no scaling muddles the budgets.
func BaseRate(scalingTarget, minuteSeconds float64, targets int) float64 {
	return 0.4 * scalingTarget * float64(targets) / minuteSeconds
}

func (s *Stack) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// GroupsByZone are the stack's zonal Auto Scaling groups by zone, as AWS
// describes them now.
func (s *Stack) GroupsByZone(ctx context.Context) (map[string]astypes.AutoScalingGroup, error) {
	names := make([]string, 0, len(s.Groups))
	for _, n := range s.Groups {
		names = append(names, n)
	}
	out, err := autoscaling.NewFromConfig(s.AWS).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: names})
	if err != nil {
		return nil, fmt.Errorf("describing the stack's groups: %w", err)
	}
	byZone := map[string]astypes.AutoScalingGroup{}
	for _, g := range out.AutoScalingGroups {
		for zone, n := range s.Groups {
			if n == aws.ToString(g.AutoScalingGroupName) {
				byZone[zone] = g
			}
		}
	}
	if len(byZone) != len(names) {
		return nil, fmt.Errorf("describing the stack's groups %v: found %d", names, len(byZone))
	}
	return byZone, nil
}

// Health is the target group's view: instance ID -> target state.
func (s *Stack) Health(ctx context.Context) (map[string]string, error) {
	out, err := elb.NewFromConfig(s.AWS).DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(s.TargetGroupARN)})
	if err != nil {
		return nil, fmt.Errorf("describing target health: %w", err)
	}
	h := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		if d.Target != nil && d.TargetHealth != nil {
			h[aws.ToString(d.Target.Id)] = string(d.TargetHealth.State)
		}
	}
	return h, nil
}

// Fleet is the stack's instances in service, by zone.
type Fleet map[string][]string

// Total is how many instances the fleet holds.
func (f Fleet) Total() int {
	n := 0
	for _, ids := range f {
		n += len(ids)
	}
	return n
}

// InService lists each zone's InService instances.
func (s *Stack) InService(ctx context.Context) (Fleet, error) {
	groups, err := s.GroupsByZone(ctx)
	if err != nil {
		return nil, err
	}
	f := Fleet{}
	for zone, g := range groups {
		for _, in := range g.Instances {
			if in.LifecycleState == astypes.LifecycleStateInService {
				f[zone] = append(f[zone], aws.ToString(in.InstanceId))
			}
		}
		sort.Strings(f[zone])
	}
	return f, nil
}

// Steady reports whether every group runs its desired capacity, InService,
// with every such instance a healthy target, and says what is not so.
func (s *Stack) Steady(ctx context.Context) (bool, string, error) {
	h, err := s.Health(ctx)
	if err != nil {
		return false, "", err
	}
	groups, err := s.GroupsByZone(ctx)
	if err != nil {
		return false, "", err
	}
	var not []string
	for zone, g := range groups {
		n := 0
		for _, in := range g.Instances {
			id := aws.ToString(in.InstanceId)
			if in.LifecycleState != astypes.LifecycleStateInService {
				not = append(not, fmt.Sprintf("%s %s is %s", zone, id, in.LifecycleState))
				continue
			}
			n++
			if h[id] != "healthy" {
				not = append(not, fmt.Sprintf("%s %s target is %q", zone, id, h[id]))
			}
		}
		if d := int(aws.ToInt32(g.DesiredCapacity)); n != d {
			not = append(not, fmt.Sprintf("%s has %d in service, desired %d", zone, n, d))
		}
	}
	sort.Strings(not)
	return len(not) == 0, strings.Join(not, "; "), nil
}

// WaitSteady waits, with backoff, until the stack is steady and every
// instance in service reaches the database.
func (s *Stack) WaitSteady(ctx context.Context, within time.Duration) error {
	err := env.UntilE(ctx, "the stack steady (every group at desired, every target healthy)", within, func() (bool, string) {
		ok, why, err := s.Steady(ctx)
		if err != nil {
			return false, err.Error()
		}
		return ok, why
	})
	if err != nil {
		return err
	}
	return s.waitDatabase(ctx, within)
}

// waitDatabase waits until every instance in service has answered the app's
// deep check (/health/db) with 200 through the load balancer. The target
// health does not say so: the app's /health is shallow on purpose (a
// database away must not fail the whole fleet's checks).
func (s *Stack) waitDatabase(ctx context.Context, within time.Duration) error {
	reached := map[string]bool{}
	return env.UntilE(ctx, "every instance in service reaching the database (/health/db 200)", within, func() (bool, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/health/db", nil)
		if err != nil {
			return false, err.Error()
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, err.Error()
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			reached[resp.Header.Get("X-Instance-Id")] = true
		}
		fleet, err := s.InService(ctx)
		if err != nil {
			return false, err.Error()
		}
		var missing []string
		for _, ids := range fleet {
			for _, id := range ids {
				if !reached[id] {
					missing = append(missing, id)
				}
			}
		}
		return len(missing) == 0, fmt.Sprintf("last answer %d; not yet from %v", resp.StatusCode, missing)
	})
}

// ZoneActivitiesSince are the scaling activities of zone's group that
// started at or after since, oldest first: what Auto Scaling did there.
func (s *Stack) ZoneActivitiesSince(ctx context.Context, zone string, since time.Time) ([]string, error) {
	out, err := autoscaling.NewFromConfig(s.AWS).DescribeScalingActivities(ctx,
		&autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(s.Groups[zone])})
	if err != nil {
		return nil, fmt.Errorf("describing the scaling activities of %s's group: %w", zone, err)
	}
	var acts []string
	for i := len(out.Activities) - 1; i >= 0; i-- { // newest first on AWS
		a := out.Activities[i]
		if a.StartTime != nil && !a.StartTime.Before(since) {
			acts = append(acts, fmt.Sprintf("+%s %s (%s)", a.StartTime.Sub(since).Round(100*time.Millisecond), aws.ToString(a.Description), aws.ToString(a.Cause)))
		}
	}
	return acts, nil
}
