package leaks

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// loadBalancers lists the load balancers tagged with the stack or named as
// the stack's (ELBv2 describes take no tag filter, so tags come from
// DescribeTags, at most 20 ARNs a call: ELBv2 API reference, DescribeTags),
// and each one's listeners, which go with it.
func (f *finder) loadBalancers(ctx context.Context) error {
	c := elb.NewFromConfig(f.cfg)
	arns, named, owned, err := f.elbListed(ctx, c, false)
	if err != nil {
		return err
	}
	for _, arn := range arns {
		if !owned[arn] && named[arn] != f.names.LoadBalancer {
			continue
		}
		f.add("load balancer", named[arn], arn)
		ls := elb.NewDescribeListenersPaginator(c, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(arn)})
		if err := eachPage(ctx, fmt.Sprintf("describing listeners of %s", named[arn]), ls.HasMorePages, ls.NextPage, func(page *elb.DescribeListenersOutput) error {
			for _, l := range page.Listeners {
				f.add("listener", fmt.Sprintf("%s:%d", named[arn], aws.ToInt32(l.Port)), aws.ToString(l.ListenerArn))
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// targetGroups lists the target groups tagged with the stack or named as
// the stack's ("<stack>-<6 hex>", blueprint.NamesFor).
func (f *finder) targetGroups(ctx context.Context) error {
	c := elb.NewFromConfig(f.cfg)
	byName := regexp.MustCompile(`^` + regexp.QuoteMeta(f.stack) + `-[0-9a-f]{6}$`)
	arns, named, owned, err := f.elbListed(ctx, c, true)
	if err != nil {
		return err
	}
	for _, arn := range arns {
		if owned[arn] || byName.MatchString(named[arn]) {
			f.add("target group", named[arn], arn)
		}
	}
	return nil
}

// elbListed is every load balancer (with targetGroups, every target group)
// by ARN, each one's name, and which of them carry the stack's tag.
func (f *finder) elbListed(ctx context.Context, c *elb.Client, targetGroups bool) ([]string, map[string]string, map[string]bool, error) {
	var arns []string
	named := map[string]string{}
	add := func(arn, name *string) {
		arns = append(arns, aws.ToString(arn))
		named[aws.ToString(arn)] = aws.ToString(name)
	}
	var err error
	if targetGroups {
		p := elb.NewDescribeTargetGroupsPaginator(c, &elb.DescribeTargetGroupsInput{})
		err = eachPage(ctx, "describing target groups", p.HasMorePages, p.NextPage, func(page *elb.DescribeTargetGroupsOutput) error {
			for _, g := range page.TargetGroups {
				add(g.TargetGroupArn, g.TargetGroupName)
			}
			return nil
		})
	} else {
		p := elb.NewDescribeLoadBalancersPaginator(c, &elb.DescribeLoadBalancersInput{})
		err = eachPage(ctx, "describing load balancers", p.HasMorePages, p.NextPage, func(page *elb.DescribeLoadBalancersOutput) error {
			for _, lb := range page.LoadBalancers {
				add(lb.LoadBalancerArn, lb.LoadBalancerName)
			}
			return nil
		})
	}
	if err != nil {
		return nil, nil, nil, err
	}
	owned, err := f.elbTagged(ctx, c, arns)
	return arns, named, owned, err
}

func (f *finder) elbTagged(ctx context.Context, c *elb.Client, arns []string) (map[string]bool, error) {
	owned := map[string]bool{}
	for chunk := range slices.Chunk(arns, 20) {
		out, err := c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: chunk})
		if err != nil {
			return nil, fmt.Errorf("describing load balancing tags: %w", err)
		}
		for _, d := range out.TagDescriptions {
			for _, t := range d.Tags {
				if aws.ToString(t.Key) == blueprint.TagStack && aws.ToString(t.Value) == f.stack {
					owned[aws.ToString(d.ResourceArn)] = true
				}
			}
		}
	}
	return owned, nil
}

// instanceRole looks the role and the instance profile up by their derived
// name (IAM lists take no tag filter); NoSuchEntity means absent (IAM API
// reference, GetRole/GetInstanceProfile errors). The role's inline and
// attached policies are listed with it.
func (f *finder) instanceRole(ctx context.Context) error {
	c := iam.NewFromConfig(f.cfg)
	name := f.names.InstanceRole
	prof, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	switch {
	case hasCode(err, "NoSuchEntity"):
	case err != nil:
		return fmt.Errorf("getting instance profile %s: %w", name, err)
	default:
		f.add("instance profile", name, aws.ToString(prof.InstanceProfile.Arn))
	}
	role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	switch {
	case hasCode(err, "NoSuchEntity"):
		return nil
	case err != nil:
		return fmt.Errorf("getting IAM role %s: %w", name, err)
	}
	f.add("iam role", name, aws.ToString(role.Role.Arn))
	inline := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if err := eachPage(ctx, fmt.Sprintf("listing inline policies of role %s", name), inline.HasMorePages, inline.NextPage, func(page *iam.ListRolePoliciesOutput) error {
		for _, p := range page.PolicyNames {
			f.add("iam role policy", name+":"+p)
		}
		return nil
	}); err != nil {
		return err
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	return eachPage(ctx, fmt.Sprintf("listing policies attached to role %s", name), attached.HasMorePages, attached.NextPage, func(page *iam.ListAttachedRolePoliciesOutput) error {
		for _, p := range page.AttachedPolicies {
			f.add("iam role policy attachment", name+":"+aws.ToString(p.PolicyName))
		}
		return nil
	})
}

// database looks the DB instance and the DB subnet group up by their derived
// name; DBInstanceNotFound and DBSubnetGroupNotFoundFault mean absent (RDS
// API reference, DescribeDBInstances/DescribeDBSubnetGroups errors).
func (f *finder) database(ctx context.Context) error {
	c := rds.NewFromConfig(f.cfg)
	dbs, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(f.names.DBInstance)})
	switch {
	case hasCode(err, "DBInstanceNotFound", "DBInstanceNotFoundFault"):
	case err != nil:
		return fmt.Errorf("describing DB instance %s: %w", f.names.DBInstance, err)
	default:
		for _, db := range dbs.DBInstances {
			f.add("db instance", aws.ToString(db.DBInstanceIdentifier), aws.ToString(db.DBInstanceArn))
		}
	}
	sn, err := c.DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: aws.String(f.names.DBSubnetGroup)})
	switch {
	case hasCode(err, "DBSubnetGroupNotFoundFault"):
	case err != nil:
		return fmt.Errorf("describing DB subnet group %s: %w", f.names.DBSubnetGroup, err)
	default:
		for _, g := range sn.DBSubnetGroups {
			f.add("db subnet group", aws.ToString(g.DBSubnetGroupName), aws.ToString(g.DBSubnetGroupArn))
		}
	}
	return nil
}

