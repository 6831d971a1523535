package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A zone short of instance types: launches of those types there fail with
// InsufficientInstanceCapacity (FIS aws:ec2:asg-insufficient-instance-
// capacity-error, narrowed to types), and nothing else happens: the power
// stays on, unlike an impairment (impair.go). Refusals work as there
// (launches.go); recovery is the same call.
//
// A group with a mixed instances policy whose on-demand allocation strategy
// is "prioritized" does what Auto Scaling does (User Guide, "Allocation
// strategies for multiple instance types": prioritized launches the first
// type of the overrides, and the next when it cannot get capacity for it):
// the launch goes to the first of its types the zone is not short of, in the
// same scaling activity, and nothing fails. moto launches the template's
// type (the first override); the sandbox changes the instance's type before
// the data plane starts it.

// shortZone makes zone short of types (every type if none).
func (s *Sandbox) shortZone(zone string, types []string) error {
	if zone == "" {
		return fmt.Errorf("a shortage needs a zone")
	}
	s.faults.mu.Lock()
	s.faults.init()
	s.faults.impaired[zone] = &impairment{types: slices.Clone(types), short: true}
	s.faults.mu.Unlock()
	what := "every instance type"
	if len(types) > 0 {
		what = strings.Join(types, ", ")
	}
	s.record(Event{Kind: EventZoneShort, Zone: zone, Reason: "launches of " + what + " fail with InsufficientInstanceCapacity (FIS aws:ec2:asg-insufficient-instance-capacity-error); power on"})
	s.logf("zone %s short of %s", zone, what)
	return nil
}

// fallbackType is the type a prioritized mixed instances policy launches
// when the zone refuses the first: the first override the zone is not short
// of, or "" when there is none (or no policy). Called with s.faults.mu held.
func fallbackType(g *astypes.AutoScalingGroup, im *impairment) string {
	p := g.MixedInstancesPolicy
	if p == nil || p.LaunchTemplate == nil {
		return ""
	}
	if d := p.InstancesDistribution; d != nil && d.OnDemandAllocationStrategy != nil && aws.ToString(d.OnDemandAllocationStrategy) != "prioritized" {
		return ""
	}
	for _, o := range p.LaunchTemplate.Overrides {
		if t := aws.ToString(o.InstanceType); t != "" && !im.refuses(t) {
			return t
		}
	}
	return ""
}

// fallBack turns moto's launch of a refused type into the launch of next:
// the instance's type changes before anything started it, and the scaling
// activity shows a successful launch whose details name the type.
func (s *Sandbox) fallBack(ctx context.Context, g *astypes.AutoScalingGroup, i *astypes.Instance, zone, refused, next string) {
	id, name := aws.ToString(i.InstanceId), aws.ToString(g.AutoScalingGroupName)
	if _, err := s.aws.ec2.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id),
		InstanceType: &ec2types.AttributeValue{Value: aws.String(next)}}); err != nil {
		s.logf("launching %s as %s: %v", id, next, err)
		return
	}
	i.InstanceType = aws.String(next)
	now := time.Now().UTC()
	s.mu.Lock()
	s.activities[name] = append(s.activities[name], activity{id: requestID(), asg: name,
		description: "Launching a new EC2 instance: " + id,
		cause:       fmt.Sprintf("At %s an instance was started in response to a difference between desired and actual capacity.", now.Format(time.RFC3339)),
		details:     fmt.Sprintf(`{"Subnet ID":%q,"Availability Zone":%q,"InstanceType":%q}`, aws.ToString(g.VPCZoneIdentifier), zone, next),
		start:       now, end: now})
	s.mu.Unlock()
	s.record(Event{Kind: EventLaunchFallback, Zone: zone, IDs: []string{id},
		Reason: fmt.Sprintf("%s: no %s capacity in %s (InsufficientInstanceCapacity); launched %s, the next of the mixed instances policy's types", name, refused, zone, next)})
	s.logf("launch into %s (%s) fell back from %s to %s", zone, name, refused, next)
}
