package strict

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// dependentObject is EC2's answer to deleting a group something still uses
// (EC2 API reference, DeleteSecurityGroup: "If you attempt to delete a
// security group that is associated with an instance or network interface,
// is referenced by another security group in the same VPC, ... the
// operation fails with DependencyViolation").
func dependentObject(id string) *apiError {
	return errorf(400, "DependencyViolation", "resource %s has a dependent object", id)
}

// sgInUse refuses to delete a group that a live load balancer, instance or
// database still uses or another group's rule references, which moto
// allows. Source: EC2 API reference, DeleteSecurityGroup (above);
// hashicorp/aws internal/service/ec2/vpc_security_group.go
// resourceSecurityGroupDelete retries DependencyViolation for the delete
// timeout.
func sgInUseRule() *rule {
	return &rule{name: SGInUse,
		before: func(l *Layer, c *call) *apiError {
			if !c.is("ec2", "DeleteSecurityGroup") || c.params.Get("GroupId") == "" {
				return nil
			}
			id := c.params.Get("GroupId")
			switch l.groupInUse(c.region, id) {
			case inUseByGroup:
				return referencedGroup(id)
			case inUseByInterface:
				return dependentObject(id)
			}
			return nil
		}}
}

// How a group is in use, for DeleteSecurityGroup's answer.
const (
	notInUse = iota
	inUseByGroup
	inUseByInterface
)

// referencedGroup is EC2's other answer to deleting a group another group's rule
// references: InvalidGroup.InUse (EC2 API reference, "Error codes for the
// Amazon EC2 API": the group "can't be deleted because it's in use by
// another security group"; hashicorp/aws
// internal/service/ec2/vpc_security_group.go resourceSecurityGroupDelete
// retries it beside DependencyViolation).
func referencedGroup(id string) *apiError {
	return errorf(400, "InvalidGroup.InUse", "There are active references to security group %s from other security groups", id)
}

// groupInUse looks in the emulator for anything using the group: another
// group's rule, or a load balancer, instance or database (their network
// interfaces). A failed look-up counts as not in use: the layer adds
// strictness, never outages.
func (l *Layer) groupInUse(region, id string) int {
	ctx, cancel := sideCtx()
	defer cancel()
	cl := l.side.region(region)
	if out, err := cl.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{}); err == nil {
		for _, g := range out.SecurityGroups {
			if aws.ToString(g.GroupId) == id {
				continue
			}
			for _, p := range append(append([]ec2types.IpPermission{}, g.IpPermissions...), g.IpPermissionsEgress...) {
				for _, pair := range p.UserIdGroupPairs {
					if aws.ToString(pair.GroupId) == id {
						return inUseByGroup
					}
				}
			}
		}
	}
	if out, err := cl.elb.DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{}); err == nil {
		for _, lb := range out.LoadBalancers {
			if slices.Contains(lb.SecurityGroups, id) {
				return inUseByInterface
			}
		}
	}
	if out, err := cl.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("instance.group-id"), Values: []string{id}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}}); err == nil {
		for _, r := range out.Reservations {
			if len(r.Instances) > 0 {
				return inUseByInterface
			}
		}
	}
	if out, err := cl.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{}); err == nil {
		for _, db := range out.DBInstances {
			for _, m := range db.VpcSecurityGroups {
				if aws.ToString(m.VpcSecurityGroupId) == id {
					return inUseByInterface
				}
			}
		}
	}
	return notInUse
}

