package strict

import (
	"fmt"
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
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestValidationRefusesWhatAWSRefuses(t *testing.T) {
	c := through(t, Options{}, Validation)
	n := twoZones(t, c)
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

// TestRootVolumeSmallerThanSnapshot: a launch whose root volume is smaller
// than the image's root snapshot (moto's images: 15 GiB) is refused by
// RunInstances and by the Auto Scaling group calls that take the template;
// the snapshot's size is accepted.
func TestRootVolumeSmallerThanSnapshot(t *testing.T) {
	c := through(t, Options{}, RootVolume)
	n := twoZones(t, c)
	ctx := t.Context()
	const image, name = "ami-12c6146b", "strict-rootvol"
	img, err := c.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{image}})
	must(t, err)
	root := aws.ToString(img.Images[0].RootDeviceName)
	mapping := func(gib int32) []ec2types.LaunchTemplateBlockDeviceMappingRequest {
		return []ec2types.LaunchTemplateBlockDeviceMappingRequest{{DeviceName: aws.String(root), Ebs: &ec2types.LaunchTemplateEbsBlockDeviceRequest{VolumeSize: aws.Int32(gib)}}}
	}
	lt, err := c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(image), InstanceType: ec2types.InstanceTypeT3Micro, BlockDeviceMappings: mapping(10)}})
	must(t, err)
	t.Cleanup(func() {
		_, _ = c.asg.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), ForceDelete: aws.Bool(true)})
		_, _ = c.ec2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId})
	})
	wantRefused := func(err error, code string) {
		t.Helper()
		wantCode(t, err, code, 400)
		if !strings.Contains(err.Error(), "Volume of size 10GB is smaller than snapshot 'snap-") || !strings.Contains(err.Error(), "expect size >= 15GB") {
			t.Fatalf("%s does not give EC2's message: %v", code, err)
		}
	}
	group := func(version string) *autoscaling.CreateAutoScalingGroupInput {
		return &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name), MinSize: aws.Int32(1), MaxSize: aws.Int32(1),
			VPCZoneIdentifier: aws.String(n.App[0]), LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String(version)}}
	}

	_, err = c.asg.CreateAutoScalingGroup(ctx, group("1"))
	wantRefused(err, "ValidationError")
	if !strings.Contains(err.Error(), "You must use a valid fully-formed launch template") {
		t.Fatalf("CreateAutoScalingGroup: %v", err)
	}
	out, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	must(t, err)
	if len(out.AutoScalingGroups) != 0 {
		t.Fatalf("the refused group exists: %+v", out.AutoScalingGroups)
	}

	run := func(gib int32) (*ec2.RunInstancesOutput, error) {
		return c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(image), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String(n.App[0]),
			BlockDeviceMappings: []ec2types.BlockDeviceMapping{{DeviceName: aws.String(root), Ebs: &ec2types.EbsBlockDevice{VolumeSize: aws.Int32(gib)}}}})
	}
	_, err = run(10)
	wantRefused(err, "InvalidBlockDeviceMapping")
	ok, err := run(15)
	must(t, err)
	_, err = c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(ok.Instances[0].InstanceId)}})
	must(t, err)

	// A template version at the snapshot's size launches; going back to
	// the small version is refused as the create was.
	_, err = c.ec2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId,
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(image), InstanceType: ec2types.InstanceTypeT3Micro, BlockDeviceMappings: mapping(15)}})
	must(t, err)
	_, err = c.asg.CreateAutoScalingGroup(ctx, group("2"))
	must(t, err)
	_, err = c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")}})
	wantRefused(err, "ValidationError")
	// The same template inside a mixed instances policy is refused too.
	_, err = c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
		MixedInstancesPolicy: &astypes.MixedInstancesPolicy{LaunchTemplate: &astypes.LaunchTemplate{
			LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")},
			Overrides:                   []astypes.LaunchTemplateOverrides{{InstanceType: aws.String("t3.micro")}, {InstanceType: aws.String("t3a.micro")}}}}})
	wantRefused(err, "ValidationError")
	wantFired(t, c, RootVolume, 4)
}

func TestDBSubnetInUseCannotLeaveItsGroup(t *testing.T) {
	c := through(t, Options{}, DBSubnetInUse)
	ctx := t.Context()
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b", "us-east-1c")
	subnets, inC := n.App[:2], n.App[2]
	group := "strict-db-subnets"
	_, err := c.rds.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: aws.String(group),
		DBSubnetGroupDescription: aws.String("x"), SubnetIds: append([]string{inC}, subnets...)})
	must(t, err)
	// moto places a database in the region's "a" zone: subnets[0].
	_, err = c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("strict-db-subnets"), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("app"),
		MasterUserPassword: aws.String("not-a-secret-1"), DBSubnetGroupName: aws.String(group)})
	must(t, err)
	t.Cleanup(func() {
		_, _ = c.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("strict-db-subnets"), SkipFinalSnapshot: aws.Bool(true)})
	})
	modify := func(subnets ...string) error {
		_, err := c.rds.ModifyDBSubnetGroup(ctx, &rds.ModifyDBSubnetGroupInput{DBSubnetGroupName: aws.String(group), SubnetIds: subnets})
		return err
	}
	// Dropping a subnet no database runs in is fine.
	must(t, modify(subnets...))
	// Dropping the one it runs in is refused, also for another subnet in its place.
	err = modify(subnets[1], inC)
	wantCode(t, err, "SubnetAlreadyInUse", 400)
	if err == nil || !strings.Contains(err.Error(), subnets[0]) {
		t.Errorf("refusal %v does not name the subnet in use %s", err, subnets[0])
	}
	wantFired(t, c, DBSubnetInUse, 1)
}

