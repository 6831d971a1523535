package sandbox

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// A zone impairment is the sandbox's rendering of the AWS Fault Injection
// Service scenario "AZ Availability: Power Interruption" (FIS User Guide,
// scenario library): in one zone the instances lose power, Auto Scaling
// cannot launch there (the scenario's aws:ec2:asg-insufficient-instance-
// capacity-error action: launches fail with InsufficientInstanceCapacity),
// and an RDS Multi-AZ instance whose primary runs there fails over to its
// standby. A Single-AZ instance there has no standby: it is unreachable
// until the power returns. Recovery ends all of it at once.

// zoneFaults is the state of the zone-wide faults: impairments and gray
// failures (gray.go). Its own lock: taken without s.mu, or after it.
type zoneFaults struct {
	mu       sync.Mutex
	impaired map[string]*impairment // zone ->
	gray     map[string]*grayFault  // zone ->
	// primary is the zone a database's primary runs in once the sandbox
	// failed it over (moto knows only the zone it was created in).
	primary map[string]string
	// held are Single-AZ databases cut by their zone's power loss: id -> zone.
	held map[string]string
	// retry is each group's launch retry backoff in an impaired zone;
	// placeholders are launches moto made that wait for their retry.
	retry        map[string]*launchRetry // group + "/" + zone ->
	placeholders map[string]bool
}

type impairment struct {
	types []string // instance types refused; empty: every type
	// short: launches refused only, the power on (below).
	short bool
}

type launchRetry struct {
	failures int
	next     time.Time
}

// refuses says whether the impairment refuses a launch of instanceType.
func (im *impairment) refuses(instanceType string) bool {
	return len(im.types) == 0 || slices.Contains(im.types, instanceType)
}

func (f *zoneFaults) init() {
	if f.impaired == nil {
		f.impaired, f.gray, f.primary, f.held = map[string]*impairment{}, map[string]*grayFault{}, map[string]string{}, map[string]string{}
		f.retry, f.placeholders = map[string]*launchRetry{}, map[string]bool{}
	}
}

// Launch retries in an impaired zone back off: Auto Scaling keeps retrying
// a failed launch, less often as failures repeat (its interval is not
// documented; these are the sandbox's, in emulated time).
const (
	launchRetryFirst = 10 * time.Second
	launchRetryMax   = 5 * time.Minute
)

// impairZone starts a zone impairment: launches are refused from now on,
// then the power goes, then the databases whose primary is there fail over.
// The event log gets EventZoneImpaired once the instances lost power, then
// one EventDatabaseFailover (or EventDatabaseDown) per database hit.
func (s *Sandbox) impairZone(ctx context.Context, zone string, types []string) error {
	if zone == "" {
		return fmt.Errorf("an impairment needs a zone")
	}
	s.faults.mu.Lock()
	s.faults.init()
	s.faults.impaired[zone] = &impairment{types: slices.Clone(types)}
	s.faults.mu.Unlock()
	ids := s.zonePower(zone, false)
	what := "every instance type"
	if len(types) > 0 {
		what = strings.Join(types, ", ")
	}
	s.record(Event{Kind: EventZoneImpaired, Zone: zone, IDs: ids,
		Reason: "FIS AZ Availability: Power Interruption: instances without power; launches of " + what + " fail with InsufficientInstanceCapacity"})
	s.logf("zone %s impaired (power lost, launches of %s refused)", zone, what)
	s.startAutoshift(ctx, zone)
	return s.failoverZone(ctx, zone)
}

// recoverZone ends a zone's impairment: power returns (instances carry on,
// their open connections reset), launches succeed again, and a Single-AZ
// database held by the outage serves again. A database that failed over
// stays on its former standby, as RDS does not fail back by itself.
func (s *Sandbox) recoverZone(ctx context.Context, zone string) error {
	s.faults.mu.Lock()
	s.faults.init()
	if s.faults.impaired[zone] == nil {
		s.faults.mu.Unlock()
		return fmt.Errorf("zone %q is not impaired", zone)
	}
	short := s.faults.impaired[zone].short
	delete(s.faults.impaired, zone)
	defer s.endAutoshift(zone)
	for key := range s.faults.retry {
		if strings.HasSuffix(key, "/"+zone) {
			delete(s.faults.retry, key)
		}
	}
	var held []string
	for id, z := range s.faults.held {
		if z == zone {
			held = append(held, id)
			delete(s.faults.held, id)
		}
	}
	s.faults.mu.Unlock()
	if short {
		s.record(Event{Kind: EventZoneRecovered, Zone: zone, Reason: "capacity back; launches succeed again"})
		s.logf("zone %s has capacity again", zone)
		return nil
	}
	ids := s.zonePower(zone, true)
	s.record(Event{Kind: EventZoneRecovered, Zone: zone, IDs: ids, Reason: "power back; launches succeed again"})
	s.logf("zone %s recovered", zone)
	var errs []string
	for _, id := range held {
		s.mu.Lock()
		db := s.dbs[id]
		s.mu.Unlock()
		if db == nil {
			continue
		}
		db.mu.Lock()
		err := db.srv.Resume(ctx)
		db.mu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Sprintf("database %s: %v", id, err))
			continue
		}
		s.record(Event{Kind: EventDatabaseBack, Zone: zone, IDs: []string{id}})
	}
	if len(errs) > 0 {
		return fmt.Errorf("zone %s recovered, but: %s", zone, strings.Join(errs, "; "))
	}
	return nil
}

