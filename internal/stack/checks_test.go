package stack_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func stackGroups(ctx context.Context, c clients, stack string) ([]astypes.AutoScalingGroup, error) {
	out, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
		Filters: []astypes.Filter{{Name: aws.String("tag:hawebapp:stack"), Values: []string{stack}}}})
	if err != nil {
		return nil, err
	}
	return out.AutoScalingGroups, nil
}

func stackTargetGroup(ctx context.Context, c clients, stack string) (elbtypes.TargetGroup, error) {
	out, err := c.elb.DescribeTargetGroups(ctx, &elasticloadbalancingv2.DescribeTargetGroupsInput{})
	if err != nil {
		return elbtypes.TargetGroup{}, err
	}
	var found []elbtypes.TargetGroup
	for _, tg := range out.TargetGroups {
		if strings.HasPrefix(*tg.TargetGroupName, stack+"-") {
			found = append(found, tg)
		}
	}
	if len(found) != 1 {
		return elbtypes.TargetGroup{}, fmt.Errorf("want 1 target group of %s, found %d", stack, len(found))
	}
	return found[0], nil
}

// checkStackInAWS asserts the stack's shape through the AWS API: one load
// balancer with its listener and target group, one group per zone in three
// distinct zones pinned to the given template version and attached to the
// target group with a target-tracking policy, the chained security groups,
// the instance role, and, when the state says so, the database.
func checkStackInAWS(c clients, stack string, instances int, version string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		attrs := s.RootModule().Resources[addr].Primary.Attributes
		lbs, err := c.elb.DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{})
		if err != nil {
			return err
		}
		var mine []elbtypes.LoadBalancer
		for _, lb := range lbs.LoadBalancers {
			if *lb.LoadBalancerName == stack {
				mine = append(mine, lb)
			}
		}
		if len(mine) != 1 {
			return fmt.Errorf("want exactly 1 load balancer named %s, found %d", stack, len(mine))
		}
		lb := mine[0]
		if lb.Scheme != elbtypes.LoadBalancerSchemeEnumInternetFacing || len(lb.AvailabilityZones) != 3 {
			return fmt.Errorf("load balancer scheme %s in %d zones, want internet-facing in 3", lb.Scheme, len(lb.AvailabilityZones))
		}
		listeners, err := c.elb.DescribeListeners(ctx, &elasticloadbalancingv2.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
		if err != nil {
			return err
		}
		tg, err := stackTargetGroup(ctx, c, stack)
		if err != nil {
			return err
		}
		if len(listeners.Listeners) != 1 || *listeners.Listeners[0].Port != 80 ||
			aws.ToString(listeners.Listeners[0].DefaultActions[0].TargetGroupArn) != *tg.TargetGroupArn {
			return fmt.Errorf("want 1 HTTP listener on 80 forwarding to %s, got %+v", *tg.TargetGroupArn, listeners.Listeners)
		}
		groups, err := stackGroups(ctx, c, stack)
		if err != nil {
			return err
		}
		if len(groups) != 3 {
			return fmt.Errorf("want 3 zonal groups, found %d", len(groups))
		}
		zones, total := map[string]bool{}, 0
		var names []string
		for _, g := range groups {
			names = append(names, *g.AutoScalingGroupName)
			if len(g.AvailabilityZones) != 1 {
				return fmt.Errorf("group %s spans zones %v, want exactly one", *g.AutoScalingGroupName, g.AvailabilityZones)
			}
			zones[g.AvailabilityZones[0]] = true
			if g.LaunchTemplate == nil || aws.ToString(g.LaunchTemplate.Version) != version {
				return fmt.Errorf("group %s uses template %+v, want pinned version %s", *g.AutoScalingGroupName, g.LaunchTemplate, version)
			}
			if !slices.Equal(g.TargetGroupARNs, []string{*tg.TargetGroupArn}) {
				return fmt.Errorf("group %s target groups %v, want [%s]", *g.AutoScalingGroupName, g.TargetGroupARNs, *tg.TargetGroupArn)
			}
			if len(g.EnabledMetrics) < 8 {
				return fmt.Errorf("group %s collects %d group metrics, want all 8", *g.AutoScalingGroupName, len(g.EnabledMetrics))
			}
			if aws.ToString(g.HealthCheckType) != "ELB" {
				return fmt.Errorf("group %s health check type %s, want ELB", *g.AutoScalingGroupName, aws.ToString(g.HealthCheckType))
			}
			total += int(aws.ToInt32(g.DesiredCapacity))
		}
		if len(zones) != 3 {
			return fmt.Errorf("groups cover zones %v, want 3 distinct", zones)
		}
		if total != instances {
			return fmt.Errorf("groups' desired capacity sums to %d, want %d", total, instances)
		}
		for _, name := range names {
			pols, err := c.asg.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String(name)})
			if err != nil {
				return err
			}
			if len(pols.ScalingPolicies) != 1 || aws.ToString(pols.ScalingPolicies[0].PolicyType) != "TargetTrackingScaling" {
				return fmt.Errorf("group %s: want one target-tracking policy, got %d", name, len(pols.ScalingPolicies))
			}
		}
		lts, err := c.ec2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{stack}})
		if err != nil || len(lts.LaunchTemplates) != 1 {
			return fmt.Errorf("want 1 launch template %s: %v", stack, err)
		}
		withDB := attrs["db_instance_identifier"] != ""
		sgs, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: tagFilter(stack)})
		if err != nil {
			return err
		}
		if want := map[bool]int{true: 3, false: 2}[withDB]; len(sgs.SecurityGroups) != want {
			return fmt.Errorf("want %d security groups, found %d", want, len(sgs.SecurityGroups))
		}
		if _, err := c.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(attrs["instance_profile"])}); err != nil {
			return fmt.Errorf("instance profile: %w", err)
		}
		if withDB {
			return checkDatabase(ctx, c, stack)
		}
		return nil
	}
}