// primaryDBTag is the tag RDS puts on the master user secret it manages,
// valued with the owning DB instance's ARN; the secret carries none of the
// stack's tags. The secret outlives its DB instance only when deleting it
// failed, so it is looked for on its own.
const primaryDBTag = "aws:rds:primaryDBInstanceArn"

func (f *finder) secrets(ctx context.Context) error {
	c := secretsmanager.NewFromConfig(f.cfg)
	p := secretsmanager.NewListSecretsPaginator(c, &secretsmanager.ListSecretsInput{
		Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeTagKey, Values: []string{primaryDBTag}}}})
	return eachPage(ctx, "listing secrets", p.HasMorePages, p.NextPage, func(page *secretsmanager.ListSecretsOutput) error {
		for _, s := range page.SecretList {
			for _, t := range s.Tags {
				if aws.ToString(t.Key) == primaryDBTag && strings.HasSuffix(aws.ToString(t.Value), ":db:"+f.names.DBInstance) {
					f.add("secret", aws.ToString(s.Name), aws.ToString(s.ARN))
				}
			}
		}
		return nil
	})
}

// tagged asks the resource groups tagging API for anything else that carries
// the stack's tag. Instances are left to instances(): the tagging API still
// returns terminated ones.
func (f *finder) tagged(ctx context.Context) error {
	p := tagging.NewGetResourcesPaginator(tagging.NewFromConfig(f.cfg), &tagging.GetResourcesInput{
		TagFilters: []taggingtypes.TagFilter{{Key: aws.String(blueprint.TagStack), Values: []string{f.stack}}}})
	return eachPage(ctx, "listing resources by tag", p.HasMorePages, p.NextPage, func(page *tagging.GetResourcesOutput) error {
		for _, r := range page.ResourceTagMappingList {
			arn := aws.ToString(r.ResourceARN)
			if f.seen[arn] || f.seen[arn[strings.LastIndex(arn, "/")+1:]] || strings.Contains(arn, ":instance/") {
				continue
			}
			if i := strings.Index(arn, ":snapshot:"); i >= 0 && strings.HasPrefix(arn, "arn:aws:rds:") {
				// A DB snapshot: an automated one ("rds:<db>-<date>") lives as
				// long as its DB instance; a final one outlives it on purpose.
				f.add("db snapshot", arn[i+len(":snapshot:"):], arn)
				continue
			}
			f.add("tagged resource", arn, arn)
		}
		return nil
	})
}
