package sandbox

import (
	"context"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// A group's instance maintenance policy decides how it replaces an
// unhealthy instance. Without one, Auto Scaling terminates it and launches
// the replacement at the same time. With one, the group keeps at least
// MinHealthyPercentage of its desired capacity in service and healthy: when
// terminating first would go below that (always, with 100%), it launches
// the replacement first, waits until it is in service and healthy, then
// terminates the instance it replaces (Auto Scaling user guide, "Instance
// maintenance policies": launch before terminating). moto keeps the policy
// through the project's launcher (test/motoserver/moto_fixed.py) but never
// replaces anything; the sandbox does it with the calls AWS's own
// replacement would show: desired capacity up by one, then
// TerminateInstanceInAutoScalingGroup decrementing it again.

// launchFirst says whether replacing one of g's instances must launch
// before it terminates.
func (s *Sandbox) launchFirst(g *astypes.AutoScalingGroup, obs *observed) bool {
	p := g.InstanceMaintenancePolicy
	if p == nil || aws.ToInt32(p.MinHealthyPercentage) < 0 || aws.ToInt32(p.MaxHealthyPercentage) <= 100 {
		return false // no policy, or no room above the desired capacity to launch into
	}
	floor := int(math.Ceil(float64(aws.ToInt32(p.MinHealthyPercentage)) * float64(aws.ToInt32(g.DesiredCapacity)) / 100))
	return s.healthyInService(g, obs)-1 < floor
}

// healthyInService counts g's instances in service whose targets are healthy.
func (s *Sandbox) healthyInService(g *astypes.AutoScalingGroup, obs *observed) int {
	n := 0
	for _, i := range g.Instances {
		if i.LifecycleState == astypes.LifecycleStateInService && s.targetHealthy(g, aws.ToString(i.InstanceId)) {
			n++
		}
	}
	return n
}

// targetHealthy says whether the instance is healthy in every target group
// of g (in service, for a group without one).
func (s *Sandbox) targetHealthy(g *astypes.AutoScalingGroup, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.healthyInLocked(g.TargetGroupARNs, id)
}

// healthyInLocked: the instance is healthy in every one of the target
// groups (true for none). Callers hold s.mu.
func (s *Sandbox) healthyInLocked(arns []string, id string) bool {
	for _, arn := range arns {
		tg := s.tgs[arn]
		if tg == nil {
			return false
		}
		healthy := false
		for _, t := range tg.targets {
			healthy = healthy || (t.id == id && t.view.state == "healthy")
		}
		if !healthy {
			return false
		}
	}
	return true
}

// launchReplacement marks the instance Unhealthy and raises the desired
// capacity by one: moto launches the replacement, which the sandbox
// remembers until it is healthy.
func (s *Sandbox) launchReplacement(ctx context.Context, g *astypes.AutoScalingGroup, id string) {
	name := aws.ToString(g.AutoScalingGroupName)
	before := map[string]bool{}
	for _, i := range g.Instances {
		before[aws.ToString(i.InstanceId)] = true
	}
	if _, err := s.aws.asg.SetInstanceHealth(ctx, &autoscaling.SetInstanceHealthInput{InstanceId: aws.String(id), HealthStatus: aws.String("Unhealthy")}); err != nil {
		s.logf("set instance health %s: %v", id, err)
		return
	}
	desired := aws.ToInt32(g.DesiredCapacity)
	if err := s.setDesired(ctx, name, desired, desired+1,
		"an instance was launched to replace "+id+", which failed ELB health checks, before terminating it (instance maintenance policy)."); err != nil {
		s.logf("launch replacement of %s: %v", id, err)
		return
	}
	out, err := s.aws.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) == 0 {
		s.logf("find replacement of %s: %v", id, err)
		return
	}
	for _, i := range out.AutoScalingGroups[0].Instances {
		if nid := aws.ToString(i.InstanceId); !before[nid] {
			s.replacing[id] = nid
			s.logf("instance %s failed ELB health checks: launched %s before terminating it", id, nid)
			return
		}
	}
	s.logf("launch replacement of %s: no new instance in %s", id, name)
}

// finishReplacements terminates each replaced instance once its
// replacement is healthy, decrementing the desired capacity raised for it.
// A replacement that is gone is forgotten: the next tick replaces again.
func (s *Sandbox) finishReplacements(ctx context.Context, obs *observed) {
	for old, repl := range s.replacing {
		g := groupOf(obs, repl)
		if g == nil {
			// The replacement went before it served (the raised desired
			// capacity stays: moto launches another in its place).
			delete(s.replacing, old)
			continue
		}
		if !s.targetHealthy(g, repl) {
			continue
		}
		name := aws.ToString(g.AutoScalingGroupName)
		if groupOf(obs, old) != nil {
			if _, err := s.aws.asg.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
				InstanceId: aws.String(old), ShouldDecrementDesiredCapacity: aws.Bool(true)}); err != nil {
				s.logf("terminate replaced %s: %v", old, err)
				continue
			}
			s.logf("replacement %s healthy: terminated %s", repl, old)
			s.recordActivity(name, "Terminating EC2 instance: "+old,
				"an instance was taken out of service in response to an ELB system health check failure, after its replacement "+repl+" was in service.")
		}
		delete(s.replacing, old)
	}
}

// groupOf is the group running the live instance id, or nil.
func groupOf(obs *observed, id string) *astypes.AutoScalingGroup {
	for gi := range obs.groups {
		for _, i := range obs.groups[gi].Instances {
			if aws.ToString(i.InstanceId) == id && live(i) {
				return &obs.groups[gi]
			}
		}
	}
	return nil
}
