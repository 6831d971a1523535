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
	sgs := ec2.NewDescribeSecurityGroupsPaginator(ec2.NewFromConfig(cfg), &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{blueprint.TagStack}}}})
	for sgs.HasMorePages() {
		page, err := sgs.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing security groups: %w", err)
		}
		for _, g := range page.SecurityGroups {
			for _, t := range g.Tags {
				if aws.ToString(t.Key) == blueprint.TagStack {
					names[aws.ToString(t.Value)] = true
				}
			}
		}
	}
	groups := autoscaling.NewDescribeAutoScalingGroupsPaginator(autoscaling.NewFromConfig(cfg), &autoscaling.DescribeAutoScalingGroupsInput{
		Filters: []astypes.Filter{{Name: aws.String("tag-key"), Values: []string{blueprint.TagStack}}}})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing Auto Scaling groups: %w", err)
		}
		for _, g := range page.AutoScalingGroups {
			for _, t := range g.Tags {
				if aws.ToString(t.Key) == blueprint.TagStack {
					names[aws.ToString(t.Value)] = true
				}
			}
		}
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
