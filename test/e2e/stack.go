package e2e

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// TagStack is the ownership tag every child of a stack carries.
const TagStack = "hawebapp:stack"

// StackValues are the computed attributes of a hawebapp_stack the checks
// compare with AWS.
type StackValues struct {
	LoadBalancerARN       string            `json:"load_balancer_arn"`
	HTTPListenerARN       string            `json:"http_listener_arn"`
	TargetGroupARN        string            `json:"target_group_arn"`
	SecurityGroupIDs      map[string]string `json:"security_group_ids"`
	LaunchTemplateID      string            `json:"launch_template_id"`
	LaunchTemplateVersion int64             `json:"launch_template_version"`
	AutoScalingGroupNames map[string]string `json:"autoscaling_group_names"`
	InstanceRoleARN       string            `json:"instance_role_arn"`
	InstanceProfile       string            `json:"instance_profile"`
	DBInstanceIdentifier  string            `json:"db_instance_identifier"`
	DBSecretARN           string            `json:"db_secret_arn"`
}

// AssertStack checks, with the AWS SDK, that the stack made exactly the
// parts examples/minimal and examples/complete ask for (three zones, three
// instances, a database) and that they match the state.
func AssertStack(t *testing.T, tg *Target, name string, st StackValues, outputs map[string]any) {
	t.Helper()
	ctx := t.Context()

	for _, k := range []string{"url", "dns_name", "db_endpoint", "db_secret_arn"} {
		if s, _ := outputs[k].(string); s == "" {
			t.Errorf("output %s is empty", k)
		}
	}
	if v, ok := outputs["capacity_after_zone_loss"].(float64); !ok || v != 2 {
		t.Errorf("output capacity_after_zone_loss = %v, want 2 (3 instances over 3 zones, one zone lost)", outputs["capacity_after_zone_loss"])
	}

	// Load balancer, listener, target group.
	lbs := OwnedLoadBalancers(ctx, t, tg, name)
	if len(lbs) != 1 || lbs[0] != st.LoadBalancerARN {
		t.Errorf("load balancers tagged %s=%s: %v, want exactly [%s]", TagStack, name, lbs, st.LoadBalancerARN)
	}
	elbc := elb.NewFromConfig(tg.AWS)
	ls, err := elbc.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(st.LoadBalancerARN)})
	if err != nil {
		t.Fatalf("describing listeners: %v", err)
	}
	if len(ls.Listeners) != 1 || aws.ToString(ls.Listeners[0].ListenerArn) != st.HTTPListenerARN {
		t.Errorf("listeners: got %d, want exactly the HTTP listener %s", len(ls.Listeners), st.HTTPListenerARN)
	}
	tgs := OwnedTargetGroups(ctx, t, tg, name)
	if len(tgs) != 1 || tgs[0] != st.TargetGroupARN {
		t.Errorf("target groups tagged %s=%s: %v, want exactly [%s]", TagStack, name, tgs, st.TargetGroupARN)
	}

	// Launch template.
	ec2c := ec2.NewFromConfig(tg.AWS)
	lts, err := ec2c.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{Filters: TagFilter(name)})
	if err != nil {
		t.Fatalf("describing launch templates: %v", err)
	}
	if len(lts.LaunchTemplates) != 1 || aws.ToString(lts.LaunchTemplates[0].LaunchTemplateId) != st.LaunchTemplateID {
		t.Errorf("launch templates tagged %s=%s: %d, want exactly %s", TagStack, name, len(lts.LaunchTemplates), st.LaunchTemplateID)
	}

	// One Auto Scaling group per zone, each on the target group, a pinned
	// template version and a target-tracking policy.
	asgs := OwnedGroups(ctx, t, tg, name)
	if len(asgs) != 3 {
		t.Errorf("Auto Scaling groups tagged %s=%s: %d, want 3", TagStack, name, len(asgs))
	}
	zones := map[string]bool{}
	asc := autoscaling.NewFromConfig(tg.AWS)
	for _, g := range asgs {
		gname := aws.ToString(g.AutoScalingGroupName)
		if len(g.AvailabilityZones) != 1 {
			t.Errorf("group %s spans zones %v, want exactly one", gname, g.AvailabilityZones)
		} else {
			zones[g.AvailabilityZones[0]] = true
			if st.AutoScalingGroupNames[g.AvailabilityZones[0]] != gname {
				t.Errorf("state autoscaling_group_names[%s] = %q, AWS has %q", g.AvailabilityZones[0], st.AutoScalingGroupNames[g.AvailabilityZones[0]], gname)
			}
		}
		if !slices.Contains(g.TargetGroupARNs, st.TargetGroupARN) {
			t.Errorf("group %s is not attached to the target group (has %v)", gname, g.TargetGroupARNs)
		}
		spec := g.LaunchTemplate
		if spec == nil && g.MixedInstancesPolicy != nil && g.MixedInstancesPolicy.LaunchTemplate != nil {
			spec = g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
		}
		if spec == nil {
			t.Errorf("group %s has no launch template", gname)
		} else if v, err := strconv.ParseInt(aws.ToString(spec.Version), 10, 64); err != nil || v != st.LaunchTemplateVersion {
			t.Errorf("group %s uses launch template version %q, want the pinned number %d (never $Latest/$Default)", gname, aws.ToString(spec.Version), st.LaunchTemplateVersion)
		}
		pols, err := asc.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: g.AutoScalingGroupName})
		if err != nil {
			t.Fatalf("describing policies of %s: %v", gname, err)
		}
		if !slices.ContainsFunc(pols.ScalingPolicies, func(p astypes.ScalingPolicy) bool {
			return aws.ToString(p.PolicyType) == "TargetTrackingScaling"
		}) {
			t.Errorf("group %s has no target-tracking policy", gname)
		}
	}
	if len(zones) != 3 {
		t.Errorf("groups cover %d distinct zones, want 3", len(zones))
	}

	// Security groups: load balancer, instances, database.
	sgs, err := ec2c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: TagFilter(name)})
	if err != nil {
		t.Fatalf("describing security groups: %v", err)
	}
	var sgIDs []string
	for _, g := range sgs.SecurityGroups {
		sgIDs = append(sgIDs, aws.ToString(g.GroupId))
	}
	if len(sgIDs) != 3 {
		t.Errorf("security groups tagged %s=%s: %v, want 3", TagStack, name, sgIDs)
	}
	for role, id := range st.SecurityGroupIDs {
		if !slices.Contains(sgIDs, id) {
			t.Errorf("state security_group_ids[%s] = %s is not among the tagged groups %v", role, id, sgIDs)
		}
	}

	assertInstanceRole(ctx, t, tg, name, st)
	assertDatabase(ctx, t, tg, name, st, outputs)
}