func TestLBAttributesUnknownToPartitionOrType(t *testing.T) {
	c := through(t, Options{UnknownLBAttributes: []string{"zonal_shift.config.enabled"}}, LBAttributes)
	n := twoZones(t, c)
	ctx := t.Context()
	lb := newLB(t, c, n, "strict-lb-attrs")
	modify := func(key, value string) error {
		_, err := c.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lb,
			Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String(key), Value: aws.String(value)}}})
		return err
	}
	for _, tc := range []struct{ key, value, code, message string }{
		{"zonal_shift.config.enabled", "false", "ValidationError", "Load balancer attribute key 'zonal_shift.config.enabled' is not recognized"},
		{"dns_record.client_routing_policy", "any_availability_zone", "InvalidConfigurationRequest",
			"Load balancer attribute key 'dns_record.client_routing_policy' is not supported on load balancers with type 'application'"},
		{"no.such.attribute", "true", "ValidationError", "Load balancer attribute key 'no.such.attribute' is not recognized"}, // moto: "Key no.such.attribute not valid"
	} {
		err := modify(tc.key, tc.value)
		wantCode(t, err, tc.code, 400)
		if !strings.Contains(err.Error(), tc.message) {
			t.Errorf("%s: message %q, want %q", tc.key, err, tc.message)
		}
	}
	wantFired(t, c, LBAttributes, 3)
	must(t, modify("routing.http.drop_invalid_header_fields.enabled", "true")) // known to the partition and the type
}

func TestInvalidTargetForTerminatedInstance(t *testing.T) {
	c := through(t, Options{}, InvalidTarget)
	n := twoZones(t, c)
	ctx := t.Context()
	tg, err := c.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("strict-invalid-target"), Port: aws.Int32(80),
		Protocol: elbtypes.ProtocolEnumHttp, VpcId: aws.String(n.VPCID)})
	must(t, err)
	arn := tg.TargetGroups[0].TargetGroupArn
	run, err := c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro,
		MinCount: aws.Int32(2), MaxCount: aws.Int32(2), SubnetId: aws.String(n.App[0])})
	must(t, err)
	live, gone := aws.ToString(run.Instances[0].InstanceId), aws.ToString(run.Instances[1].InstanceId)
	targets := func(ids ...string) []elbtypes.TargetDescription {
		var out []elbtypes.TargetDescription
		for _, id := range ids {
			out = append(out, elbtypes.TargetDescription{Id: aws.String(id)})
		}
		return out
	}
	_, err = c.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: arn, Targets: targets(live, gone)})
	must(t, err)
	_, err = c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{gone}})
	must(t, err)

	_, err = c.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn, Targets: targets(live, gone)})
	wantCode(t, err, "InvalidTarget", 400) // moto answers "healthy"
	wantFired(t, c, InvalidTarget, 1)
	_, err = c.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn, Targets: targets(live)})
	must(t, err) // a live instance is still a valid target
	_, err = c.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: arn})
	must(t, err) // the whole group names no target
}

func TestAccessLogsBucketRefused(t *testing.T) {
	c := through(t, Options{}, AccessLogsBucket)
	s3c := s3.NewFromConfig(c.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	n := twoZones(t, c)
	ctx := t.Context()
	arn := newLB(t, c, n, "strict-lb-logs")
	account := arnAccount(aws.ToString(arn))
	logsTo := func(bucket, prefix string) error {
		_, err := c.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: arn,
			Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("access_logs.s3.enabled"), Value: aws.String("true")},
				{Key: aws.String("access_logs.s3.bucket"), Value: aws.String(bucket)}, {Key: aws.String("access_logs.s3.prefix"), Value: aws.String(prefix)}}})
		return err
	}
	bucket := func(name, policy string) {
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		must(t, err)
		if policy != "" {
			_, err = s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), Policy: aws.String(policy)})
			must(t, err)
		}
	}
	policy := func(principal, resource string) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":%s,"Action":"s3:PutObject","Resource":%q}]}`, principal, resource)
	}
	service := `{"Service":"` + ELBLogDeliveryService + `"}`
	bucket("logs-service", policy(service, "arn:aws:s3:::logs-service/lb/AWSLogs/"+account+"/*"))
	bucket("logs-account", policy(`{"AWS":"arn:aws:iam::`+ELBAccountIDs["us-east-1"]+`:root"}`, "arn:aws:s3:::logs-account/*"))
	bucket("logs-nopolicy", "")
	bucket("logs-otherprefix", policy(service, "arn:aws:s3:::logs-otherprefix/app/AWSLogs/"+account+"/*"))
	bucket("logs-kms", policy(service, "arn:aws:s3:::logs-kms/*"))
	_, err := s3c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("logs-kms"),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{
			{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms}}}}})
	must(t, err)

	refused := 0
	for _, tc := range []struct {
		bucket, prefix string
		ok             bool
	}{
		{"logs-service", "lb", true}, {"logs-account", "any/prefix", true},
		{"logs-missing", "lb", false}, {"logs-nopolicy", "lb", false}, {"logs-otherprefix", "lb", false}, {"logs-kms", "lb", false},
	} {
		err := logsTo(tc.bucket, tc.prefix)
		if tc.ok {
			must(t, err)
			continue
		}
		refused++
		wantCode(t, err, "InvalidConfigurationRequest", 400)
		if want := "Access Denied for bucket: " + tc.bucket + ". Please check S3bucket permission"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", tc.bucket, err, want)
		}
	}
	wantFired(t, c, AccessLogsBucket, refused)
	// Turning logs off never looks at a bucket.
	_, err = c.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: arn,
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("access_logs.s3.enabled"), Value: aws.String("false")}}})
	must(t, err)
}
