package sandbox

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// activity is a scaling activity the sandbox caused (moto records only its own).
type activity struct {
	id, asg, description, cause, details string
	start, end                           time.Time
	status, statusMessage                string // "" is Successful; a failed launch says why (impair.go)
}

func (s *Sandbox) recordActivity(asg, description, cause string) {
	now := time.Now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.activities[asg] = append(s.activities[asg], activity{id: requestID(), asg: asg, description: description,
		cause: fmt.Sprintf("At %s %s", now.Format(time.RFC3339), cause), details: "{}", start: now, end: now})
}

// replaceUnhealthy does what AWS does for groups with ELB health checks: an
// instance whose target is unhealthy after the grace period is marked
// Unhealthy and replaced (moto never replaces): terminated first, or, when
// the group's instance maintenance policy keeps its capacity in service,
// after its replacement is healthy (maintenance.go). A group whose
// ReplaceUnhealthy process is suspended replaces nothing (Auto Scaling User
// Guide, "How suspended processes affect other processes"), which is how an
// evacuated zone's group keeps from launching into the zone it leaves.
func (s *Sandbox) replaceUnhealthy(ctx context.Context, obs *observed) {
	s.finishReplacements(ctx, obs)
	for i := range obs.groups {
		g := obs.groups[i]
		if aws.ToString(g.HealthCheckType) != "ELB" || suspended(&g, "ReplaceUnhealthy") {
			continue
		}
		name := aws.ToString(g.AutoScalingGroupName)
		grace := s.emu(time.Duration(aws.ToInt32(g.HealthCheckGracePeriod)) * time.Second)
		for _, i := range g.Instances {
			id := aws.ToString(i.InstanceId)
			if i.LifecycleState != astypes.LifecycleStateInService {
				continue
			}
			s.mu.Lock()
			in := s.instances[id]
			unhealthy := false
			for _, arn := range g.TargetGroupARNs {
				if tg := s.tgs[arn]; tg != nil {
					for _, t := range tg.targets {
						unhealthy = unhealthy || (t.id == id && t.view.state == "unhealthy")
					}
				}
			}
			s.mu.Unlock()
			if in == nil || !unhealthy || in.inGrace(grace) || s.replacing[id] != "" {
				continue
			}
			if s.launchFirst(&g, obs) {
				s.launchReplacement(ctx, &g, id)
				continue
			}
			if _, err := s.aws.asg.SetInstanceHealth(ctx, &autoscaling.SetInstanceHealthInput{InstanceId: aws.String(id), HealthStatus: aws.String("Unhealthy")}); err != nil {
				s.logf("set instance health %s: %v", id, err)
				continue
			}
			if _, err := s.aws.asg.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
				InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(false)}); err != nil {
				s.logf("replace unhealthy %s: %v", id, err)
				continue
			}
			s.logf("instance %s failed ELB health checks: replaced", id)
			s.recordActivity(name, "Terminating EC2 instance: "+id,
				"an instance was taken out of service in response to an ELB system health check failure.")
		}
	}
}

