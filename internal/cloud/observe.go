package cloud

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// RefreshCallBudget is the most AWS calls Observe may make to refresh one
// stack of any zone count with a database. The provider's tests, the
// benchmark and the README's figure take it from here. The 14 calls:
//
//   - EC2: DescribeSecurityGroups, DescribeLaunchTemplateVersions;
//   - IAM: GetInstanceProfile (with its role), ListAttachedRolePolicies,
//     GetRolePolicy (the database secret's policy);
//   - ELBv2: DescribeLoadBalancers, DescribeTargetGroups (by name; a
//     second, by ARN, only while a group is being replaced), DescribeListeners,
//     DescribeTags (all of them at once), DescribeLoadBalancerAttributes
//     (zonal shift and header handling are drift),
//     DescribeTargetGroupAttributes (fail-open and deregistration delay);
//   - RDS: DescribeDBInstances (with its subnet group);
//   - Auto Scaling: DescribeAutoScalingGroups (every zone's group),
//     DescribePolicies.
//
// A stack with a zone evacuated adds one ListZonalShifts, and one with
// database.secret_rotation one DescribeSecret (RefreshCallsSecretRotation):
// the managed secret's schedule is read only where the configuration sets
// it, so the stacks that do not pay nothing for it.
const RefreshCallBudget = 14

// RefreshCallsSecretRotation is what database.secret_rotation adds to a
// refresh: one Secrets Manager DescribeSecret.
const RefreshCallsSecretRotation = 1

// RefreshCallsAutoshift is what zonal_autoshift adds to a refresh: one
// ARC GetManagedResource (autoshift status and practice run
// configuration) and one CloudWatch DescribeAlarms (the outcome alarm).
const RefreshCallsAutoshift = 2

// Observe reads a whole stack with a fixed number of batched, read-only
// calls, whatever the zone count (RefreshCallBudget for a full stack with a
// database): one describe per service object type, filtered by the stack tag
// or by the desired names, run as a few concurrent chains. Children found
// without this stack's tag are left out (Create then refuses them), and
// security groups and Auto Scaling groups tagged with the stack but no
// longer in the blueprint (a removed zone's group) are returned as orphans,
// keyed by their hawebapp:part tag.
//
// With bp.ReadAll (import) Observe returns every child of the stack keyed
// by its hawebapp:part tag, whether the blueprint has the part or not (all
// zones' groups and policies, both listeners: these are read even where the
// blueprint has no such part). Every observation carries the child's
// properties as found.
func (c *Cloud) Observe(ctx context.Context, bp blueprint.Blueprint) (map[string]engine.Observation, error) {
	byKind := map[blueprint.Kind][]blueprint.Part{}
	for _, p := range bp.Parts {
		byKind[p.Kind] = append(byKind[p.Kind], p)
	}
	f := found{readAll: bp.ReadAll, knownTargetGroup: bp.Known[blueprint.KeyTargetGroup], knownAlarm: bp.Known[blueprint.KeyOutcomeAlarm]}
	err := parallel(
		func() error { return f.readSecurityGroups(ctx, c, bp.Stack, byKind) },
		func() error { return f.readIAM(ctx, c, bp.Stack, byKind) },
		func() error {
			if err := f.readELB(ctx, c, bp.Stack, byKind); err != nil {
				return err
			}
			return f.readAutoshift(ctx, c, byKind)
		},
		func() error { return f.readOutcomeAlarm(ctx, c, byKind) },
		func() error { return f.readRDS(ctx, c, bp.Stack, byKind) },
		func() error { return f.readLaunchTemplate(ctx, c, byKind) },
		func() error { return f.readAutoScaling(ctx, c, bp.Stack, byKind) },
	)
	if err != nil {
		return nil, fmt.Errorf("observing stack %s: %w", bp.Stack, err)
	}
	// Parts are in creation order, so each part's dependencies are observed
	// before it and serve as its refs, exactly as in Create and Update.
	out := map[string]engine.Observation{}
	for _, p := range bp.Parts {
		if o, ok := f.observation(p, engine.Refs(out), c.region); ok {
			out[p.Key] = o
		}
	}
	f.extras(bp, out)
	return out, nil
}

