package strict

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// A create sent again with the same settings (as the SDK does when the
// first answer was lost) answers the object the first one made, and the API
// still shows one; other settings for the same name or port answer the
// Duplicate error and change nothing.
func TestIdempotentCreate(t *testing.T) {
	c := through(t, Options{}, IdempotentCreate)
	n := twoZones(t, c)
	ctx := t.Context()
	group := newGroup(t, c, n.VPCID, "strict-idem")

	var lbARN string
	t.Run("load balancer", func(t *testing.T) {
		in := &elb.CreateLoadBalancerInput{Name: aws.String("strict-idem"), Subnets: n.App, SecurityGroups: []string{group}}
		first, err := c.elb.CreateLoadBalancer(ctx, in)
		must(t, err)
		lbARN = aws.ToString(first.LoadBalancers[0].LoadBalancerArn)
		again, err := c.elb.CreateLoadBalancer(ctx, in)
		must(t, err)
		if got := aws.ToString(again.LoadBalancers[0].LoadBalancerArn); got != lbARN {
			t.Fatalf("repeat answered %s, want the first load balancer %s", got, lbARN)
		}
		other := *in
		other.Scheme = elbtypes.LoadBalancerSchemeEnumInternal
		_, err = c.elb.CreateLoadBalancer(ctx, &other)
		wantCode(t, err, "DuplicateLoadBalancerName", 400)
		all, err := c.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
		must(t, err)
		named := 0
		for _, lb := range all.LoadBalancers {
			if aws.ToString(lb.LoadBalancerName) == "strict-idem" {
				named++
			}
		}
		if named != 1 {
			t.Fatalf("%d load balancers named strict-idem, want 1", named)
		}
	})

	tgIn := &elb.CreateTargetGroupInput{Name: aws.String("strict-idem"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(8080), VpcId: aws.String(n.VPCID), TargetType: elbtypes.TargetTypeEnumInstance}
	var tgARN string
	t.Run("target group", func(t *testing.T) {
		first, err := c.elb.CreateTargetGroup(ctx, tgIn)
		must(t, err)
		tgARN = aws.ToString(first.TargetGroups[0].TargetGroupArn)
		again, err := c.elb.CreateTargetGroup(ctx, tgIn) // moto: DuplicateTargetGroupName
		must(t, err)
		if got := aws.ToString(again.TargetGroups[0].TargetGroupArn); got != tgARN {
			t.Fatalf("repeat answered %s, want the first target group %s", got, tgARN)
		}
		other := *tgIn
		other.Port = aws.Int32(9090)
		_, err = c.elb.CreateTargetGroup(ctx, &other)
		wantCode(t, err, "DuplicateTargetGroupName", 400)
		got, err := c.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"strict-idem"}})
		must(t, err)
		if len(got.TargetGroups) != 1 || aws.ToInt32(got.TargetGroups[0].Port) != 8080 {
			t.Fatalf("target groups named strict-idem: %+v, want one on port 8080", got.TargetGroups)
		}
	})

	t.Run("listener", func(t *testing.T) {
		if lbARN == "" || tgARN == "" {
			t.Fatal("needs the load balancer and target group of the subtests above")
		}
		otherTG, err := c.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("strict-idem-other"),
			Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String(n.VPCID)})
		must(t, err)
		forward := func(tg string) []elbtypes.Action {
			return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}
		}
		in := &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Port: aws.Int32(80),
			Protocol: elbtypes.ProtocolEnumHttp, DefaultActions: forward(tgARN)}
		first, err := c.elb.CreateListener(ctx, in)
		must(t, err)
		arn := aws.ToString(first.Listeners[0].ListenerArn)
		again, err := c.elb.CreateListener(ctx, in)
		must(t, err)
		if got := aws.ToString(again.Listeners[0].ListenerArn); got != arn || aws.ToInt32(again.Listeners[0].Port) != 80 {
			t.Fatalf("repeat answered %s port %d, want the first listener %s", got, aws.ToInt32(again.Listeners[0].Port), arn)
		}
		other := *in
		other.DefaultActions = forward(aws.ToString(otherTG.TargetGroups[0].TargetGroupArn))
		_, err = c.elb.CreateListener(ctx, &other)
		wantCode(t, err, "DuplicateListener", 400)
		got, err := c.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
		must(t, err)
		if len(got.Listeners) != 1 || aws.ToString(got.Listeners[0].DefaultActions[0].TargetGroupArn) != tgARN {
			t.Fatalf("listeners of the load balancer: %+v, want one forwarding to %s", got.Listeners, tgARN)
		}
	})
	wantFired(t, c, IdempotentCreate, 6)
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
