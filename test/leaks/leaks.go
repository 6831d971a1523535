// Package leaks lists, through the AWS API, whatever of a hawebapp stack is
// still in an account or emulator. It is the one leak checker of the test
// suites: the provider's acceptance tests (internal/stack) and the Terratest
// suites (test/) both ask it after a destroy. It only reads; test/sweep is
// the package that deletes.
//
// Every child kind the provider makes is looked for, by the ownership tag
// where the describe call filters on tags and by the stack's derived names
// (internal/blueprint.NamesFor) where it does not. A failed call is an
// error, never "nothing left".
package leaks

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// Find lists what of the stack is left, one "kind name" entry per child
// (for example "security group web-alb"), sorted. It returns an error when
// any call fails, with every failure joined, and no list then.
func Find(ctx context.Context, cfg aws.Config, stack string) ([]string, error) {
	f := finder{cfg: cfg, stack: stack, names: blueprint.NamesFor(blueprint.Spec{Name: stack}), seen: map[string]bool{}}
	var errs []error
	for _, step := range []func(context.Context) error{
		f.securityGroups, f.launchTemplates, f.groups, f.instances,
		f.loadBalancers, f.targetGroups, f.instanceRole, f.database, f.secrets, f.buckets, f.alarms,
		f.tagged, // last: it reports only what the steps above did not
	} {
		errs = append(errs, step(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("looking for what is left of stack %s: %w", stack, err)
	}
	slices.Sort(f.left)
	return slices.Compact(f.left), nil
}

type finder struct {
	cfg   aws.Config
	stack string
	names blueprint.Names
	left  []string
	seen  map[string]bool // ARNs already reported, so the tagging sweep adds only what is new
}

// add reports a child; ids are its ARN and, for EC2, its resource ID (the
// tail of the ARN the tagging API gives), so tagged() does not repeat it.
func (f *finder) add(kind, name string, ids ...string) {
	f.left = append(f.left, kind+" "+name)
	for _, id := range ids {
		if id != "" {
			f.seen[id] = true
		}
	}
}

// hasCode reports whether err is the AWS error code (a "not found" answer
// to a describe by name means absent; any other error fails the check).
func hasCode(err error, codes ...string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && slices.Contains(codes, ae.ErrorCode())
}

// ec2Owned filters EC2 describes on the ownership tag ("tag:<key>" filter,
// EC2 API reference, DescribeSecurityGroups/DescribeLaunchTemplates Filters).
func (f *finder) ec2Owned() []ec2types.Filter {
	return []ec2types.Filter{{Name: aws.String("tag:" + blueprint.TagStack), Values: []string{f.stack}}}
}

func (f *finder) securityGroups(ctx context.Context) error {
	p := ec2.NewDescribeSecurityGroupsPaginator(ec2.NewFromConfig(f.cfg), &ec2.DescribeSecurityGroupsInput{Filters: f.ec2Owned()})
	return eachPage(ctx, "describing security groups", p.HasMorePages, p.NextPage, func(page *ec2.DescribeSecurityGroupsOutput) error {
		for _, g := range page.SecurityGroups {
			f.add("security group", aws.ToString(g.GroupName), aws.ToString(g.SecurityGroupArn), aws.ToString(g.GroupId))
		}
		return nil
	})
}

// launchTemplates uses its own describe: moto's tagging API does not list
// launch templates (DESIGN.md section 3).
func (f *finder) launchTemplates(ctx context.Context) error {
	p := ec2.NewDescribeLaunchTemplatesPaginator(ec2.NewFromConfig(f.cfg), &ec2.DescribeLaunchTemplatesInput{Filters: f.ec2Owned()})
	return eachPage(ctx, "describing launch templates", p.HasMorePages, p.NextPage, func(page *ec2.DescribeLaunchTemplatesOutput) error {
		for _, lt := range page.LaunchTemplates {
			f.add("launch template", aws.ToString(lt.LaunchTemplateName), aws.ToString(lt.LaunchTemplateId))
		}
		return nil
	})
}

// groups lists the stack's Auto Scaling groups (DescribeAutoScalingGroups
// filters on "tag:<key>", Auto Scaling API reference) and each one's scaling
// policies, which go with their group.
func (f *finder) groups(ctx context.Context) error {
	c := autoscaling.NewFromConfig(f.cfg)
	p := autoscaling.NewDescribeAutoScalingGroupsPaginator(c, &autoscaling.DescribeAutoScalingGroupsInput{
		Filters: []astypes.Filter{{Name: aws.String("tag:" + blueprint.TagStack), Values: []string{f.stack}}}})
	return eachPage(ctx, "describing Auto Scaling groups", p.HasMorePages, p.NextPage, func(page *autoscaling.DescribeAutoScalingGroupsOutput) error {
		for _, g := range page.AutoScalingGroups {
			f.add("autoscaling group", aws.ToString(g.AutoScalingGroupName), aws.ToString(g.AutoScalingGroupARN))
			pols := autoscaling.NewDescribePoliciesPaginator(c, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: g.AutoScalingGroupName})
			for pols.HasMorePages() {
				pp, err := pols.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("describing scaling policies of %s: %w", aws.ToString(g.AutoScalingGroupName), err)
				}
				for _, pol := range pp.ScalingPolicies {
					f.add("scaling policy", aws.ToString(pol.PolicyName), aws.ToString(pol.PolicyARN))
				}
			}
		}
		return nil
	})
}