// zonePower switches the power of every instance in the zone, and of those
// launched there later (syncInstances reads zonesDown), and returns their IDs.
func (s *Sandbox) zonePower(zone string, on bool) []string {
	s.mu.Lock()
	s.zonesDown[zone] = !on
	var insts []*instance
	for _, in := range s.instances {
		if in.az == zone {
			insts = append(insts, in)
		}
	}
	s.mu.Unlock()
	s.powerLBNodes(zone, on)
	ids := make([]string, 0, len(insts))
	for _, in := range insts {
		if on {
			in.powerOn()
		} else {
			in.powerOff()
		}
		ids = append(ids, in.id)
	}
	sort.Strings(ids)
	return ids
}

// failoverZone fails over each database whose primary runs in the zone: a
// Multi-AZ one to its standby (FIS scenario: "RDS failover"), a Single-AZ
// one is cut until the zone recovers.
func (s *Sandbox) failoverZone(ctx context.Context, zone string) error {
	out, err := s.aws.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil {
		return fmt.Errorf("zone %s lost power, but its databases could not be listed: %w", zone, err)
	}
	for _, d := range out.DBInstances {
		id := aws.ToString(d.DBInstanceIdentifier)
		s.mu.Lock()
		db := s.dbs[id]
		s.mu.Unlock()
		s.faults.mu.Lock()
		primary := s.faults.primary[id]
		if primary == "" {
			primary = aws.ToString(d.AvailabilityZone)
		}
		s.faults.mu.Unlock()
		if db == nil || primary != zone {
			continue
		}
		if !aws.ToBool(d.MultiAZ) {
			db.mu.Lock()
			if db.srv != nil {
				db.srv.Cut()
			}
			db.mu.Unlock()
			s.faults.mu.Lock()
			s.faults.held[id] = zone
			s.faults.mu.Unlock()
			s.record(Event{Kind: EventDatabaseDown, Zone: zone, IDs: []string{id}, Reason: "Single-AZ: no standby; back when the zone recovers (FIS AZ Availability: Power Interruption)"})
			continue
		}
		standby := s.standbyZone(d, zone)
		if err := s.failoverFor(db, Event{Zone: zone,
			Reason: fmt.Sprintf("primary in impaired %s; the standby in %s takes over (FIS AZ Availability: Power Interruption, RDS failover)", zone, cmpOr(standby, "another zone"))}); err != nil {
			return fmt.Errorf("database %s: %w", id, err)
		}
		s.faults.mu.Lock()
		s.faults.primary[id] = standby
		s.faults.mu.Unlock()
	}
	return nil
}

// standbyZone picks the zone a Multi-AZ instance's standby runs in (moto
// does not say): the first other zone of its subnet group that is not
// impaired, else the first other zone.
func (s *Sandbox) standbyZone(d rdstypes.DBInstance, primary string) string {
	var zones []string
	if d.DBSubnetGroup != nil {
		for _, sn := range d.DBSubnetGroup.Subnets {
			if sn.SubnetAvailabilityZone != nil {
				zones = append(zones, aws.ToString(sn.SubnetAvailabilityZone.Name))
			}
		}
	}
	sort.Strings(zones)
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	fallback := ""
	for _, z := range zones {
		if z == primary || z == "" {
			continue
		}
		if s.faults.impaired[z] == nil {
			return z
		}
		fallback = cmpOr(fallback, z)
	}
	return fallback
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// A zone short of instance types: launches of those types there fail with
// InsufficientInstanceCapacity (FIS aws:ec2:asg-insufficient-instance-
// capacity-error, narrowed to types), and nothing else happens: the power
// stays on, unlike an impairment (above). Refusals work as there
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