func checkDatabase(ctx context.Context, c clients, stack string) error {
	dbs, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(stack)})
	if err != nil || len(dbs.DBInstances) != 1 {
		return fmt.Errorf("want 1 db instance %s: %v", stack, err)
	}
	db := dbs.DBInstances[0]
	switch {
	case !aws.ToBool(db.MultiAZ):
		return fmt.Errorf("database is not multi-AZ")
	case !aws.ToBool(db.StorageEncrypted):
		return fmt.Errorf("database storage is not encrypted")
	case aws.ToBool(db.PubliclyAccessible):
		return fmt.Errorf("database is publicly accessible")
	case db.MasterUserSecret == nil || aws.ToString(db.MasterUserSecret.SecretArn) == "":
		return fmt.Errorf("database password is not managed in Secrets Manager")
	case db.DBSubnetGroup == nil || len(db.DBSubnetGroup.Subnets) != 3:
		return fmt.Errorf("database subnet group: %+v", db.DBSubnetGroup)
	}
	return nil
}

func checkGroupBounds(c clients, stack string, wantMin, wantMax int32) resource.TestCheckFunc {
	return checkGroups(c, stack, func(g astypes.AutoScalingGroup) error {
		if aws.ToInt32(g.MinSize) != wantMin || aws.ToInt32(g.MaxSize) != wantMax {
			return fmt.Errorf("group %s min/max %d/%d, want %d/%d", *g.AutoScalingGroupName, aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize), wantMin, wantMax)
		}
		return nil
	})
}

func checkHealthPath(c clients, stack, path string) resource.TestCheckFunc {
	return checkTargetGroup(c, stack, func(tg elbtypes.TargetGroup) error {
		if got := aws.ToString(tg.HealthCheckPath); got != path {
			return fmt.Errorf("health check path %q, want %q", got, path)
		}
		return nil
	})
}

func checkScalingTarget(c clients, stack string, target float64) resource.TestCheckFunc {
	return checkGroups(c, stack, func(g astypes.AutoScalingGroup) error {
		pols, err := c.asg.DescribePolicies(context.Background(), &autoscaling.DescribePoliciesInput{AutoScalingGroupName: g.AutoScalingGroupName})
		if err != nil {
			return err
		}
		for _, p := range pols.ScalingPolicies {
			if got := aws.ToFloat64(p.TargetTrackingConfiguration.TargetValue); got != target {
				return fmt.Errorf("group %s policy target %v, want %v", *g.AutoScalingGroupName, got, target)
			}
		}
		return nil
	})
}

// checkGroups checks each of the stack's groups, read through the API.
func checkGroups(c clients, stack string, check func(g astypes.AutoScalingGroup) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		groups, err := stackGroups(context.Background(), c, stack)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if err := check(g); err != nil {
				return err
			}
		}
		return nil
	}
}

