package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Launches refused in an impaired zone (impair.go).

// refuseLaunches runs before syncInstances: every instance moto launched
// into an impaired zone, of a refused type, is a failed launch. Moto has no
// notion of one (it runs the instance at once, and relaunches as soon as
// one leaves the group), so the sandbox holds the instance as a placeholder
// for the group's next attempt, out of the data plane (no process, not a
// target). At each attempt, on the group's backoff, it records the failed
// scaling activity and terminates the placeholder; moto launches the next
// one. When the zone recovers, the placeholder waiting is the launch that
// succeeds. Marked not live in obs, the placeholders are invisible to the
// rest of the tick.
func (s *Sandbox) refuseLaunches(ctx context.Context, obs *observed) {
	s.faults.mu.Lock()
	s.faults.init()
	impaired := len(s.faults.impaired) > 0
	if !impaired {
		clear(s.faults.placeholders)
	}
	s.faults.mu.Unlock()
	if !impaired {
		return
	}
	zones := map[string]bool{}
	for _, g := range obs.groups {
		for _, z := range g.AvailabilityZones {
			zones[z] = true
		}
	}
	seen := map[string]bool{}
	for gi := range obs.groups {
		g := &obs.groups[gi]
		for ii := range g.Instances {
			i := &g.Instances[ii]
			id, zone, typ := aws.ToString(i.InstanceId), aws.ToString(i.AvailabilityZone), aws.ToString(i.InstanceType)
			s.mu.Lock()
			_, known := s.instances[id]
			s.mu.Unlock()
			if known || !live(*i) {
				continue
			}
			s.faults.mu.Lock()
			im := s.faults.impaired[zone]
			refused := im != nil && im.refuses(typ)
			next := ""
			if refused {
				next = fallbackType(g, im)
			}
			s.faults.mu.Unlock()
			if next != "" {
				s.fallBack(ctx, g, i, zone, typ, next)
				continue
			}
			s.faults.mu.Lock()
			var attempt bool
			var first bool
			if refused {
				seen[id] = true
				first = !s.faults.placeholders[id]
				s.faults.placeholders[id] = true
				key := aws.ToString(g.AutoScalingGroupName) + "/" + zone
				r := s.faults.retry[key]
				if r == nil {
					r = &launchRetry{}
					s.faults.retry[key] = r
				}
				// A group whose Launch process is suspended makes no
				// attempt (moto launches regardless): nothing fails.
				if now := time.Now(); !now.Before(r.next) && !suspended(g, "Launch") {
					attempt = true
					r.failures++
					r.next = now.Add(s.emu(min(launchRetryFirst<<min(r.failures-1, 10), launchRetryMax)))
				}
			}
			s.faults.mu.Unlock()
			if !refused {
				continue
			}
			i.LifecycleState = astypes.LifecycleStateTerminated // out of this tick's data plane
			if first {
				s.untarget(ctx, g.TargetGroupARNs, id)
			}
			if attempt {
				s.refuse(ctx, g, id, zone, typ, zones)
			}
		}
	}
	s.faults.mu.Lock()
	for id := range s.faults.placeholders {
		if !seen[id] {
			delete(s.faults.placeholders, id)
		}
	}
	s.faults.mu.Unlock()
	// Nor a target: moto registered it, this tick's membership still says so.
	for arn, members := range obs.members {
		obs.members[arn] = slices.DeleteFunc(members, func(m elbtypes.TargetHealthDescription) bool {
			return m.Target != nil && seen[aws.ToString(m.Target.Id)]
		})
	}
}

func suspended(g *astypes.AutoScalingGroup, process string) bool {
	for _, p := range g.SuspendedProcesses {
		if aws.ToString(p.ProcessName) == process {
			return true
		}
	}
	return false
}

