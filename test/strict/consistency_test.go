package strict

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// window is the rules' consistency or state window in these tests. They
// run on a manualClock: "right after" and "once the window has passed"
// are the test's own moves of the clock, not races against a busy machine.
const window = 1500 * time.Millisecond

func TestSGNotFoundAfterCreate(t *testing.T) {
	clock := newManualClock()
	c := through(t, Options{Consistency: window, Now: clock.Now}, SGNotFound)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	sg, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("strict-sg"),
		Description: aws.String("strict"), VpcId: aws.String(n.VPCID)})
	must(t, err)
	id := sg.GroupId
	_, err = c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{*id}})
	wantCode(t, err, "InvalidGroup.NotFound", 400)
	_, err = c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: id,
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
	wantCode(t, err, "InvalidGroup.NotFound", 400)
	_, err = c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{*id}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantCode(t, err, "InvalidGroup.NotFound", 400)
	wantFired(t, c, SGNotFound, 3)
	clock.Advance(window)
	_, err = c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{*id}})
	must(t, err)
}

func TestRoleNotFoundAfterCreate(t *testing.T) {
	clock := newManualClock()
	c := through(t, Options{Consistency: window, Now: clock.Now}, RoleNotFound)
	ctx := t.Context()
	_, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("strict-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
	must(t, err)
	_, err = c.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("strict-profile")})
	must(t, err)
	add := func() error {
		_, err := c.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{
			InstanceProfileName: aws.String("strict-profile"), RoleName: aws.String("strict-role")})
		return err
	}
	err = add()
	wantCode(t, err, "NoSuchEntity", 404)
	if !strings.Contains(err.Error(), "The role with name strict-role cannot be found") {
		t.Errorf("message %q lacks AWS's wording", err)
	}
	wantFired(t, c, RoleNotFound, 1)
	clock.Advance(window)
	must(t, add())
}

func TestCertNotFoundAfterCreate(t *testing.T) {
	clock := newManualClock()
	c := through(t, Options{Consistency: window, Now: clock.Now}, CertNotFound)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	lb, err := c.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("strict-cert"), Subnets: n.App})
	must(t, err)
	tg, err := c.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("strict-cert"), Port: aws.Int32(80),
		Protocol: elbtypes.ProtocolEnumHttp, VpcId: aws.String(n.VPCID)})
	must(t, err)
	cert := env.ServerCertificate(t, c.cfg, "strict-cert")
	create := func() error {
		_, err := c.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
			Port: aws.Int32(443), Protocol: elbtypes.ProtocolEnumHttps, Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(cert)}},
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}})
		return err
	}
	wantCode(t, create(), "CertificateNotFound", 400)
	wantFired(t, c, CertNotFound, 1)
	clock.Advance(window)
	must(t, create())
}

func TestProfileLaunchFailsThenRetries(t *testing.T) {
	c := through(t, Options{Consistency: 3 * time.Second}, ProfileLaunch)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	_, err := c.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("strict-launch")})
	must(t, err)
	_, err = c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("strict-launch"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro,
			IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String("strict-launch")}}})
	must(t, err)
	_, err = c.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("strict-launch"),
		MinSize: aws.Int32(1), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1), VPCZoneIdentifier: aws.String(n.App[0]),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("strict-launch"), Version: aws.String("$Latest")}})
	must(t, err)
	instances := func() int {
		out, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"strict-launch"}})
		must(t, err)
		return len(out.AutoScalingGroups[0].Instances)
	}
	if got := instances(); got != 0 {
		t.Fatalf("group shows %d instances while its profile is new, want 0", got)
	}
	acts, err := c.asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("strict-launch")})
	must(t, err)
	failed := false
	for _, a := range acts.Activities {
		failed = failed || a.StatusCode == astypes.ScalingActivityStatusCodeFailed &&
			strings.Contains(aws.ToString(a.StatusMessage), "Invalid IAM Instance Profile")
	}
	if !failed {
		t.Fatalf("no failed launch activity naming the profile: %+v", acts.Activities)
	}
	wantFired(t, c, ProfileLaunch, 2)
	env.Until(t, "one instance launched once the profile is known", 15*time.Second, env.NoError(func() error {
		if instances() != 1 {
			return errNotYet
		}
		return nil
	}))
}