// checkTargetGroup checks the stack's target group, read through the API.
func checkTargetGroup(c clients, stack string, check func(tg elbtypes.TargetGroup) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		tg, err := stackTargetGroup(context.Background(), c, stack)
		if err == nil {
			err = check(tg)
		}
		return err
	}
}

// instancesOf is g's instances, or an error when it has none.
func instancesOf(g astypes.AutoScalingGroup) ([]astypes.Instance, error) {
	if len(g.Instances) == 0 {
		return nil, fmt.Errorf("group %s has no instances", aws.ToString(g.AutoScalingGroupName))
	}
	return g.Instances, nil
}

// onVersion requires g to have instances, each on the launch template
// version.
func onVersion(g astypes.AutoScalingGroup, version string) error {
	instances, err := instancesOf(g)
	for _, inst := range instances {
		if inst.LaunchTemplate == nil || aws.ToString(inst.LaunchTemplate.Version) != version {
			return fmt.Errorf("group %s: instance %s not on launch template version %s", aws.ToString(g.AutoScalingGroupName), aws.ToString(inst.InstanceId), version)
		}
	}
	return err
}

// checkMix compares every zonal group's launch settings with want (nil: the
// launch template alone, and no rebalancing).
func checkMix(c clients, stack string, want *wantMix) resource.TestCheckFunc {
	return func(*terraform.State) error {
		groups, err := stackGroups(context.Background(), c, stack)
		if err != nil {
			return err
		}
		if len(groups) != len(env.Zones) {
			return fmt.Errorf("%d zonal groups, want %d", len(groups), len(env.Zones))
		}
		for _, g := range groups {
			name, p := aws.ToString(g.AutoScalingGroupName), g.MixedInstancesPolicy
			zone := slices.Index(env.Zones, g.AvailabilityZones[0])
			switch {
			case want == nil && (p != nil || g.LaunchTemplate == nil || aws.ToBool(g.CapacityRebalance)):
				return fmt.Errorf("group %s: policy %v, template %v, rebalance %v; want the launch template alone", name, p != nil, g.LaunchTemplate != nil, aws.ToBool(g.CapacityRebalance))
			case want == nil:
				continue
			case p == nil || g.LaunchTemplate != nil:
				return fmt.Errorf("group %s: policy %v, template %v; want a mixed instances policy only", name, p != nil, g.LaunchTemplate != nil)
			}
			var types []string
			for _, o := range p.LaunchTemplate.Overrides {
				types = append(types, aws.ToString(o.InstanceType))
			}
			d := p.InstancesDistribution
			got := fmt.Sprintf("%v %s base %d pct %d spot %s rebalance %t", types, aws.ToString(d.OnDemandAllocationStrategy), aws.ToInt32(d.OnDemandBaseCapacity),
				aws.ToInt32(d.OnDemandPercentageAboveBaseCapacity), aws.ToString(d.SpotAllocationStrategy), aws.ToBool(g.CapacityRebalance))
			if exp := fmt.Sprintf("%v prioritized base %d pct %d spot %s rebalance %t", want.types, want.base[zone], want.pct, want.spot, want.rebalance); got != exp {
				return fmt.Errorf("group %s: %s, want %s", name, got, exp)
			}
		}
		return nil
	}
}

// checkInstanceTypes requires every instance of the stack to run instanceType.
func checkInstanceTypes(c clients, stack, instanceType string) resource.TestCheckFunc {
	return checkGroups(c, stack, func(g astypes.AutoScalingGroup) error {
		instances, err := instancesOf(g)
		for _, i := range instances {
			if aws.ToString(i.InstanceType) != instanceType {
				return fmt.Errorf("instance %s of %s is %s, want %s", aws.ToString(i.InstanceId), aws.ToString(g.AutoScalingGroupName), aws.ToString(i.InstanceType), instanceType)
			}
		}
		return err
	})
}

// checkGone requires that no group of the stack lists the instance id.
func checkGone(c clients, stack, id string) error {
	groups, err := stackGroups(context.Background(), c, stack)
	if err != nil {
		return err
	}
	for _, g := range groups {
		for _, i := range g.Instances {
			if aws.ToString(i.InstanceId) == id {
				return fmt.Errorf("instance %s (%s) is still in %s", id, aws.ToString(i.InstanceType), aws.ToString(g.AutoScalingGroupName))
			}
		}
	}
	return nil
}