// zoneGroup matches the names of the stack's groups, "<stack>-<zone>"
// (blueprint.Names.AutoScalingGroup), and not those of a stack whose name
// merely starts with this one's: stack x-us's group in us-east-1a,
// "x-us-us-east-1a", is not one of x's, as "us-us-east-1a" is no zone name
// (zone = region + letter, region = area[-gov]-direction-digit: AWS General
// Reference, Regions and Zones).
func (f *finder) zoneGroup() *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(f.stack) + `-[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+[a-z]$`)
}

// instances lists instances not terminated that carry the ownership tag or
// were launched by one of the stack's groups (Auto Scaling tags its
// instances aws:autoscaling:groupName, even after the group is gone).
// Terminated instances stay visible for a while and do not count.
func (f *finder) instances(ctx context.Context) error {
	alive := ec2types.Filter{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "shutting-down", "stopping", "stopped"}}
	c := ec2.NewFromConfig(f.cfg)
	found := map[string]bool{}
	byGroup := f.zoneGroup()
	for _, filter := range []ec2types.Filter{
		f.ec2Owned()[0],
		{Name: aws.String("tag:aws:autoscaling:groupName"), Values: []string{f.stack + "-*"}},
	} {
		p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter, alive}})
		if err := eachPage(ctx, "describing instances", p.HasMorePages, p.NextPage, func(page *ec2.DescribeInstancesOutput) error {
			for _, r := range page.Reservations {
				for _, i := range r.Instances {
					id := aws.ToString(i.InstanceId)
					if found[id] || !ownedInstance(i, f.stack, byGroup) {
						continue
					}
					found[id] = true
					f.add("instance", id)
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func ownedInstance(i ec2types.Instance, stack string, byGroup *regexp.Regexp) bool {
	for _, t := range i.Tags {
		switch aws.ToString(t.Key) {
		case blueprint.TagStack:
			if aws.ToString(t.Value) == stack {
				return true
			}
		case "aws:autoscaling:groupName":
			if byGroup.MatchString(aws.ToString(t.Value)) {
				return true
			}
		}
	}
	return false
}

// eachPage calls each with every page of a paginator (its HasMorePages and
// NextPage) and stops at the first error; doing says what a failed call was.
func eachPage[Out, Opt any](ctx context.Context, doing string, more func() bool,
	next func(context.Context, ...func(*Opt)) (Out, error), each func(Out) error) error {
	for more() {
		page, err := next(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", doing, err)
		}
		if err := each(page); err != nil {
			return err
		}
	}
	return nil
}