// assertInstanceRole: exactly one role of the stack, with one profile.
func assertInstanceRole(ctx context.Context, t *testing.T, tg *Target, name string, st StackValues) {
	t.Helper()
	iamc := iam.NewFromConfig(tg.AWS)
	var roles []string
	p := iam.NewListRolesPaginator(iamc, &iam.ListRolesInput{})
	for _, r := range AllPages(ctx, t, "listing roles", p.HasMorePages, p.NextPage, func(o *iam.ListRolesOutput) []iamtypes.Role { return o.Roles }) {
		if !strings.HasPrefix(aws.ToString(r.RoleName), name) {
			continue // only the stack's name prefix: bounded calls on real accounts
		}
		tags, err := iamc.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: r.RoleName})
		if err != nil {
			t.Fatalf("listing tags of role %s: %v", aws.ToString(r.RoleName), err)
		}
		if slices.ContainsFunc(tags.Tags, func(tag iamtypes.Tag) bool { return owns(tag.Key, tag.Value, name) }) {
			roles = append(roles, aws.ToString(r.Arn))
		}
	}
	if len(roles) != 1 || roles[0] != st.InstanceRoleARN {
		t.Errorf("IAM roles tagged %s=%s: %v, want exactly [%s]", TagStack, name, roles, st.InstanceRoleARN)
		return
	}
	roleName := st.InstanceRoleARN[strings.LastIndex(st.InstanceRoleARN, "/")+1:]
	profiles, err := iamc.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(roleName)})
	if err != nil {
		t.Fatalf("listing instance profiles of %s: %v", roleName, err)
	}
	if len(profiles.InstanceProfiles) != 1 || aws.ToString(profiles.InstanceProfiles[0].InstanceProfileName) != st.InstanceProfile {
		t.Errorf("instance profiles of role %s: %d, want exactly %s", roleName, len(profiles.InstanceProfiles), st.InstanceProfile)
	}
}

