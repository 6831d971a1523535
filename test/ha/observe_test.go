package ha

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// groups are the stack's zonal Auto Scaling groups by zone, as AWS
// describes them now.
func (s *stack) groups(ctx context.Context, t *testing.T) map[string]astypes.AutoScalingGroup {
	t.Helper()
	names := make([]string, 0, len(s.st.AutoScalingGroupNames))
	for _, n := range s.st.AutoScalingGroupNames {
		names = append(names, n)
	}
	out, err := autoscaling.NewFromConfig(s.tg.AWS).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: names})
	if err != nil {
		t.Fatalf("describing the stack's groups: %v", err)
	}
	byZone := map[string]astypes.AutoScalingGroup{}
	for _, g := range out.AutoScalingGroups {
		for zone, n := range s.st.AutoScalingGroupNames {
			if n == aws.ToString(g.AutoScalingGroupName) {
				byZone[zone] = g
			}
		}
	}
	if len(byZone) != len(names) {
		t.Fatalf("describing the stack's groups %v: found %d", names, len(byZone))
	}
	return byZone
}

// health is the target group's view: instance ID -> target state.
func (s *stack) health(ctx context.Context, t *testing.T) map[string]string {
	t.Helper()
	out, err := elb.NewFromConfig(s.tg.AWS).DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(s.st.TargetGroupARN)})
	if err != nil {
		t.Fatalf("describing target health: %v", err)
	}
	h := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		if d.Target != nil && d.TargetHealth != nil {
			h[aws.ToString(d.Target.Id)] = string(d.TargetHealth.State)
		}
	}
	return h
}

// fleet is the stack's instances in service, by zone.
type fleet map[string][]string

func (f fleet) total() int {
	n := 0
	for _, ids := range f {
		n += len(ids)
	}
	return n
}

// inService lists each zone's InService instances.
func (s *stack) inService(ctx context.Context, t *testing.T) fleet {
	t.Helper()
	f := fleet{}
	for zone, g := range s.groups(ctx, t) {
		for _, in := range g.Instances {
			if in.LifecycleState == astypes.LifecycleStateInService {
				f[zone] = append(f[zone], aws.ToString(in.InstanceId))
			}
		}
		sort.Strings(f[zone])
	}
	return f
}

// steady reports whether every group runs its desired capacity, InService,
// with every such instance a healthy target, and says what is not so.
func (s *stack) steady(ctx context.Context, t *testing.T) (bool, string) {
	t.Helper()
	h := s.health(ctx, t)
	var not []string
	for zone, g := range s.groups(ctx, t) {
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
	return len(not) == 0, strings.Join(not, "; ")
}

// waitSteady waits, with backoff, until the stack is steady.
func (s *stack) waitSteady(t *testing.T, within time.Duration) {
	t.Helper()
	env.Until(t, "the stack steady (every group at desired, every target healthy)", within, func() (bool, string) {
		return s.steady(t.Context(), t)
	})
	s.waitDatabase(t, within)
}

// waitDatabase waits until every instance in service has answered the app's
// deep check (/health/db) with 200 through the load balancer. The target
// health does not say so: the app's /health is shallow on purpose (a
// database away must not fail the whole fleet's checks).
func (s *stack) waitDatabase(t *testing.T, within time.Duration) {
	t.Helper()
	reached := map[string]bool{}
	env.Until(t, "every instance in service reaching the database (/health/db 200)", within, func() (bool, string) {
		resp, err := http.Get(s.url + "/health/db")
		if err != nil {
			return false, err.Error()
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			reached[resp.Header.Get("X-Instance-Id")] = true
		}
		var missing []string
		for _, ids := range s.inService(t.Context(), t) {
			for _, id := range ids {
				if !reached[id] {
					missing = append(missing, id)
				}
			}
		}
		return len(missing) == 0, fmt.Sprintf("last answer %d; not yet from %v", resp.StatusCode, missing)
	})
}

// activitiesSince logs the groups' scaling activities that started at or
// after since (DescribeScalingActivities): what the groups did while
// something was broken, for the reader of a failed budget.
func (s *stack) activitiesSince(ctx context.Context, t *testing.T, since time.Time) []string {
	t.Helper()
	c := autoscaling.NewFromConfig(s.tg.AWS)
	var out []string
	for _, name := range s.st.AutoScalingGroupNames {
		res, err := c.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(name)})
		if err != nil {
			t.Errorf("describing the scaling activities of %s: %v", name, err)
			continue
		}
		for _, a := range res.Activities {
			if a.StartTime != nil && !a.StartTime.Before(since) {
				out = append(out, fmt.Sprintf("%s +%s %s: %s", name, a.StartTime.Sub(since).Round(100*time.Millisecond),
					aws.ToString(a.Description), aws.ToString(a.Cause)))
			}
		}
	}
	sort.Strings(out)
	return out
}
