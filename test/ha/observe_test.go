package ha

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/scenario"
)

// groups are the stack's zonal Auto Scaling groups by zone, as AWS
// describes them now (test/scenario's reads, failing t).
func (s *stack) groups(ctx context.Context, t *testing.T) map[string]astypes.AutoScalingGroup {
	t.Helper()
	g, err := s.scenario(t).GroupsByZone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// health is the target group's view: instance ID -> target state.
func (s *stack) health(ctx context.Context, t *testing.T) map[string]string {
	t.Helper()
	h, err := s.scenario(t).Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// fleet is the stack's instances in service, by zone.
type fleet = scenario.Fleet

// inService lists each zone's InService instances.
func (s *stack) inService(ctx context.Context, t *testing.T) fleet {
	t.Helper()
	f, err := s.scenario(t).InService(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// steady reports whether every group runs its desired capacity, InService,
// with every such instance a healthy target, and says what is not so.
func (s *stack) steady(ctx context.Context, t *testing.T) (bool, string) {
	t.Helper()
	ok, why, err := s.scenario(t).Steady(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ok, why
}

// waitSteady waits, with backoff, until the stack is steady and every
// instance in service reaches the database.
func (s *stack) waitSteady(t *testing.T, within time.Duration) {
	t.Helper()
	if err := s.scenario(t).WaitSteady(t.Context(), within); err != nil {
		t.Fatal(err)
	}
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
