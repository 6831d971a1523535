package reliability

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/leaks"
)

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// wantParts are the children a converged stack has, one each, by their
// hawebapp:part tag.
func wantParts() []string {
	keys := []string{blueprint.KeyALBSecurityGroup, blueprint.KeyAppSecurityGroup, blueprint.KeyDBSecurityGroup,
		blueprint.KeyLoadBalancer, blueprint.KeyTargetGroup, blueprint.KeyLaunchTemplate, blueprint.KeyDBInstance}
	for _, z := range zones {
		keys = append(keys, blueprint.KeyFor(blueprint.KindAutoScalingGroup, z))
	}
	return keys
}

// parts counts the stack's children through the API, by ownership tag and
// part tag: the tagging API (security groups, load balancer, target group,
// database ...), and the describes of what it does not list (Auto Scaling
// groups, launch templates).
func (e *env) parts(t *testing.T) map[string]int {
	t.Helper()
	ctx := background()
	count := map[string]int{}
	// part counts a child by its part tag.
	part := func(key, value *string) {
		if aws.ToString(key) == blueprint.TagPart {
			count[aws.ToString(value)]++
		}
	}
	owned := []tagtypes.TagFilter{{Key: aws.String(blueprint.TagStack), Values: []string{e.name}}}
	pages := tagging.NewGetResourcesPaginator(tagging.NewFromConfig(e.aws), &tagging.GetResourcesInput{TagFilters: owned})
	for _, r := range e2e.AllPages(ctx, t, "listing the stack's tagged children", pages.HasMorePages, pages.NextPage,
		func(o *tagging.GetResourcesOutput) []tagtypes.ResourceTagMapping { return o.ResourceTagMappingList }) {
		arn := aws.ToString(r.ResourceARN)
		// Instances (and their volumes and interfaces) are the groups'
		// to count; the database's automated snapshots copy its tags.
		if strings.Contains(arn, ":instance/") || strings.Contains(arn, ":volume/") ||
			strings.Contains(arn, ":network-interface/") || strings.Contains(arn, ":snapshot:") {
			continue
		}
		for _, tag := range r.Tags {
			part(tag.Key, tag.Value)
		}
	}
	for _, g := range e2e.OwnedGroups(background(), t, &e2e.Target{AWS: e.aws}, e.name) {
		for _, tag := range g.Tags {
			part(tag.Key, tag.Value)
		}
	}
	lts, err := ec2.NewFromConfig(e.aws).DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{
		Filters: e2e.TagFilter(e.name)})
	if err != nil {
		t.Fatalf("listing the stack's launch templates: %v", err)
	}
	for _, lt := range lts.LaunchTemplates {
		for _, tag := range lt.Tags {
			part(tag.Key, tag.Value)
		}
	}
	return count
}

// byName counts the named children whose name AWS does not keep unique
// everywhere (an emulator may make a second load balancer of one name):
// load balancers and database instances of the stack's derived names.
func (e *env) byName(t *testing.T) map[string]int {
	t.Helper()
	ctx := background()
	names := blueprint.NamesFor(blueprint.Spec{Name: e.name})
	count := map[string]int{}
	lbs := elb.NewDescribeLoadBalancersPaginator(elb.NewFromConfig(e.aws), &elb.DescribeLoadBalancersInput{})
	for _, lb := range e2e.AllPages(ctx, t, "listing load balancers", lbs.HasMorePages, lbs.NextPage,
		func(o *elb.DescribeLoadBalancersOutput) []elbtypes.LoadBalancer { return o.LoadBalancers }) {
		if aws.ToString(lb.LoadBalancerName) == names.LoadBalancer {
			count["load balancer "+names.LoadBalancer]++
		}
	}
	dbs := rds.NewDescribeDBInstancesPaginator(rds.NewFromConfig(e.aws), &rds.DescribeDBInstancesInput{})
	for _, db := range e2e.AllPages(ctx, t, "listing database instances", dbs.HasMorePages, dbs.NextPage,
		func(o *rds.DescribeDBInstancesOutput) []rdstypes.DBInstance { return o.DBInstances }) {
		if aws.ToString(db.DBInstanceIdentifier) == names.DBInstance {
			count["database "+names.DBInstance]++
		}
	}
	return count
}

// duplicates counts the children found more than once (0 for a sound
// stack) and fails the test on any, or on a missing one.
func (e *env) duplicates(t *testing.T) int {
	t.Helper()
	parts, named := e.parts(t), e.byName(t)
	dups := 0
	for _, m := range []map[string]int{parts, named} {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if m[k] > 1 {
				dups += m[k] - 1
				t.Errorf("%s: %d children, want 1 (duplicated)", k, m[k])
			}
		}
	}
	for _, k := range wantParts() {
		if parts[k] == 0 {
			t.Errorf("part %s: no child tagged %s=%s (found %v)", k, blueprint.TagPart, k, parts)
		}
	}
	if len(named) != 2 {
		t.Errorf("want the load balancer and the database by name, found %v", named)
	}
	return dups
}

// rolledOut checks every instance of the stack's groups runs the group's
// launch template version and no process is left suspended.
func (e *env) rolledOut(t *testing.T, wantVersion string) {
	t.Helper()
	for _, g := range e2e.OwnedGroups(background(), t, &e2e.Target{AWS: e.aws}, e.name) {
		name, version := aws.ToString(g.AutoScalingGroupName), aws.ToString(g.LaunchTemplate.Version)
		t.Logf("%s: desired %d, %d instances, launch template version %s", name, aws.ToInt32(g.DesiredCapacity), len(g.Instances), version)
		if wantVersion != "" && version != wantVersion {
			t.Errorf("%s pins launch template version %s, want %s", name, version, wantVersion)
		}
		for _, inst := range g.Instances {
			if v := aws.ToString(inst.LaunchTemplate.Version); v != version {
				t.Errorf("%s: instance %s on version %s, want %s", name, aws.ToString(inst.InstanceId), v, version)
			}
		}
		for _, p := range g.SuspendedProcesses {
			t.Errorf("%s: %s still suspended", name, aws.ToString(p.ProcessName))
		}
	}
}

// converged applies (and fails on "already exists" in the output even when
// the apply succeeds), then checks duplicates and that the plan is empty.
func (e *env) converged(t *testing.T) int {
	t.Helper()
	out := e.mustRun(t, "apply", "-auto-approve", "-input=false", "-no-color")
	if strings.Contains(strings.ToLower(out), "already exist") {
		t.Errorf("the apply after a kill reported an existing child:\n%s", e2e.Tail(out, 40))
	}
	d := e.duplicates(t)
	e.planEmpty(t)
	return d
}

// planEmpty runs a plan that must report no changes (exit code 0).
func (e *env) planEmpty(t *testing.T) {
	t.Helper()
	out, err := e.terraform(t, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if err != nil {
		t.Errorf("plan after convergence: %v (exit 2 = changes), want no changes:\n%s", err, e2e.Tail(out, 40))
	}
}

// nothingLeft checks, with test/leaks, that the destroy removed every child.
func (e *env) nothingLeft(t *testing.T) int {
	t.Helper()
	left, err := leaks.Find(background(), e.aws, e.name)
	if err != nil {
		t.Fatalf("checking what is left of %s: %v", e.name, err)
	}
	if len(left) > 0 {
		t.Errorf("left after destroy of %s: %s", e.name, strings.Join(left, ", "))
	}
	return len(left)
}
