package cloud

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// readTargetGroups finds the stack's target groups without listing every
// target group of the region (pages of 400 in a large account, slow and
// throttle-prone): by the desired name, one call, and, when the state
// recorded another group (one being replaced, whose deletion an
// interrupted apply never reached), by that ARN. Import (readAll) knows
// neither: it asks for the groups the load balancer forwards to, and lists
// the region's only for a stack whose load balancer is gone. Every group
// must match the stack's name pattern.
func (f *found) readTargetGroups(ctx context.Context, c *Cloud, stack string, byKind map[blueprint.Kind][]blueprint.Part) error {
	re := targetGroupName(stack)
	add := func(tgs ...elbtypes.TargetGroup) {
		for _, tg := range tgs {
			arn := aws.ToString(tg.TargetGroupArn)
			if re.MatchString(aws.ToString(tg.TargetGroupName)) && !slices.ContainsFunc(f.targetGroups, func(h elbtypes.TargetGroup) bool {
				return aws.ToString(h.TargetGroupArn) == arn
			}) {
				f.targetGroups = append(f.targetGroups, tg)
			}
		}
	}
	lookup := func(find func() (*elbtypes.TargetGroup, error)) error {
		tg, err := find()
		switch {
		case err == nil:
			add(*tg)
		case !errors.Is(err, ErrNotFound):
			return err
		}
		return nil
	}
	tgs := targetGroups{c}
	if f.readAll {
		in := &elb.DescribeTargetGroupsInput{}
		if f.loadBalancer != nil {
			in.LoadBalancerArn = f.loadBalancer.LoadBalancerArn
		}
		pages := elb.NewDescribeTargetGroupsPaginator(c.elb, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("reading target groups: %w", err)
			}
			add(page.TargetGroups...)
		}
	} else if parts := byKind[blueprint.KindTargetGroup]; len(parts) > 0 {
		if err := lookup(func() (*elbtypes.TargetGroup, error) { return tgs.findTargetGroupByName(ctx, parts[0].Name) }); err != nil {
			return err
		}
	}
	if known := f.knownTargetGroup; known != "" && !slices.ContainsFunc(f.targetGroups, func(h elbtypes.TargetGroup) bool {
		return aws.ToString(h.TargetGroupArn) == known
	}) {
		return lookup(func() (*elbtypes.TargetGroup, error) { return tgs.findTargetGroupByARN(ctx, known) })
	}
	return nil
}
