package cloud

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// evacuationSuspends are the processes an evacuated zone's group suspends
// while the load balancer sends it nothing, so it keeps its instances, as
// they are, for a fast return (Amazon EC2 Auto Scaling User Guide, "Suspend
// and resume Amazon EC2 Auto Scaling processes", process types):
//   - AlarmNotification: target tracking would see the zone's share of the
//     traffic gone and scale the group in (and its alarms would act on
//     whatever they see); suspended, the policies' alarms do not act.
//   - Launch: in a zone that is down every launch fails
//     (InsufficientInstanceCapacity) and Auto Scaling keeps retrying; with
//     Launch suspended it launches nothing into the zone while it is
//     evacuated ("How suspended processes affect other processes": AZRebalance
//     stops, ReplaceUnhealthy terminates but does not replace, and on resume
//     Auto Scaling "immediately replaces any instances that it terminated"
//     meanwhile, which is what the return wants).
//   - ReplaceUnhealthy: instances out of traffic are kept, not replaced.
//
// Not suspended: Terminate and HealthCheck, which the stack's destroy (drain
// to zero) and the return need; AZRebalance, which never acts in a group of
// one zone (and stops with Launch anyway); ScheduledActions, the user's own.
// A rollout skips an evacuated group: it rolls out when the zone returns.
var evacuationSuspends = []string{"AlarmNotification", "Launch", "ReplaceUnhealthy"}

// tagEvacuated marks a group the evacuation suspended; its value lists the
// processes. It is written before SuspendProcesses and removed after
// ResumeProcesses, like the rollout's mark, so an interrupted apply leaves a
// mark the next observe reports.
const tagEvacuated = "hawebapp:evacuated"

var evacuationSuspension = markedSuspension{tag: tagEvacuated, processes: evacuationSuspends,
	marking:    "marking Auto Scaling group (%s) evacuated",
	suspending: "suspending %s of evacuated Auto Scaling group (%s)",
	resuming:   "resuming %s of returning Auto Scaling group (%s)",
	unmarking:  "removing the evacuation mark of Auto Scaling group (%s)"}

// syncEvacuation suspends evacuationSuspends on an evacuated zone's group,
// and resumes them on a group that carries the mark but is not evacuated.
// An evacuated group never rolls out, so no rollout's resume of
// AlarmNotification undoes the suspension; a returning group resumes before
// its rollout.
func (c autoScalingGroups) syncEvacuation(ctx context.Context, name string, evacuated bool) error {
	g, err := c.findGroupByName(ctx, name)
	if err != nil {
		return err
	}
	switch {
	case evacuated && len(evacuationDrift(g, true)) > 0:
		return evacuationSuspension.suspend(ctx, c, name)
	case !evacuated && hasTag(g, tagEvacuated):
		return evacuationSuspension.resume(ctx, c, name)
	}
	return nil
}

// instanceHealth counts the group's instances in service and healthy, and
// those Auto Scaling reports unhealthy (HealthStatus "Unhealthy": with ELB
// health checks, failing the target group's; DescribeAutoScalingGroups,
// Instance.HealthStatus).
func instanceHealth(g *astypes.AutoScalingGroup) (healthy, unhealthy int) {
	for _, inst := range g.Instances {
		switch {
		case aws.ToString(inst.HealthStatus) == "Unhealthy":
			unhealthy++
		case inst.LifecycleState == astypes.LifecycleStateInService:
			healthy++
		}
	}
	return healthy, unhealthy
}

// suspendEvacuated suspends the evacuated zone's group's processes, if the
// group exists and they are not suspended yet. The zonal shift calls it just
// before it starts, so nothing launches into, or replaces instances of, a
// zone the load balancer is about to leave.
func (c autoScalingGroups) suspendEvacuated(ctx context.Context, name string) error {
	g, err := c.findGroupByName(ctx, name)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil // created after the shift, suspended by its create
	case err != nil:
		return err
	case len(evacuationDrift(g, true)) == 0:
		return nil
	}
	return evacuationSuspension.suspend(ctx, c, name)
}

// evacuationDrift says how the group's suspended processes differ from
// what the evacuation (or its absence) wants.
func evacuationDrift(g *astypes.AutoScalingGroup, evacuated bool) []string {
	var suspended []string
	for _, p := range g.SuspendedProcesses {
		if name := aws.ToString(p.ProcessName); slices.Contains(evacuationSuspends, name) {
			suspended = append(suspended, name)
		}
	}
	marked := hasTag(g, tagEvacuated)
	switch {
	case evacuated && (!marked || len(suspended) < len(evacuationSuspends)):
		return []string{fmt.Sprintf("processes %s not suspended, want them suspended while the zone is evacuated", words(missing(evacuationSuspends, suspended)))}
	case !evacuated && marked:
		return []string{fmt.Sprintf("processes %s suspended by an evacuation, want them resumed", words(suspended))}
	}
	return nil
}

func hasTag(g *astypes.AutoScalingGroup, key string) bool {
	return slices.ContainsFunc(g.Tags, func(t astypes.TagDescription) bool { return aws.ToString(t.Key) == key })
}

func missing(want, have []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return want // marked processes all suspended but the mark is missing
	}
	return out
}
