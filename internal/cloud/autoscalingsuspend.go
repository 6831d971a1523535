package cloud

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// rolloutSuspends are the processes a zone's rollout suspends while it runs.
// AlarmNotification: with it suspended, Auto Scaling does not run the
// policies its CloudWatch alarms trigger, so target tracking neither scales
// in the instances the rollout is about to replace nor scales out against the
// extra batch (Amazon EC2 Auto Scaling User Guide, "Suspend and resume
// Amazon EC2 Auto Scaling processes", process types). AZRebalance is not
// suspended: each zonal group has one zone, so it never rebalances. Launch,
// Terminate, HealthCheck and ReplaceUnhealthy stay on: the rollout needs them.
var rolloutSuspends = []string{"AlarmNotification"}

// tagRolloutSuspended marks a group whose processes a rollout suspended; its
// value lists them. It is written before SuspendProcesses and removed after
// ResumeProcesses, so a rollout killed in between leaves a mark the next
// observe reports as drift and the next update clears.
const tagRolloutSuspended = "hawebapp:rollout-suspended"

var rolloutSuspension = markedSuspension{tag: tagRolloutSuspended, processes: rolloutSuspends,
	marking:    "marking Auto Scaling group (%s) for the rollout",
	suspending: "suspending %s of Auto Scaling group (%s) for the rollout",
	resuming:   "resuming %s of Auto Scaling group (%s) after the rollout",
	unmarking:  "removing the rollout mark of Auto Scaling group (%s)"}

// suspendForRollout tags the group, then suspends rolloutSuspends.
func (c autoScalingGroups) suspendForRollout(ctx context.Context, name string) error {
	return rolloutSuspension.suspend(ctx, c, name)
}

// resumeAfterRollout resumes what suspendForRollout suspended, then removes
// the mark.
func (c autoScalingGroups) resumeAfterRollout(ctx context.Context, name string) error {
	return rolloutSuspension.resume(ctx, c, name)
}

// leftSuspended lists the processes an interrupted rollout left suspended
// (nil when the group carries no rollout mark). A process the user suspended
// without the mark is theirs and never reported.
func leftSuspended(g *astypes.AutoScalingGroup) []string {
	if !hasRolloutMark(g) {
		return nil
	}
	var left []string
	for _, p := range g.SuspendedProcesses {
		if name := aws.ToString(p.ProcessName); slices.Contains(rolloutSuspends, name) {
			left = append(left, name)
		}
	}
	return left
}

// hasRolloutMark reports whether the group carries the rollout mark at all.
func hasRolloutMark(g *astypes.AutoScalingGroup) bool {
	return slices.ContainsFunc(g.Tags, func(t astypes.TagDescription) bool { return aws.ToString(t.Key) == tagRolloutSuspended })
}
