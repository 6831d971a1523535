package cloud

import (
	"errors"
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

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/leaks"
)

// TestCreateRefusesUnowned: a same-named child without this stack's tag is
// never adopted, and Observe does not report it as the stack's.
func TestCreateRefusesUnowned(t *testing.T) {
	ctx := t.Context()
	cfg, c, n, spec := appSpec(t, "stranger")
	bp := blueprint.Build(spec)
	names := blueprint.NamesFor(spec)
	ec2c, elbc, asc, iamc := ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	otherTags := []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: []ec2types.Tag{{Key: aws.String(blueprint.TagStack), Value: aws.String("someone-else")}}}}

	// Children someone else made under the names the stack wants.
	alb, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(names.ALBSecurityGroup), Description: aws.String("not ours"), VpcId: aws.String(n.VPCID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(names.AppSecurityGroup), Description: aws.String("not ours"), VpcId: aws.String(n.VPCID), TagSpecifications: otherTags}); err != nil {
		t.Fatal(err)
	}
	if _, err := elbc.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(names.LoadBalancer), Subnets: spec.LBSubnetIDs, SecurityGroups: []string{aws.ToString(alb.GroupId)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := elbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(names.TargetGroup), VpcId: aws.String(n.VPCID), Port: aws.Int32(8080), Protocol: elbtypes.ProtocolEnumHttp}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(names.LaunchTemplate), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(testImage)}}); err != nil {
		t.Fatal(err)
	}
	asgName := names.AutoScalingGroup(zones[0])
	if _, err := asc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(asgName), MinSize: aws.Int32(0), MaxSize: aws.Int32(1),
		VPCZoneIdentifier: aws.String(appSubnets(n)[0].ID), LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(names.LaunchTemplate)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(names.InstanceRole), AssumeRolePolicyDocument: aws.String(assumeRolePolicy("ec2.amazonaws.com"))}); err != nil {
		t.Fatal(err)
	}

	// Refs stand in for dependencies, which do not matter here: Create
	// must refuse before it uses them.
	refs := engine.Refs{
		blueprint.KeyALBSecurityGroup: {ID: aws.ToString(alb.GroupId)},
		blueprint.KeyAppSecurityGroup: {ID: aws.ToString(alb.GroupId)},
		blueprint.KeyLaunchTemplate:   {ID: "lt-0", Attrs: map[string]string{"version": "1"}},
		blueprint.KeyTargetGroup:      {ARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1"},
	}
	for _, tc := range []struct {
		key, want string
	}{
		{blueprint.KeyALBSecurityGroup, "has no hawebapp:stack tag"},
		{blueprint.KeyAppSecurityGroup, `belongs to stack "someone-else"`},
		{blueprint.KeyLoadBalancer, "has no hawebapp:stack tag"},
		{blueprint.KeyTargetGroup, "has no hawebapp:stack tag"},
		{blueprint.KeyLaunchTemplate, "has no hawebapp:stack tag"},
		{blueprint.KeyFor(blueprint.KindAutoScalingGroup, zones[0]), "has no hawebapp:stack tag"},
		{blueprint.KeyInstanceRole, "has no hawebapp:stack tag"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			p, _ := bp.Part(tc.key)
			_, err := c.Create(ctx, p, refs)
			if !errors.Is(err, engine.ErrNotOwned) {
				t.Fatalf("Create: %v, want ErrNotOwned", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p.Name) {
				t.Errorf("error %q does not name %q and say %q", err, p.Name, tc.want)
			}
		})
	}
	obs, err := c.Observe(ctx, bp)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) > 0 {
		t.Errorf("Observe reports children that are not the stack's: %v", keys(obs))
	}
}

// TestOrphanedZone: the group of a zone the blueprint no longer has is
// observed as an orphan, keyed by its part tag, and deletes cleanly.
func TestOrphanedZone(t *testing.T) {
	ctx := t.Context()
	cfg, c, n, spec := appSpec(t, "orphan")
	spec.Scaling.Metric = blueprint.MetricCPU
	apply(t, c, blueprint.Build(spec))

	two := spec
	two.AppSubnets = appSubnets(n)[:2]
	two.Capacity = blueprint.CapacitySpec{Min: 2, Desired: 2, Max: 4}
	bp := blueprint.Build(two)
	obs, err := c.Observe(ctx, bp)
	if err != nil {
		t.Fatal(err)
	}
	key := blueprint.KeyFor(blueprint.KindAutoScalingGroup, zones[2])
	o, ok := obs[key]
	if !ok || o.Kind != blueprint.KindAutoScalingGroup || o.Name != "orphan-"+zones[2] {
		t.Fatalf("orphan %s not observed: %+v (keys %v)", key, o, keys(obs))
	}
	if err := c.Delete(ctx, blueprint.Part{Kind: o.Kind, Key: o.Key, Name: o.Name}, o); err != nil {
		t.Fatal(err)
	}
	pols, err := autoscaling.NewFromConfig(cfg).DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{PolicyNames: []string{"orphan-" + zones[2] + "-target-tracking"}})
	if err != nil || len(pols.ScalingPolicies) > 0 {
		t.Errorf("orphan group's policy left: %v %v", pols, err)
	}
	apply(t, c, bp)
	observeClean(t, c, bp)
	destroy(t, c, bp)
	leaks.NothingLeft(t, cfg, "orphan", 0)
}

// appSpec starts the tests of a stack without a database: the emulator's
// configuration, a Cloud on it, a new network and the stack's spec.
func appSpec(t *testing.T, name string) (aws.Config, *Cloud, env.Net, blueprint.Spec) {
	t.Helper()
	cfg, n := testNetwork(t)
	spec := fullSpec(name, n)
	spec.Database = nil
	return cfg, New(cfg, nil), n, spec
}
