package sandbox

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

// trackingState is one target-tracking policy's alarm history: consecutive
// breaching datapoints, as its two CloudWatch alarms would count them.
type trackingState struct {
	high, low    int
	lastScaleOut time.Time
	lastDesired  int32
}

// AWS's target tracking alarms: scale out after 3 datapoints above the
// target, scale in after 15 below 90% of it.
const (
	scaleOutDatapoints = 3
	scaleInDatapoints  = 15
	scaleInRatio       = 0.9
)

// minuteLoop runs once per emulated minute: metrics from the data plane are
// published to CloudWatch (moto) and target-tracking policies evaluated.
func (s *Sandbox) minuteLoop(ctx context.Context) {
	minute := time.Duration(s.opts.MinuteSeconds * float64(time.Second))
	prevCPU := map[int]float64{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(minute):
		}
		perTarget := s.requestMetrics()
		cpu := s.cpuMetrics(prevCPU, minute)
		s.publishMetrics(ctx, perTarget, cpu)
		if err := s.evaluateTracking(ctx, perTarget, cpu); err != nil && ctx.Err() == nil {
			s.logf("target tracking: %v", err)
		}
	}
}

// requestMetrics is RequestCountPerTarget for the last minute per target
// group: HAProxy's request count divided by the healthy targets.
func (s *Sandbox) requestMetrics() map[string]float64 {
	stats, err := s.hap.stats()
	out := map[string]float64{}
	if err != nil {
		return out
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for arn, tg := range s.tgs {
		row, ok := stats[shortName("tg_", arn)]["BACKEND"]
		if !ok {
			continue
		}
		delta := row.sessions - tg.requests
		if delta < 0 { // counters restart with a reloaded worker
			delta = row.sessions
		}
		tg.requests = row.sessions
		healthy := 0
		for _, t := range tg.targets {
			if t.view.state == "healthy" {
				healthy++
			}
		}
		out[arn] = float64(delta) / float64(max(healthy, 1))
	}
	return out
}

// cpuMetrics is each group's average CPU utilisation (percent of one core)
// over the last minute, from /proc for its instances' app processes.
func (s *Sandbox) cpuMetrics(prev map[int]float64, minute time.Duration) map[string]float64 {
	sums, counts := map[string]float64{}, map[string]int{}
	s.mu.Lock()
	insts := make([]*instance, 0, len(s.instances))
	for _, in := range s.instances {
		insts = append(insts, in)
	}
	s.mu.Unlock()
	seen := map[int]bool{}
	for _, in := range insts {
		_, pid := in.snapshot()
		if pid == 0 {
			continue
		}
		secs := cpuSeconds(pid)
		seen[pid] = true
		if last, ok := prev[pid]; ok {
			sums[in.asg] += (secs - last) / minute.Seconds() * 100
			counts[in.asg]++
		}
		prev[pid] = secs
	}
	for pid := range prev {
		if !seen[pid] {
			delete(prev, pid)
		}
	}
	out := map[string]float64{}
	for asg, sum := range sums {
		out[asg] = sum / float64(counts[asg])
	}
	return out
}

func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100 // USER_HZ is 100 on Linux
}

func (s *Sandbox) publishMetrics(ctx context.Context, perTarget, cpu map[string]float64) {
	now := time.Now()
	var alb, ec2 []datum
	for arn, v := range perTarget {
		alb = append(alb, datum{name: "RequestCountPerTarget", unit: "Count", dimName: "TargetGroup", dimValue: tgDimension(arn), value: v, at: now})
	}
	for asg, v := range cpu {
		ec2 = append(ec2, datum{name: "CPUUtilization", unit: "Percent", dimName: "AutoScalingGroupName", dimValue: asg, value: v, at: now})
	}
	if err := s.putMetricData(ctx, "AWS/ApplicationELB", alb); err != nil {
		s.logf("put ALB metrics: %v", err)
	}
	if err := s.putMetricData(ctx, "AWS/EC2", ec2); err != nil {
		s.logf("put EC2 metrics: %v", err)
	}
}

