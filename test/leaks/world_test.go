package leaks

import (
	"context"
	"slices"
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

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// world holds the SDK clients and the network the children are made in.
type world struct {
	t       *testing.T
	ctx     context.Context
	ec2     *ec2.Client
	asg     *autoscaling.Client
	elb     *elb.Client
	iam     *iam.Client
	rds     *rds.Client
	vpc     string
	subnets []string
	want    map[string][]string // what Find must report, per stack
	undo    map[string][]func() error
}

func newWorld(t *testing.T, ctx context.Context, cfg aws.Config) *world {
	w := &world{t: t, ctx: ctx, ec2: ec2.NewFromConfig(cfg), asg: autoscaling.NewFromConfig(cfg), elb: elb.NewFromConfig(cfg),
		iam: iam.NewFromConfig(cfg), rds: rds.NewFromConfig(cfg), want: map[string][]string{}, undo: map[string][]func() error{}}
	net := env.Network(t, cfg, "us-east-1a", "us-east-1b")
	w.vpc, w.subnets = net.VPCID, net.App
	return w
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// makeStack makes one child of each kind, named and tagged as the provider
// does for stack (blueprint.NamesFor, tag blueprint.TagStack). With db, it
// makes the database too (one per test keeps moto quick).
func (w *world) makeStack(stack string, db bool) {
	w.t.Helper()
	ctx, n := w.ctx, blueprint.NamesFor(blueprint.Spec{Name: stack})
	ec2Tags := func(rt ec2types.ResourceType) []ec2types.TagSpecification {
		return []ec2types.TagSpecification{{ResourceType: rt, Tags: []ec2types.Tag{{Key: aws.String(blueprint.TagStack), Value: aws.String(stack)}}}}
	}
	add := func(entry string, undo func() error) {
		w.want[stack] = append(w.want[stack], entry)
		if undo != nil {
			w.undo[stack] = append(w.undo[stack], undo)
		}
	}

	sg, err := w.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(n.ALBSecurityGroup), Description: aws.String("test"),
		VpcId: aws.String(w.vpc), TagSpecifications: ec2Tags(ec2types.ResourceTypeSecurityGroup)})
	w.must(err)
	add("security group "+n.ALBSecurityGroup, func() error {
		_, err := w.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg.GroupId})
		return err
	})

	lt, err := w.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(n.LaunchTemplate),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Small},
		TagSpecifications:  ec2Tags(ec2types.ResourceTypeLaunchTemplate)})
	w.must(err)
	add("launch template "+n.LaunchTemplate, func() error {
		_, err := w.ec2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId})
		return err
	})

	// A stray instance carrying the tag, and one launched by the group.
	run, err := w.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Small,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String(w.subnets[0]), TagSpecifications: ec2Tags(ec2types.ResourceTypeInstance)})
	w.must(err)
	stray := aws.ToString(run.Instances[0].InstanceId)
	add("instance "+stray, func() error {
		_, err := w.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{stray}})
		return err
	})

	group := n.AutoScalingGroup("us-east-1a")
	_, err = w.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group),
		MinSize: aws.Int32(1), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1), VPCZoneIdentifier: aws.String(w.subnets[0]),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")},
		Tags:           []astypes.Tag{{Key: aws.String(blueprint.TagStack), Value: aws.String(stack), PropagateAtLaunch: aws.Bool(false)}}})
	w.must(err)
	// Deleting the group with ForceDelete terminates its instances; it goes first.
	w.undo[stack] = append([]func() error{func() error {
		_, err := w.asg.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), ForceDelete: aws.Bool(true)})
		return err
	}}, w.undo[stack]...)
	w.want[stack] = append(w.want[stack], "autoscaling group "+group)
	_, err = w.asg.PutScalingPolicy(ctx, &autoscaling.PutScalingPolicyInput{AutoScalingGroupName: aws.String(group), PolicyName: aws.String(group + "-cpu"),
		PolicyType: aws.String("TargetTrackingScaling"), TargetTrackingConfiguration: &astypes.TargetTrackingConfiguration{TargetValue: aws.Float64(50),
			PredefinedMetricSpecification: &astypes.PredefinedMetricSpecification{PredefinedMetricType: astypes.MetricTypeASGAverageCPUUtilization}}})
	w.must(err)
	add("scaling policy "+group+"-cpu", nil)
	groups, err := w.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	w.must(err)
	if len(groups.AutoScalingGroups) != 1 || len(groups.AutoScalingGroups[0].Instances) != 1 {
		w.t.Fatalf("group %s: want one instance launched, got %+v", group, groups.AutoScalingGroups)
	}
	add("instance "+aws.ToString(groups.AutoScalingGroups[0].Instances[0].InstanceId), nil)

	w.makeBalancing(stack, n, add)
	w.makeRole(stack, n, add)
	if db {
		w.makeDatabase(stack, n, add)
	}
	slices.Sort(w.want[stack])
}