// refuse records one failed launch the way Auto Scaling shows it and ends
// the placeholder (moto launches the group's next attempt at once).
func (s *Sandbox) refuse(ctx context.Context, g *astypes.AutoScalingGroup, id, zone, typ string, zones map[string]bool) {
	var others []string
	s.faults.mu.Lock()
	for z := range zones {
		if im := s.faults.impaired[z]; z != zone && (im == nil || !im.refuses(typ)) {
			others = append(others, z)
		}
	}
	s.faults.mu.Unlock()
	sort.Strings(others)
	name := aws.ToString(g.AutoScalingGroupName)
	running := 0 // the group's instances, placeholders not counted
	s.mu.Lock()
	for _, i := range g.Instances {
		if _, started := s.instances[aws.ToString(i.InstanceId)]; started && live(i) {
			running++
		}
	}
	s.mu.Unlock()
	msg := insufficientCapacityMessage(typ, zone, others)
	now := time.Now().UTC()
	s.mu.Lock()
	s.activities[name] = append(s.activities[name], activity{id: requestID(), asg: name,
		description: "Launching a new EC2 instance.  Status Reason: " + msg,
		cause: fmt.Sprintf("At %s an instance was started in response to a difference between desired and actual capacity, increasing the capacity from %d to %d.",
			now.Format(time.RFC3339), running, running+1),
		details: fmt.Sprintf(`{"Subnet ID":%q,"Availability Zone":%q}`, aws.ToString(g.VPCZoneIdentifier), zone),
		start:   now, end: now, status: string(astypes.ScalingActivityStatusCodeFailed), statusMessage: msg})
	s.mu.Unlock()
	s.record(Event{Kind: EventLaunchRefused, Zone: zone, IDs: []string{id}, Reason: "InsufficientInstanceCapacity: " + typ + " in " + name + " (FIS aws:ec2:asg-insufficient-instance-capacity-error)"})
	s.logf("launch of a %s into %s refused (%s): InsufficientInstanceCapacity", typ, zone, name)
	if _, err := s.aws.asg.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
		InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(false)}); err != nil {
		s.logf("ending refused launch %s: %v", id, err)
	}
}

// insufficientCapacityMessage is the StatusMessage of a scaling activity
// whose launch failed for want of capacity: Auto Scaling's "Could not
// launch On-Demand Instances." around EC2's InsufficientInstanceCapacity
// message (wording as reported from real accounts: see README).
func insufficientCapacityMessage(typ, zone string, others []string) string {
	msg := fmt.Sprintf("Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient %s capacity in the Availability Zone you requested (%s). Our system will be working on provisioning additional capacity.", typ, zone)
	if len(others) > 0 {
		msg += fmt.Sprintf(" You can currently get %s capacity by not specifying an Availability Zone in your request or choosing %s.", typ, strings.Join(others, ", "))
	}
	return msg + " Launching EC2 instance failed."
}

// untarget takes a placeholder out of its target groups (moto registered
// it at launch): a launch that failed was never a target.
func (s *Sandbox) untarget(ctx context.Context, tgARNs []string, id string) {
	for _, arn := range tgARNs {
		if _, err := s.aws.elb.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(arn),
			Targets: []elbtypes.TargetDescription{{Id: aws.String(id)}}}); err != nil {
			s.logf("deregistering refused launch %s: %v", id, err)
		}
	}
}

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// hidesLaunches says whether DescribeAutoScalingGroups and
// DescribeAutoScalingInstances answers need refused launches taken out.
func (s *Sandbox) hidesLaunches(service, action string) bool {
	if service != "autoscaling" || (action != "DescribeAutoScalingGroups" && action != "DescribeAutoScalingInstances") {
		return false
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return len(s.faults.impaired) > 0
}

// serveWithoutRefused passes a describe call to moto and takes out of its
// answer every instance a failed launch stands for (one the data plane has
// not started, of a type its impaired zone refuses): on AWS that instance
// never existed, so a group short of capacity lists fewer instances than
// its desired capacity, whenever it is read.
func (s *Sandbox) serveWithoutRefused(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	s.rp.ServeHTTP(rec, r)
	body := rec.Body.String()
	if rec.Code == http.StatusOK {
		body = s.dropRefused(body)
	}
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write([]byte(body))
}

// dropRefused removes the refused instances' <member> elements from a
// query-protocol answer. An instance's member holds no list, so the
// member around its InstanceId is the nearest <member> before it and the
// first </member> after it.
func (s *Sandbox) dropRefused(body string) string {
	var out strings.Builder
	rest := body
	for {
		at := strings.Index(rest, "<InstanceId>")
		if at < 0 {
			break
		}
		open := strings.LastIndex(rest[:at], "<member>")
		end := strings.Index(rest[at:], "</member>")
		if open < 0 || end < 0 {
			break
		}
		end += at + len("</member>")
		member := rest[open:end]
		if s.refused(elemText(member, "InstanceId"), elemText(member, "AvailabilityZone"), elemText(member, "InstanceType")) {
			out.WriteString(rest[:open])
		} else {
			out.WriteString(rest[:end])
		}
		rest = rest[end:]
	}
	out.WriteString(rest)
	return out.String()
}

// refused says whether an instance moto lists is a launch the sandbox refuses.
func (s *Sandbox) refused(id, zone, typ string) bool {
	s.mu.Lock()
	_, started := s.instances[id]
	s.mu.Unlock()
	if started {
		return false
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	im := s.faults.impaired[zone]
	return im != nil && im.refuses(typ)
}

func elemText(xml, name string) string {
	_, rest, ok := strings.Cut(xml, "<"+name+">")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "</"+name+">")
	return strings.TrimSpace(v)
}
