package cloud

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// markedSuspension is a set of processes the provider suspends on a group
// under a mark tag (a rollout's, an evacuation's). The mark is written before
// SuspendProcesses and removed after ResumeProcesses, so an apply killed in
// between leaves a mark the next observe reports.
type markedSuspension struct {
	tag       string   // the mark's key; its value lists processes
	processes []string // what SuspendProcesses/ResumeProcesses name
	// the error messages' wording for each step
	marking, suspending, resuming, unmarking string
}

// suspend tags the group with the mark, then suspends the processes.
func (m markedSuspension) suspend(ctx context.Context, c autoScalingGroups, name string) error {
	tag := astypes.Tag{Key: aws.String(m.tag), Value: aws.String(strings.Join(m.processes, ",")),
		ResourceId: aws.String(name), ResourceType: aws.String("auto-scaling-group"), PropagateAtLaunch: aws.Bool(false)}
	err := retryBusyOrInUse(ctx, "Auto Scaling group "+name+" to accept tags", func(ctx context.Context) error {
		_, err := c.asg.CreateOrUpdateTags(ctx, &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{tag}})
		return err
	})
	if err != nil {
		return fmt.Errorf(m.marking+": %w", name, err)
	}
	err = retryBusyOrInUse(ctx, "Auto Scaling group "+name+" to suspend processes", func(ctx context.Context) error {
		_, err := c.asg.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(name), ScalingProcesses: m.processes})
		return err
	})
	if err != nil {
		return fmt.Errorf(m.suspending+": %w", strings.Join(m.processes, ", "), name, err)
	}
	return nil
}

// resume resumes the processes, then removes the mark. Resuming a process
// that is not suspended is a no-op for AWS.
func (m markedSuspension) resume(ctx context.Context, c autoScalingGroups, name string) error {
	err := retryBusyOrInUse(ctx, "Auto Scaling group "+name+" to resume processes", func(ctx context.Context) error {
		_, err := c.asg.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String(name), ScalingProcesses: m.processes})
		return err
	})
	if err != nil {
		return fmt.Errorf(m.resuming+": %w", strings.Join(m.processes, ", "), name, err)
	}
	err = retryBusyOrInUse(ctx, "Auto Scaling group "+name+" to accept tags", func(ctx context.Context) error {
		_, err := c.asg.DeleteTags(ctx, &autoscaling.DeleteTagsInput{Tags: []astypes.Tag{{Key: aws.String(m.tag),
			ResourceId: aws.String(name), ResourceType: aws.String("auto-scaling-group")}}})
		return err
	})
	if err != nil {
		return fmt.Errorf(m.unmarking+": %w", name, err)
	}
	return nil
}