// describeScalingActivities merges moto's activities with the sandbox's own.
func (s *Sandbox) describeScalingActivities(w http.ResponseWriter, p url.Values) bool {
	in := &autoscaling.DescribeScalingActivitiesInput{ActivityIds: members(p, "ActivityIds", "")}
	if n := p.Get("AutoScalingGroupName"); n != "" {
		in.AutoScalingGroupName = aws.String(n)
	}
	out, err := s.aws.asg.DescribeScalingActivities(context.Background(), in)
	if err != nil {
		replyError(w, http.StatusBadRequest, "ValidationError", err.Error())
		return true
	}
	acts := out.Activities
	wanted := map[string]bool{}
	for _, id := range in.ActivityIds {
		wanted[id] = true
	}
	s.mu.Lock()
	for asg, list := range s.activities {
		if in.AutoScalingGroupName != nil && asg != *in.AutoScalingGroupName {
			continue
		}
		for _, a := range list {
			if len(wanted) > 0 && !wanted[a.id] {
				continue
			}
			acts = append(acts, astypes.Activity{ActivityId: aws.String(a.id), AutoScalingGroupName: aws.String(a.asg),
				Description: aws.String(a.description), Cause: aws.String(a.cause), Details: aws.String(a.details),
				StartTime: aws.Time(a.start), EndTime: aws.Time(a.end), Progress: aws.Int32(100),
				StatusCode: astypes.ScalingActivityStatusCode(cmpOr(a.status, string(astypes.ScalingActivityStatusCodeSuccessful))), StatusMessage: optional(a.statusMessage)})
		}
	}
	s.mu.Unlock()
	sort.SliceStable(acts, func(i, j int) bool { return aws.ToTime(acts[i].StartTime).After(aws.ToTime(acts[j].StartTime)) })
	if n, err := strconv.Atoi(p.Get("MaxRecords")); err == nil && n > 0 && n < len(acts) {
		acts = acts[:n]
	}
	reply(w, nsASG, "DescribeScalingActivities", func(x *xw) {
		x.open("Activities")
		for _, a := range acts {
			x.open("member")
			x.elem("ActivityId", aws.ToString(a.ActivityId))
			x.elem("AutoScalingGroupName", aws.ToString(a.AutoScalingGroupName))
			x.optional("Description", aws.ToString(a.Description))
			x.elem("Cause", aws.ToString(a.Cause))
			x.elem("StartTime", aws.ToTime(a.StartTime).UTC().Format(time.RFC3339))
			if a.EndTime != nil {
				x.elem("EndTime", a.EndTime.UTC().Format(time.RFC3339))
			}
			x.elem("StatusCode", string(a.StatusCode))
			x.optional("StatusMessage", aws.ToString(a.StatusMessage))
			x.elem("Progress", strconv.Itoa(int(aws.ToInt32(a.Progress))))
			x.optional("Details", aws.ToString(a.Details))
			x.close("member")
		}
		x.close("Activities")
	})
	return true
}

// setDesired changes a group's desired capacity and records why.
func (s *Sandbox) setDesired(ctx context.Context, asg string, from, to int32, cause string) error {
	if _, err := s.aws.asg.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(asg), DesiredCapacity: aws.Int32(to)}); err != nil {
		return fmt.Errorf("set desired capacity of %s: %w", asg, err)
	}
	s.recordActivity(asg, fmt.Sprintf("Changing desired capacity from %d to %d", from, to), cause)
	return nil
}

// refresh is one instance refresh (moto answers 500): the instances present
// at its start are replaced in batches that keep MinHealthyPercentage of the
// group healthy, each batch only after the previous replacements are
// healthy in their target groups and warmed up.
type refresh struct {
	id, asg, status, reason string
	start, end              time.Time
	minHealthy              int
	warmup                  time.Duration // emulated
	old                     map[string]bool
	total, remaining        int
}

func (r *refresh) active() bool { return r.status == "Pending" || r.status == "InProgress" }

func (s *Sandbox) startInstanceRefresh(w http.ResponseWriter, p url.Values) bool {
	asg := p.Get("AutoScalingGroupName")
	out, err := s.aws.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{asg}})
	if err != nil || len(out.AutoScalingGroups) == 0 {
		replyError(w, http.StatusBadRequest, "ValidationError", "AutoScalingGroup name not found - "+asg)
		return true
	}
	g := out.AutoScalingGroups[0]
	r := &refresh{id: requestID(), asg: asg, status: "Pending", start: time.Now().UTC(), minHealthy: 90, old: map[string]bool{}}
	if v, err := strconv.Atoi(p.Get("Preferences.MinHealthyPercentage")); err == nil {
		r.minHealthy = v
	}
	r.warmup = time.Duration(aws.ToInt32(g.DefaultInstanceWarmup)) * time.Second
	if r.warmup == 0 {
		r.warmup = time.Duration(aws.ToInt32(g.HealthCheckGracePeriod)) * time.Second
	}
	if v, err := strconv.Atoi(p.Get("Preferences.InstanceWarmup")); err == nil {
		r.warmup = time.Duration(v) * time.Second
	}
	for _, i := range g.Instances {
		if live(i) {
			r.old[aws.ToString(i.InstanceId)] = true
		}
	}
	r.total, r.remaining = len(r.old), len(r.old)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, other := range s.refreshes[asg] {
		if other.active() {
			replyError(w, http.StatusBadRequest, "InstanceRefreshInProgress", "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.")
			return true
		}
	}
	s.refreshes[asg] = append(s.refreshes[asg], r)
	reply(w, nsASG, "StartInstanceRefresh", func(x *xw) { x.elem("InstanceRefreshId", r.id) })
	return true
}