func (w *world) makeBalancing(stack string, n blueprint.Names, add func(string, func() error)) {
	ctx := w.ctx
	tags := []elbtypes.Tag{{Key: aws.String(blueprint.TagStack), Value: aws.String(stack)}}
	lb, err := w.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(n.LoadBalancer), Subnets: w.subnets, Tags: tags})
	w.must(err)
	lbARN := lb.LoadBalancers[0].LoadBalancerArn
	tgName := stack + "-abc123"
	tg, err := w.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(tgName), Port: aws.Int32(8080),
		Protocol: elbtypes.ProtocolEnumHttp, VpcId: aws.String(w.vpc), Tags: tags})
	w.must(err)
	_, err = w.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lbARN, Port: aws.Int32(80), Protocol: elbtypes.ProtocolEnumHttp,
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}, Tags: tags})
	w.must(err)
	// Deleting the load balancer deletes its listeners.
	add("load balancer "+n.LoadBalancer, func() error {
		_, err := w.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lbARN})
		return err
	})
	add("listener "+n.LoadBalancer+":80", nil)
	add("target group "+tgName, func() error {
		_, err := w.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroups[0].TargetGroupArn})
		return err
	})
}

func (w *world) makeRole(stack string, n blueprint.Names, add func(string, func() error)) {
	ctx := w.ctx
	tags := []iamtypes.Tag{{Key: aws.String(blueprint.TagStack), Value: aws.String(stack)}}
	role := aws.String(n.InstanceRole)
	_, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: role, Tags: tags,
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	w.must(err)
	_, err = w.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String(n.RolePolicy),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)})
	w.must(err)
	pol, err := w.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(stack + "-extra"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)})
	w.must(err)
	_, err = w.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: role, PolicyArn: pol.Policy.Arn})
	w.must(err)
	_, err = w.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: role, Tags: tags})
	w.must(err)
	_, err = w.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: role, RoleName: role})
	w.must(err)
	add("instance profile "+n.InstanceRole, func() error {
		if _, err := w.iam.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: role, RoleName: role}); err != nil {
			return err
		}
		_, err := w.iam.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: role})
		return err
	})
	add("iam role policy "+n.InstanceRole+":"+n.RolePolicy, func() error {
		_, err := w.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String(n.RolePolicy)})
		return err
	})
	add("iam role policy attachment "+n.InstanceRole+":"+stack+"-extra", func() error {
		if _, err := w.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: role, PolicyArn: pol.Policy.Arn}); err != nil {
			return err
		}
		_, err := w.iam.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: pol.Policy.Arn})
		return err
	})
	add("iam role "+n.InstanceRole, func() error {
		_, err := w.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role})
		return err
	})
}

// makeDatabase makes the subnet group and a DB instance whose master
// password RDS manages, which makes the managed secret.
func (w *world) makeDatabase(stack string, n blueprint.Names, add func(string, func() error)) {
	ctx := w.ctx
	tags := []rdstypes.Tag{{Key: aws.String(blueprint.TagStack), Value: aws.String(stack)}}
	_, err := w.rds.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: aws.String(n.DBSubnetGroup),
		DBSubnetGroupDescription: aws.String("test"), SubnetIds: w.subnets, Tags: tags})
	w.must(err)
	db, err := w.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(n.DBInstance), DBInstanceClass: aws.String("db.t3.micro"),
		Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("app"), ManageMasterUserPassword: aws.Bool(true),
		DBSubnetGroupName: aws.String(n.DBSubnetGroup), Tags: tags})
	w.must(err)
	if db.DBInstance.MasterUserSecret == nil {
		w.t.Fatal("the DB instance has no managed master user secret")
	}
	secretARN := aws.ToString(db.DBInstance.MasterUserSecret.SecretArn)
	// The secret's name is the last part of its ARN, less the 6-character suffix AWS adds.
	name := secretARN[len("arn:aws:secretsmanager:us-east-1:123456789012:secret:") : len(secretARN)-7]
	add("db instance "+n.DBInstance, func() error {
		_, err := w.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(n.DBInstance), SkipFinalSnapshot: aws.Bool(true)})
		return err
	})
	add("secret "+name, nil) // RDS deletes the secret with the instance
	add("db subnet group "+n.DBSubnetGroup, func() error {
		_, err := w.rds.DeleteDBSubnetGroup(ctx, &rds.DeleteDBSubnetGroupInput{DBSubnetGroupName: aws.String(n.DBSubnetGroup)})
		return err
	})
}

// deleteStack deletes the stack's children in the order they were made
// (the group first).
func (w *world) deleteStack(stack string) {
	w.t.Helper()
	for _, undo := range w.undo[stack] {
		w.must(undo())
	}
}