// found is what Observe's describe calls returned, already filtered to this
// stack's children.
type found struct {
	// readAll is the blueprint's ReadAll: read every child and property.
	readAll bool
	// knownTargetGroup is the target group ARN the state recorded.
	knownTargetGroup string
	securityGroups   []ec2types.SecurityGroup
	profile          *iamtypes.InstanceProfile
	attached         []string
	rolePolicy       *string
	loadBalancer     *elbtypes.LoadBalancer
	targetGroups     []elbtypes.TargetGroup
	listeners        []elbtypes.Listener
	elbTags          map[string]map[string]string
	db               *rdstypes.DBInstance
	// secret is the database secret's rotation, read only when the
	// blueprint sets its schedule (database.secret_rotation).
	secret      *secretsmanager.DescribeSecretOutput
	subnetGroup *rdstypes.DBSubnetGroup
	template    *ec2types.LaunchTemplateVersion
	groups      []astypes.AutoScalingGroup
	policies    []astypes.ScalingPolicy

	// The attributes of the stack's target groups, by ARN, and of its load
	// balancer (both on every refresh: each holds settings whose change is
	// drift).
	targetGroupAttrs map[string]map[string]string
	lbAttributes     lbAttributes

	// zonalShifts are the active shifts on the load balancer, read only
	// when the blueprint has zonal shift parts (an evacuation).
	zonalShifts []zstypes.ZonalShiftSummary

	// knownAlarm is the outcome alarm ARN the state recorded: a stack
	// whose zonal_autoshift was just removed still has its alarm and
	// practice run configuration, which Observe then reads as orphans.
	knownAlarm string
	// managed (GetManagedResource) and alarm (DescribeAlarms) are read only
	// when the blueprint has zonal_autoshift's parts or knownAlarm is set.
	managed *arczonalshift.GetManagedResourceOutput
	alarm   *cwtypes.MetricAlarm
}

func stackFilter(stack string) []string { return []string{stack} }

const tagFilterPrefix = "tag:"

func (f *found) readSecurityGroups(ctx context.Context, c *Cloud, stack string, byKind map[blueprint.Kind][]blueprint.Part) error {
	if len(byKind[blueprint.KindSecurityGroup]) == 0 {
		return nil
	}
	sgs, err := securityGroups{c}.findSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String(tagFilterPrefix + blueprint.TagStack), Values: stackFilter(stack)},
	}})
	if err != nil {
		return fmt.Errorf("reading security groups: %w", err)
	}
	f.securityGroups = sgs
	return nil
}

// readIAM reads the instance profile, which includes its role, then the
// role's managed policies and (with a database) its inline policy.
func (f *found) readIAM(ctx context.Context, c *Cloud, stack string, byKind map[blueprint.Kind][]blueprint.Part) error {
	roles := byKind[blueprint.KindInstanceRole]
	if len(roles) == 0 {
		return nil
	}
	r := instanceRoles{c}
	name := roles[0].Name
	prof, err := r.findInstanceProfileByName(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if fromIAMTags(prof.Tags)[blueprint.TagStack] != stack {
		return nil
	}
	f.profile = prof
	if f.attached, err = r.findAttachedPolicyARNs(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	for _, p := range byKind[blueprint.KindInstanceRolePolicy] {
		props, _ := p.Props.(blueprint.InstanceRolePolicyProps)
		doc, err := rolePolicies{c}.findRolePolicy(ctx, name, props.PolicyName)
		switch {
		case err == nil:
			f.rolePolicy = &doc
		case !errors.Is(err, ErrNotFound):
			return err
		}
	}
	return nil
}

// targetGroupName matches the names the blueprint gives a stack's target
// group: "<stack>-<6 hex digits>", the digits hashing what AWS cannot change.
// Matching the pattern (not just the desired name) finds the group a
// changed port or VPC replaces, which the engine then deletes after the new
// one is in use: the observation keeps the old name, so it sees a replacement.
func targetGroupName(stack string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(stack) + "-[0-9a-f]{6}$")
}

// readELB reads the load balancer by name, the stack's target groups, the
// load balancer's listeners, and all their tags in one DescribeTags call.
func (f *found) readELB(ctx context.Context, c *Cloud, stack string, byKind map[blueprint.Kind][]blueprint.Part) error {
	var arns []string
	if lbs := byKind[blueprint.KindLoadBalancer]; len(lbs) > 0 {
		lb, err := loadBalancers{c}.findLoadBalancerByName(ctx, lbs[0].Name)
		switch {
		case err == nil:
			f.loadBalancer = lb
			arns = append(arns, aws.ToString(lb.LoadBalancerArn))
		case !errors.Is(err, ErrNotFound):
			return err
		}
	}
	if err := f.readTargetGroups(ctx, c, stack, byKind); err != nil {
		return err
	}
	for _, tg := range f.targetGroups {
		arns = append(arns, aws.ToString(tg.TargetGroupArn))
	}
	if f.loadBalancer != nil && (len(byKind[blueprint.KindListener]) > 0 || f.readAll) {
		pages := elb.NewDescribeListenersPaginator(c.elb, &elb.DescribeListenersInput{LoadBalancerArn: f.loadBalancer.LoadBalancerArn})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("reading listeners: %w", err)
			}
			f.listeners = append(f.listeners, page.Listeners...)
		}
		for _, l := range f.listeners {
			arns = append(arns, aws.ToString(l.ListenerArn))
		}
	}
	if len(arns) == 0 {
		return nil
	}
	if err := f.readZonalShifts(ctx, c, byKind); err != nil {
		return err
	}
	var err error
	if f.elbTags, err = findELBTags(ctx, c.elb, arns); err != nil {
		return err
	}
	return f.readELBAttributes(ctx, c, stack)
}

