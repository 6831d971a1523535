package demo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

// sampleEvery records the data plane at each tick until ctx ends.
func (s *Soak) sampleEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.takeSample(ctx)
		}
	}
}

// takeSample reads instances and health from the sandbox's state and the
// desired capacities from Auto Scaling, and records them.
func (s *Soak) takeSample(ctx context.Context) Sample {
	sm := Sample{At: time.Since(s.start), Zones: map[string]ZoneCount{}}
	zoneOf := map[string]string{}
	names := make([]string, 0, len(s.groups))
	for z, g := range s.groups {
		zoneOf[g] = z
		names = append(names, g)
	}
	if st, err := s.sb.Client().State(ctx); err == nil {
		for _, in := range st.Instances {
			z, ok := zoneOf[in.ASG]
			if !ok || in.State == "terminated" {
				continue
			}
			c := sm.Zones[z]
			c.Running++
			if in.Health == "healthy" && in.State == "running" {
				c.Healthy++
			} else {
				sm.NotServing = append(sm.NotServing, fmt.Sprintf("%s (%s): %s, %s", in.ID, in.AZ, orNone(in.Health), in.State))
			}
			sm.Zones[z] = c
		}
	}
	if out, err := s.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: names}); err == nil {
		for _, g := range out.AutoScalingGroups {
			if z, ok := zoneOf[*g.AutoScalingGroupName]; ok && g.DesiredCapacity != nil {
				c := sm.Zones[z]
				c.Desired = int(*g.DesiredCapacity)
				sm.Zones[z] = c
			}
		}
	}
	if ctx.Err() != nil {
		return sm
	}
	s.mu.Lock()
	s.samples = append(s.samples, sm)
	s.Result.Samples = s.samples
	s.mu.Unlock()
	return sm
}

// scaledIn says whether the last sample has every group back at (or below)
// its initial desired capacity, all of it healthy.
func (s *Soak) scaledIn(initial Sample) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.samples) == 0 {
		return false
	}
	last := s.samples[len(s.samples)-1]
	for z, c := range last.Zones {
		if c.Desired > initial.Zones[z].Desired || c.Healthy < c.Desired || c.Running > c.Desired {
			return false
		}
	}
	return true
}

func sortedZones(groups map[string]string) []string {
	zones := make([]string, 0, len(groups))
	for z := range groups {
		zones = append(zones, z)
	}
	sort.Strings(zones)
	return zones
}

func orNone(health string) string {
	if health == "" {
		return "in no target group"
	}
	return health
}
