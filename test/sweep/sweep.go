// Package sweep deletes stacks that test runs left behind (an interrupted
// CI job, a killed terraform) from an account or emulator. It finds stacks
// by the provider's ownership tag and tears each one down with the same
// engine and cloud code the provider uses, so the order and the waits are
// the provider's own.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// Stacks lists the names of the stacks whose children carry the ownership
// tag with a value starting with prefix. Security groups and Auto Scaling
// groups are enough: every stack has both unless it is already half gone,
// and the engine finds the rest by name.
func Stacks(ctx context.Context, cfg aws.Config, prefix string) ([]string, error) {
	names := map[string]bool{}
	add := func(key, value *string) {
		if aws.ToString(key) == blueprint.TagStack {
			names[aws.ToString(value)] = true
		}
	}
	sgs := ec2.NewDescribeSecurityGroupsPaginator(ec2.NewFromConfig(cfg), &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{blueprint.TagStack}}}})
	err := eachPage(ctx, "security groups", sgs.HasMorePages, sgs.NextPage, func(page *ec2.DescribeSecurityGroupsOutput) {
		for _, g := range page.SecurityGroups {
			for _, t := range g.Tags {
				add(t.Key, t.Value)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	groups := autoscaling.NewDescribeAutoScalingGroupsPaginator(autoscaling.NewFromConfig(cfg), &autoscaling.DescribeAutoScalingGroupsInput{
		Filters: []astypes.Filter{{Name: aws.String("tag-key"), Values: []string{blueprint.TagStack}}}})
	err = eachPage(ctx, "Auto Scaling groups", groups.HasMorePages, groups.NextPage, func(page *autoscaling.DescribeAutoScalingGroupsOutput) {
		for _, g := range page.AutoScalingGroups {
			for _, t := range g.Tags {
				add(t.Key, t.Value)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// eachPage pages through an SDK listing (a paginator's HasMorePages and
// NextPage) and hands each page to do; what names the listing in errors.
func eachPage[P, O any](ctx context.Context, what string, more func() bool, next func(context.Context, ...func(*O)) (P, error), do func(P)) error {
	for more() {
		page, err := next(ctx)
		if err != nil {
			return fmt.Errorf("listing %s: %w", what, err)
		}
		do(page)
	}
	return nil
}

// Destroy tears down every child of the named stack. A stack whose database
// has deletion protection on is left alone and reported: a sweeper never
// overrides a protection someone set.
func Destroy(ctx context.Context, cfg aws.Config, stack string) error {
	probe := blueprint.Build(blueprint.Spec{Name: stack, Database: &blueprint.DatabaseSpec{SkipFinalSnapshot: true}})
	probe.ReadAll = true // find every zone's group and both listeners
	e := &engine.Engine{Cloud: cloud.New(cfg, nil)}
	if _, err := e.Destroy(ctx, probe); err != nil {
		return fmt.Errorf("sweeping stack %s: %w", stack, err)
	}
	return nil
}

// All sweeps every stack whose name starts with prefix and returns the names
// swept; it goes on past a failed stack and reports every failure.
func All(ctx context.Context, cfg aws.Config, prefix string) ([]string, error) {
	if prefix == "" {
		return nil, errors.New("a sweep needs a name prefix, such as the test suite's acc-")
	}
	stacks, err := Stacks(ctx, cfg, prefix)
	if err != nil {
		return nil, err
	}
	var errs []error
	var swept []string
	for _, s := range stacks {
		if err := Destroy(ctx, cfg, s); err != nil {
			errs = append(errs, err)
			continue
		}
		swept = append(swept, s)
	}
	return swept, errors.Join(errs...)
}