// assertDatabase: one subnet group and one private, encrypted, multi-AZ
// instance whose master password AWS manages in Secrets Manager.
func assertDatabase(ctx context.Context, t *testing.T, tg *Target, name string, st StackValues, outputs map[string]any) {
	t.Helper()
	rdsc := rds.NewFromConfig(tg.AWS)
	var groups []string
	gp := rds.NewDescribeDBSubnetGroupsPaginator(rdsc, &rds.DescribeDBSubnetGroupsInput{})
	for _, g := range AllPages(ctx, t, "describing DB subnet groups", gp.HasMorePages, gp.NextPage,
		func(o *rds.DescribeDBSubnetGroupsOutput) []rdstypes.DBSubnetGroup { return o.DBSubnetGroups }) {
		tags, err := rdsc.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: g.DBSubnetGroupArn})
		if err != nil {
			t.Fatalf("listing tags of DB subnet group %s: %v", aws.ToString(g.DBSubnetGroupName), err)
		}
		if slices.ContainsFunc(tags.TagList, func(tag rdsTag) bool { return owns(tag.Key, tag.Value, name) }) {
			groups = append(groups, aws.ToString(g.DBSubnetGroupName))
		}
	}
	if len(groups) != 1 {
		t.Errorf("DB subnet groups tagged %s=%s: %v, want exactly one", TagStack, name, groups)
	}

	var dbs []string
	ip := rds.NewDescribeDBInstancesPaginator(rdsc, &rds.DescribeDBInstancesInput{})
	for _, db := range AllPages(ctx, t, "describing DB instances", ip.HasMorePages, ip.NextPage,
		func(o *rds.DescribeDBInstancesOutput) []rdstypes.DBInstance { return o.DBInstances }) {
		if !slices.ContainsFunc(db.TagList, func(tag rdsTag) bool {
			return owns(tag.Key, tag.Value, name)
		}) {
			continue
		}
		id := aws.ToString(db.DBInstanceIdentifier)
		dbs = append(dbs, id)
		switch {
		case !aws.ToBool(db.MultiAZ):
			t.Errorf("database %s is not multi-AZ", id)
		case !aws.ToBool(db.StorageEncrypted):
			t.Errorf("database %s storage is not encrypted", id)
		case aws.ToBool(db.PubliclyAccessible):
			t.Errorf("database %s is publicly accessible", id)
		case db.MasterUserSecret == nil || aws.ToString(db.MasterUserSecret.SecretArn) == "":
			t.Errorf("database %s has no managed master user secret", id)
		case aws.ToString(db.MasterUserSecret.SecretArn) != st.DBSecretARN || outputs["db_secret_arn"] != st.DBSecretARN:
			t.Errorf("database %s secret %s, state %s, output %v: want one ARN", id, aws.ToString(db.MasterUserSecret.SecretArn), st.DBSecretARN, outputs["db_secret_arn"])
		}
		if db.DBSubnetGroup == nil || len(groups) == 1 && aws.ToString(db.DBSubnetGroup.DBSubnetGroupName) != groups[0] {
			t.Errorf("database %s is not in the stack's subnet group %v", id, groups)
		}
	}
	if len(dbs) != 1 || dbs[0] != st.DBInstanceIdentifier {
		t.Errorf("DB instances tagged %s=%s: %v, want exactly [%s]", TagStack, name, dbs, st.DBInstanceIdentifier)
	}
}

// TagFilter selects EC2 resources tagged with the stack's name.
func TagFilter(name string) []ec2types.Filter {
	return []ec2types.Filter{{Name: aws.String("tag:" + TagStack), Values: []string{name}}}
}