// readZonalShifts lists the active zonal shifts on the load balancer, one
// paginated call, only while the stack evacuates or returns a zone: a
// refresh of a stack that never evacuated costs no ARC call.
func (f *found) readZonalShifts(ctx context.Context, c *Cloud, byKind map[blueprint.Kind][]blueprint.Part) error {
	if f.loadBalancer == nil || len(byKind[blueprint.KindZonalShift]) == 0 {
		return nil
	}
	pages := arczonalshift.NewListZonalShiftsPaginator(c.arc, &arczonalshift.ListZonalShiftsInput{
		ResourceIdentifier: f.loadBalancer.LoadBalancerArn, Status: zstypes.ZonalShiftStatusActive})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing zonal shifts: %w", err)
		}
		f.zonalShifts = append(f.zonalShifts, page.Items...)
	}
	return nil
}

// readELBAttributes reads the attributes of the stack's load balancer (its
// zonal shift integration and header handling are drift a refresh must see)
// and of its target groups (one call for a stack's one group: the fail-open
// threshold and deregistration delay are drift too).
func (f *found) readELBAttributes(ctx context.Context, c *Cloud, stack string) error {
	ours := func(arn *string) bool { return f.elbTags[aws.ToString(arn)][blueprint.TagStack] == stack }
	if lb := f.loadBalancer; lb != nil && ours(lb.LoadBalancerArn) {
		v, err := findLBAttributes(ctx, c.elb, aws.ToString(lb.LoadBalancerArn))
		if err != nil {
			return err
		}
		f.lbAttributes = v
	}
	f.targetGroupAttrs = map[string]map[string]string{}
	for _, tg := range f.targetGroups {
		if ours(tg.TargetGroupArn) {
			v, err := findTargetGroupAttributes(ctx, c.elb, aws.ToString(tg.TargetGroupArn))
			if err != nil {
				return err
			}
			f.targetGroupAttrs[aws.ToString(tg.TargetGroupArn)] = v
		}
	}
	return nil
}

// readRDS reads the database, which includes its subnet group; the subnet
// group is described on its own only when the database is missing.
func (f *found) readRDS(ctx context.Context, c *Cloud, stack string, byKind map[blueprint.Kind][]blueprint.Part) error {
	if dbs := byKind[blueprint.KindDBInstance]; len(dbs) > 0 {
		db, err := dbInstances{c}.findDBInstanceByID(ctx, dbs[0].Name)
		switch {
		case err == nil:
			if fromRDSTags(db.TagList)[blueprint.TagStack] == stack {
				f.db = db
				f.subnetGroup = db.DBSubnetGroup
				return f.readSecretRotation(ctx, c, byKind)
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
	}
	groups := byKind[blueprint.KindDBSubnetGroup]
	if len(groups) == 0 {
		return nil
	}
	g, err := dbSubnetGroups{c}.findDBSubnetGroupByName(ctx, groups[0].Name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	tags, err := findRDSTags(ctx, c.rds, aws.ToString(g.DBSubnetGroupArn))
	if err != nil {
		return err
	}
	if tags[blueprint.TagStack] == stack {
		f.subnetGroup = g
	}
	return nil
}

func (f *found) readLaunchTemplate(ctx context.Context, c *Cloud, byKind map[blueprint.Kind][]blueprint.Part) error {
	lts := byKind[blueprint.KindLaunchTemplate]
	if len(lts) == 0 {
		return nil
	}
	v, err := findLaunchTemplateVersion(ctx, c.ec2, lts[0].Name, latestVersion)
	switch {
	case err == nil:
		f.template = v
	case !errors.Is(err, ErrNotFound):
		return err
	}
	return nil
}

// readAutoScaling finds every group tagged with the stack (all zones, and
// orphans) in one call, and the desired policies by name in another (with
// readAll, the policies hawebapp names for every group found).
func (f *found) readAutoScaling(ctx context.Context, c *Cloud, stack string, byKind map[blueprint.Kind][]blueprint.Part) error {
	if len(byKind[blueprint.KindAutoScalingGroup]) == 0 && len(byKind[blueprint.KindScalingPolicy]) == 0 && !f.readAll {
		return nil
	}
	groups, err := autoScalingGroups{c}.findGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{Filters: []astypes.Filter{
		{Name: aws.String(tagFilterPrefix + blueprint.TagStack), Values: stackFilter(stack)},
	}})
	if err != nil {
		return fmt.Errorf("reading Auto Scaling groups: %w", err)
	}
	f.groups = groups
	var names []string
	for _, p := range byKind[blueprint.KindScalingPolicy] {
		names = append(names, p.Name)
	}
	if f.readAll {
		for _, g := range groups {
			if zone := groupZone(g); zone != "" {
				names = append(names, blueprint.NamesFor(blueprint.Spec{Name: stack}).ScalingPolicy(zone))
			}
		}
		slices.Sort(names)
		names = slices.Compact(names)
	}
	if len(names) == 0 || len(groups) == 0 {
		return nil
	}
	f.policies, err = scalingPolicies{c}.findPolicies(ctx, &autoscaling.DescribePoliciesInput{PolicyNames: names})
	if err != nil {
		return fmt.Errorf("reading scaling policies: %w", err)
	}
	return nil
}

// parallel runs the functions concurrently and joins their errors.
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn() })
	}
	wg.Wait()
	return errors.Join(errs...)
}