// tgDimension is CloudWatch's TargetGroup dimension: "targetgroup/name/id".
func tgDimension(arn string) string {
	if i := strings.Index(arn, "targetgroup/"); i >= 0 {
		return arn[i:]
	}
	return arn
}

// evaluateTracking applies each target-tracking policy to its group.
func (s *Sandbox) evaluateTracking(ctx context.Context, perTarget, cpu map[string]float64) error {
	out, err := s.aws.asg.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{PolicyTypes: []string{"TargetTrackingScaling"}})
	if err != nil {
		return err
	}
	for _, p := range out.ScalingPolicies {
		cfg := p.TargetTrackingConfiguration
		if cfg == nil || cfg.PredefinedMetricSpecification == nil || (p.Enabled != nil && !*p.Enabled) {
			continue
		}
		asg := aws.ToString(p.AutoScalingGroupName)
		var value float64
		var ok bool
		switch cfg.PredefinedMetricSpecification.PredefinedMetricType {
		case "ALBRequestCountPerTarget":
			label := aws.ToString(cfg.PredefinedMetricSpecification.ResourceLabel)
			for arn, v := range perTarget {
				if strings.HasSuffix(label, tgDimension(arn)) {
					value, ok = v, true
				}
			}
		case "ASGAverageCPUUtilization":
			value, ok = cpu[asg]
		}
		if !ok {
			continue
		}
		if err := s.track(ctx, aws.ToString(p.PolicyARN), aws.ToString(p.PolicyName), asg, value, aws.ToFloat64(cfg.TargetValue),
			aws.ToBool(cfg.DisableScaleIn), time.Duration(aws.ToInt32(p.EstimatedInstanceWarmup))*time.Second); err != nil {
			s.logf("%v", err)
		}
	}
	return nil
}

func (s *Sandbox) track(ctx context.Context, key, policy, asg string, value, targetValue float64, noScaleIn bool, warmup time.Duration) error {
	if targetValue <= 0 {
		return nil
	}
	out, err := s.aws.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{asg}})
	if err != nil || len(out.AutoScalingGroups) == 0 {
		return err
	}
	g := out.AutoScalingGroups[0]
	// A group whose AlarmNotification process is suspended does not run the
	// policies its alarms trigger (Amazon EC2 Auto Scaling User Guide,
	// "Suspend and resume Amazon EC2 Auto Scaling processes").
	for _, p := range g.SuspendedProcesses {
		if aws.ToString(p.ProcessName) == "AlarmNotification" {
			return nil
		}
	}
	if warmup == 0 {
		warmup = time.Duration(aws.ToInt32(g.DefaultInstanceWarmup)) * time.Second
	}
	current, lo, hi := aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize)
	s.mu.Lock()
	st := s.tracking[key]
	if st == nil {
		st = &trackingState{}
		s.tracking[key] = st
	}
	if value > targetValue {
		st.high++
	} else {
		st.high = 0
	}
	if value < targetValue*scaleInRatio {
		st.low++
	} else {
		st.low = 0
	}
	warming := time.Since(st.lastScaleOut) < s.emu(warmup)
	proposed := int32(math.Ceil(float64(max(current, 1)) * value / targetValue))
	proposed = min(max(proposed, lo), hi)
	var to int32
	var alarm string
	switch {
	case st.high >= scaleOutDatapoints && proposed > current && (!warming || proposed > st.lastDesired):
		to, alarm = proposed, "AlarmHigh"
		st.lastScaleOut, st.lastDesired = time.Now(), proposed
	case st.low >= scaleInDatapoints && !noScaleIn && !warming && proposed < current:
		to, alarm = proposed, "AlarmLow"
		st.low = 0
	}
	s.mu.Unlock()
	if alarm == "" {
		return nil
	}
	s.logf("target tracking %s: %s metric %.1f vs target %.1f: desired %d -> %d", policy, asg, value, targetValue, current, to)
	return s.setDesired(ctx, asg, current, to, fmt.Sprintf("a monitor alarm TargetTracking-%s-%s in state ALARM triggered policy %s changing the desired capacity from %d to %d.",
		asg, alarm, policy, current, to))
}