// OwnedGroups lists the Auto Scaling groups tagged with the stack's name.
func OwnedGroups(ctx context.Context, t *testing.T, tg *Target, name string) []astypes.AutoScalingGroup {
	t.Helper()
	p := autoscaling.NewDescribeAutoScalingGroupsPaginator(autoscaling.NewFromConfig(tg.AWS), &autoscaling.DescribeAutoScalingGroupsInput{
		Filters: []astypes.Filter{{Name: aws.String("tag:" + TagStack), Values: []string{name}}},
	})
	return AllPages(ctx, t, "describing Auto Scaling groups", p.HasMorePages, p.NextPage,
		func(o *autoscaling.DescribeAutoScalingGroupsOutput) []astypes.AutoScalingGroup {
			return o.AutoScalingGroups
		})
}

type rdsTag = rdstypes.Tag

// OwnedLoadBalancers lists the ARNs of the load balancers tagged with the stack's name.
func OwnedLoadBalancers(ctx context.Context, t *testing.T, tg *Target, name string) []string {
	t.Helper()
	return ownedELB(ctx, t, tg, name, false)
}

// OwnedTargetGroups lists the ARNs of the target groups tagged with the stack's name.
func OwnedTargetGroups(ctx context.Context, t *testing.T, tg *Target, name string) []string {
	t.Helper()
	return ownedELB(ctx, t, tg, name, true)
}

// ownedELB lists the ARNs of the stack's load balancers, or with
// targetGroups of its target groups.
func ownedELB(ctx context.Context, t *testing.T, tg *Target, name string, targetGroups bool) []string {
	t.Helper()
	c := elb.NewFromConfig(tg.AWS)
	var arns []string
	if targetGroups {
		p := elb.NewDescribeTargetGroupsPaginator(c, &elb.DescribeTargetGroupsInput{})
		for _, g := range AllPages(ctx, t, "describing target groups", p.HasMorePages, p.NextPage,
			func(o *elb.DescribeTargetGroupsOutput) []elbtypes.TargetGroup { return o.TargetGroups }) {
			arns = append(arns, aws.ToString(g.TargetGroupArn))
		}
		return elbOwned(ctx, t, c, arns, name)
	}
	p := elb.NewDescribeLoadBalancersPaginator(c, &elb.DescribeLoadBalancersInput{})
	for _, lb := range AllPages(ctx, t, "describing load balancers", p.HasMorePages, p.NextPage,
		func(o *elb.DescribeLoadBalancersOutput) []elbtypes.LoadBalancer { return o.LoadBalancers }) {
		arns = append(arns, aws.ToString(lb.LoadBalancerArn))
	}
	return elbOwned(ctx, t, c, arns, name)
}

// elbOwned keeps the ARNs tagged with the stack's name (DescribeTags takes
// at most 20 ARNs a call).
func elbOwned(ctx context.Context, t *testing.T, c *elb.Client, arns []string, name string) []string {
	t.Helper()
	var owned []string
	for chunk := range slices.Chunk(arns, 20) {
		out, err := c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: chunk})
		if err != nil {
			t.Fatalf("describing ELB tags: %v", err)
		}
		for _, d := range out.TagDescriptions {
			for _, tag := range d.Tags {
				if owns(tag.Key, tag.Value, name) {
					owned = append(owned, aws.ToString(d.ResourceArn))
				}
			}
		}
	}
	return owned
}

// owns reports whether a tag is the ownership tag of the stack name.
func owns(key, value *string, name string) bool {
	return aws.ToString(key) == TagStack && aws.ToString(value) == name
}

// AllPages is what items gives for every page of a paginator (its
// HasMorePages and NextPage), failing t with doing on an error.
func AllPages[Out, Opt, T any](ctx context.Context, t *testing.T, doing string, more func() bool,
	next func(context.Context, ...func(*Opt)) (Out, error), items func(Out) []T) []T {
	t.Helper()
	var all []T
	for more() {
		page, err := next(ctx)
		if err != nil {
			t.Fatalf("%s: %v", doing, err)
		}
		all = append(all, items(page)...)
	}
	return all
}