// eniLinger keeps a group's network interfaces for a while after the load
// balancer, instances or database that used it went away: deleting the
// group fails with DependencyViolation until they are released (ELB User
// Guide: the load balancer's network interfaces are deleted some time after
// the load balancer; hashicorp/aws internal/service/ec2/vpc_security_group.go
// resourceSecurityGroupDelete retries DependencyViolation, and
// internal/service/elbv2/load_balancer.go waits in
// waitForALBNetworkInterfacesToDetach after deleting a load balancer).
func eniLingerRule() *rule {
	return &rule{name: ENILinger,
		before: func(l *Layer, c *call) *apiError {
			switch {
			case c.is("elasticloadbalancing", "DeleteLoadBalancer"):
				l.rememberLBGroups(c)
			case c.is("ec2", "DeleteSecurityGroup"):
				id := c.params.Get("GroupId")
				if id != "" && l.interfacesLinger(c, id) {
					return dependentObject(id)
				}
			}
			return nil
		},
		after: func(l *Layer, c *call, resp *response) bool {
			if c.is("rds", "DeleteDBInstance") && resp.ok() {
				for _, g := range elements(resp.body, "VpcSecurityGroupId") {
					l.remember(l.st.groupsHeld, g, c.now.Add(l.opts.DBDeleting+l.opts.ENILinger))
				}
			}
			return false
		}}
}

// rememberLBGroups notes the groups of a load balancer about to be deleted;
// its interfaces keep them from now on.
func (l *Layer) rememberLBGroups(c *call) {
	ctx, cancel := sideCtx()
	defer cancel()
	out, err := l.side.region(c.region).elb.DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{
		LoadBalancerArns: []string{c.params.Get("LoadBalancerArn")}})
	if err != nil {
		return
	}
	for _, lb := range out.LoadBalancers {
		for _, g := range lb.SecurityGroups {
			l.remember(l.st.groupsHeld, g, c.now.Add(l.opts.ENILinger))
		}
	}
}

// interfacesLinger reports whether an interface that used the group went
// away less than the linger window ago. Instances are seen terminated the
// first time the layer looks (moto ends them at once, whoever asked).
func (l *Layer) interfacesLinger(c *call, id string) bool {
	ctx, cancel := sideCtx()
	defer cancel()
	out, err := l.side.region(c.region).ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("instance.group-id"), Values: []string{id}},
		{Name: aws.String("instance-state-name"), Values: []string{"shutting-down", "terminated"}},
	}})
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				iid := aws.ToString(in.InstanceId)
				if _, seen := l.st.instancesGone[iid]; !seen {
					l.st.instancesGone[iid] = c.now
				}
				if within(l.st.instancesGone[iid], l.opts.ENILinger, c.now) {
					return true
				}
			}
		}
	}
	return c.now.Before(l.st.groupsHeld[id])
}

// goneInstance answers TerminateInstanceInAutoScalingGroup for an instance
// no group holds any more as AWS does, ValidationError "Instance Id not
// found - No managed instance found for instance ID: i-...", where moto
// fails with HTTP 500. Source: the message as AWS returns it (quoted by
// clients that treat it as done, e.g. the AWS node termination tooling);
// EC2 Auto Scaling API reference, TerminateInstanceInAutoScalingGroup
// (ValidationError is a common error, HTTP 400).
func goneInstanceRule() *rule {
	return &rule{name: GoneInstance,
		before: func(l *Layer, c *call) *apiError {
			if !c.is("autoscaling", "TerminateInstanceInAutoScalingGroup") {
				return nil
			}
			id := c.params.Get("InstanceId")
			ctx, cancel := sideCtx()
			defer cancel()
			out, err := l.side.region(c.region).asg.DescribeAutoScalingInstances(ctx,
				&autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: []string{id}})
			if err != nil || len(out.AutoScalingInstances) > 0 {
				return nil
			}
			return errorf(400, "ValidationError", "Instance Id not found - No managed instance found for instance ID: %s", id)
		}}
}

func allRules() []*rule {
	byName := map[Rule]*rule{}
	for _, r := range []*rule{throttleRule(), validationRule(), sgNotFoundRule(), roleNotFoundRule(), certNotFoundRule(),
		goneInstanceRule(), invalidTargetRule(), lbAttributesRule(), rootVolumeRule(), accessLogsBucketRule(), sgInUseRule(), dbSubnetInUseRule(), eniLingerRule(), idempotentCreateRule(), profileLaunchRule(), lbProvisioningRule(),
		dbLagRule(), dbStatesRule()} {
		byName[r.name] = r
	}
	out := make([]*rule, 0, len(All))
	for _, n := range All {
		out = append(out, byName[n])
	}
	return out
}
