package strict

import (
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
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestValidationRefusesWhatAWSRefuses(t *testing.T) {
	c := through(t, Options{}, Validation)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	lb := func(name string) error {
		_, err := c.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(name), Subnets: n.App})
		return err
	}
	tg := func(name string, interval, timeout int32) error {
		_, err := c.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Port: aws.Int32(80),
			Protocol: elbtypes.ProtocolEnumHttp, VpcId: aws.String(n.VPCID),
			HealthCheckIntervalSeconds: aws.Int32(interval), HealthCheckTimeoutSeconds: aws.Int32(timeout)})
		return err
	}
	cases := []struct {
		name string
		call func() error
		code string
	}{
		{"lb name over 32", func() error { return lb(strings.Repeat("a", 33)) }, "ValidationError"},
		{"lb name internal-", func() error { return lb("internal-web") }, "ValidationError"},
		{"lb name trailing hyphen", func() error { return lb("web-") }, "ValidationError"},
		{"lb name underscore", func() error { return lb("web_1") }, "ValidationError"},
		{"tg name over 32", func() error { return tg(strings.Repeat("t", 33), 15, 5) }, "ValidationError"},
		{"tg timeout not below interval", func() error { return tg("strict-tg", 5, 5) }, "ValidationError"},
		{"role name over 64", func() error {
			_, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(strings.Repeat("r", 65)), AssumeRolePolicyDocument: aws.String("{}")})
			return err
		}, "ValidationError"},
		{"profile name over 128", func() error {
			_, err := c.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(strings.Repeat("p", 129))})
			return err
		}, "ValidationError"},
		{"security group named sg-", func() error {
			_, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("sg-web"), Description: aws.String("x"), VpcId: aws.String(n.VPCID)})
			return err
		}, "InvalidParameterValue"},
		{"launch template name too short", func() error {
			_, err := c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("lt"),
				LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b")}})
			return err
		}, "InvalidLaunchTemplateName.MalformedException"},
		{"launch template hop limit over 64", func() error {
			_, err := c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("strict-hop"),
				LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"),
					MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{HttpPutResponseHopLimit: aws.Int32(65)}}})
			return err
		}, "InvalidParameterValue"},
		{"db identifier starts with digit", func() error {
			_, err := c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("1db"), Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t3.micro")})
			return err
		}, "InvalidParameterValue"},
		{"db identifier double hyphen", func() error {
			_, err := c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("a--b"), Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t3.micro")})
			return err
		}, "InvalidParameterValue"},
		{"db master username reserved", func() error {
			_, err := c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("strict-db"), Engine: aws.String("postgres"),
				DBInstanceClass: aws.String("db.t3.micro"), MasterUsername: aws.String("user")})
			return err
		}, "InvalidParameterValue"},
		{"db master username RDS's own", func() error {
			_, err := c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("strict-db"), Engine: aws.String("mysql"),
				DBInstanceClass: aws.String("db.t3.micro"), MasterUsername: aws.String("rdsadmin")})
			return err
		}, "InvalidParameterValue"},
		{"db master username over 16", func() error {
			_, err := c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("strict-db"), Engine: aws.String("postgres"),
				DBInstanceClass: aws.String("db.t3.micro"), MasterUsername: aws.String(strings.Repeat("u", 17))})
			return err
		}, "InvalidParameterValue"},
		{"db max storage equal to allocated", func() error {
			_, err := c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("strict-db"), Engine: aws.String("postgres"),
				DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), MaxAllocatedStorage: aws.Int32(20)})
			return err
		}, "InvalidParameterCombination"},
		{"launch template delete naming nothing", func() error {
			_, err := c.ec2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{})
			return err
		}, "MissingParameter"},
		{"subnet group named default", func() error {
			_, err := c.rds.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: aws.String("default"), DBSubnetGroupDescription: aws.String("x"), SubnetIds: n.App})
			return err
		}, "InvalidParameterValue"},
		{"asg with a launch template and a mixed instances policy", func() error {
			spec := &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("strict-both"), Version: aws.String("1")}
			_, err := c.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("strict-both"), MinSize: aws.Int32(0), MaxSize: aws.Int32(0),
				VPCZoneIdentifier: aws.String(n.App[0]), LaunchTemplate: spec,
				MixedInstancesPolicy: &astypes.MixedInstancesPolicy{LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: spec}}})
			return err
		}, "ValidationError"},
		{"asg name over 255", func() error {
			_, err := c.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(strings.Repeat("g", 256)), MinSize: aws.Int32(0), MaxSize: aws.Int32(0)})
			return err
		}, "ValidationError"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), tc.code, 400) })
	}
	wantFired(t, c, Validation, len(cases))
	must(t, lb("strict-valid-name")) // a valid name still passes
	must(t, tg("strict-valid", 15, 5))
}
