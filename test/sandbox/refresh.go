package sandbox

import (
	"context"
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
	for _, arn := range g.TargetGroupARNs {
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
	if len(g.TargetGroupARNs) == 0 {
		state, _ := in.snapshot()
		return state == "running"
	}
	return true
}
