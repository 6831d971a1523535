package cloud

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// Target group attachment states (DescribeLoadBalancerTargetGroups,
// LoadBalancerTargetGroupState.State in the Auto Scaling API reference):
// Adding while the group's instances are being registered, then Added, then
// InService once one passed an ELB health check.
const targetGroupStateAdding = "Adding"

// errMsgTargetGroupNotAttached is PutScalingPolicy's ValidationError for an
// ALBRequestCountPerTarget policy whose target group is not (yet) attached to
// the group: "Target group not attached to the Auto Scaling group", as quoted
// in terraform-aws-modules/terraform-aws-autoscaling PR #279. The API
// reference says the same in words (PredefinedMetricSpecification,
// ResourceLabel: "You can't specify a resource label unless the target group
// is attached to the Auto Scaling group").
const errMsgTargetGroupNotAttached = "Target group not attached to the Auto Scaling group"

func (c autoScalingGroups) findTargetGroupStates(ctx context.Context, name string) ([]astypes.LoadBalancerTargetGroupState, error) {
	var out []astypes.LoadBalancerTargetGroupState
	pages := autoscaling.NewDescribeLoadBalancerTargetGroupsPaginator(c.asg, &autoscaling.DescribeLoadBalancerTargetGroupsInput{AutoScalingGroupName: aws.String(name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if isValidationNotFound(err) {
			return nil, notFound("Auto Scaling group", name)
		}
		if err != nil {
			return nil, fmt.Errorf("reading target groups of Auto Scaling group (%s): %w", name, err)
		}
		out = append(out, page.LoadBalancerTargetGroups...)
	}
	return out, nil
}

// waitTargetGroupsAdded waits until no target group of the group is still
// Adding, as hashicorp/aws does after every attach (autoscaling/group.go,
// waitLoadBalancerTargetGroupsAdded: count of Adding reaches 0). Only then
// may a request-count scaling policy name the target group.
func (c autoScalingGroups) waitTargetGroupsAdded(ctx context.Context, name string) error {
	return c.waitTargetGroupAttached(ctx, name, "")
}

// waitTargetGroupAttached is waitTargetGroupsAdded that also waits, when
// tgARN is given, until that target group is listed at all.
func (c autoScalingGroups) waitTargetGroupAttached(ctx context.Context, name, tgARN string) error {
	return poll(ctx, "target groups of Auto Scaling group "+name+" to be added", func(ctx context.Context) (bool, string, error) {
		states, err := c.findTargetGroupStates(ctx, name)
		if err != nil {
			return false, "", err
		}
		var adding []string
		for _, s := range states {
			if aws.ToString(s.State) == targetGroupStateAdding {
				adding = append(adding, arnSuffix(aws.ToString(s.LoadBalancerTargetGroupARN))+" "+targetGroupStateAdding)
			}
		}
		if tgARN != "" && !slices.ContainsFunc(states, func(s astypes.LoadBalancerTargetGroupState) bool {
			return aws.ToString(s.LoadBalancerTargetGroupARN) == tgARN
		}) {
			adding = append(adding, arnSuffix(tgARN)+" not attached")
		}
		return len(adding) == 0, strings.Join(adding, ", "), nil
	})
}

// waitTargetGroupServedBy waits until the target group is associated with the
// load balancer, which happens when a listener (or rule) of the load
// balancer forwards to it: the ALBRequestCountPerTarget metric exists only
// for such a pair, and the policy's resource label names the pair. The
// association is read from DescribeTargetGroups' LoadBalancerArns.
func (c autoScalingGroups) waitTargetGroupServedBy(ctx context.Context, tgARN, lbARN string) error {
	return poll(ctx, "target group "+arnSuffix(tgARN)+" to be served by a listener of "+arnSuffix(lbARN), func(ctx context.Context) (bool, string, error) {
		tg, err := targetGroups(c).findTargetGroupByARN(ctx, tgARN)
		if err != nil {
			return false, "", err
		}
		if slices.Contains(tg.LoadBalancerArns, lbARN) {
			return true, "", nil
		}
		return false, "no listener forwards to it yet", nil
	})
}

// syncTargetGroups attaches the stack's target group to the group when it
// is missing (waiting until it is Added) and detaches any other.
func (c autoScalingGroups) syncTargetGroups(ctx context.Context, name string, have []string, want string) error {
	if !slices.Contains(have, want) {
		err := retryBusy(ctx, "Auto Scaling group "+name+" to attach its target group", func(ctx context.Context) error {
			_, err := c.asg.AttachLoadBalancerTargetGroups(ctx, &autoscaling.AttachLoadBalancerTargetGroupsInput{
				AutoScalingGroupName: aws.String(name), TargetGroupARNs: []string{want},
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("attaching target group to Auto Scaling group (%s): %w", name, err)
		}
		if err := c.waitTargetGroupsAdded(ctx, name); err != nil {
			return err
		}
	}
	var extra []string
	for _, arn := range have {
		if arn != want {
			extra = append(extra, arn)
		}
	}
	if len(extra) > 0 {
		err := retryBusy(ctx, "Auto Scaling group "+name+" to detach target groups", func(ctx context.Context) error {
			_, err := c.asg.DetachLoadBalancerTargetGroups(ctx, &autoscaling.DetachLoadBalancerTargetGroupsInput{
				AutoScalingGroupName: aws.String(name), TargetGroupARNs: extra,
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("detaching target groups from Auto Scaling group (%s): %w", name, err)
		}
	}
	return nil
}