func (s *Sandbox) cancelInstanceRefresh(w http.ResponseWriter, p url.Values) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.refreshes[p.Get("AutoScalingGroupName")] {
		if r.active() {
			r.status, r.reason, r.end = "Cancelled", "Cancelled by the user", time.Now().UTC()
			reply(w, nsASG, "CancelInstanceRefresh", func(x *xw) { x.elem("InstanceRefreshId", r.id) })
			return true
		}
	}
	replyError(w, http.StatusBadRequest, "ActiveInstanceRefreshNotFound", "No in progress or pending Instance Refresh found for Auto Scaling group "+p.Get("AutoScalingGroupName"))
	return true
}

func (s *Sandbox) describeInstanceRefreshes(w http.ResponseWriter, p url.Values) bool {
	ids := map[string]bool{}
	for _, id := range members(p, "InstanceRefreshIds", "") {
		ids[id] = true
	}
	s.mu.Lock()
	var list []refresh
	for _, r := range s.refreshes[p.Get("AutoScalingGroupName")] {
		if len(ids) == 0 || ids[r.id] {
			list = append(list, *r)
		}
	}
	s.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].start.After(list[j].start) })
	reply(w, nsASG, "DescribeInstanceRefreshes", func(x *xw) {
		x.open("InstanceRefreshes")
		for _, r := range list {
			pct := 100
			if r.total > 0 {
				pct = (r.total - r.remaining) * 100 / r.total
			}
			x.open("member")
			x.elem("InstanceRefreshId", r.id)
			x.elem("AutoScalingGroupName", r.asg)
			x.elem("Status", r.status)
			x.optional("StatusReason", r.reason)
			x.elem("StartTime", r.start.Format(time.RFC3339))
			if !r.end.IsZero() {
				x.elem("EndTime", r.end.Format(time.RFC3339))
			}
			x.elem("PercentageComplete", strconv.Itoa(pct))
			x.elem("InstancesToUpdate", strconv.Itoa(r.remaining))
			x.open("Preferences")
			x.elem("MinHealthyPercentage", strconv.Itoa(r.minHealthy))
			x.elem("InstanceWarmup", strconv.Itoa(int(r.warmup/time.Second)))
			x.close("Preferences")
			x.close("member")
		}
		x.close("InstanceRefreshes")
	})
	return true
}

// advanceRefreshes moves every active refresh one step per tick.
func (s *Sandbox) advanceRefreshes(ctx context.Context, obs *observed) {
	for _, g := range obs.groups {
		name := aws.ToString(g.AutoScalingGroupName)
		s.mu.Lock()
		var r *refresh
		for _, cand := range s.refreshes[name] {
			if cand.active() {
				r = cand
			}
		}
		if r == nil {
			s.mu.Unlock()
			continue
		}
		r.status = "InProgress"
		var oldLive []string
		settled := true // every instance not being replaced is healthy and warm
		for _, i := range g.Instances {
			id := aws.ToString(i.InstanceId)
			if !live(i) {
				continue
			}
			if r.old[id] {
				oldLive = append(oldLive, id)
				continue
			}
			settled = settled && s.readyLocked(g, id, r.warmup)
		}
		r.remaining = len(oldLive)
		desired := int(aws.ToInt32(g.DesiredCapacity))
		liveCount := 0
		for _, i := range g.Instances {
			if live(i) {
				liveCount++
			}
		}
		settled = settled && liveCount >= desired
		if settled && len(oldLive) == 0 {
			r.status, r.end = "Successful", time.Now().UTC()
		}
		s.mu.Unlock()
		if !settled || len(oldLive) == 0 {
			continue
		}
		batch := max(1, desired-int(math.Ceil(float64(desired)*float64(r.minHealthy)/100)))
		sort.Strings(oldLive)
		for _, id := range oldLive[:min(batch, len(oldLive))] {
			if _, err := s.aws.asg.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
				InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(false)}); err != nil {
				s.logf("instance refresh %s: terminate %s: %v", r.id, id, err)
				continue
			}
			s.recordActivity(name, "Terminating EC2 instance: "+id, "an instance was taken out of service in response to an instance refresh.")
		}
	}
}

// readyLocked: the instance is healthy in every target group of the group
// (running, for a group without one) and past its warmup. Callers hold s.mu.
func (s *Sandbox) readyLocked(g astypes.AutoScalingGroup, id string, warmup time.Duration) bool {
	in := s.instances[id]
	if in == nil || time.Since(in.launched) < s.emu(warmup) {
		return false
	}
	if !s.healthyInLocked(g.TargetGroupARNs, id) {
		return false
	}
	if len(g.TargetGroupARNs) == 0 {
		state, _ := in.snapshot()
		return state == "running"
	}
	return true
}
