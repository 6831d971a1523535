package strict

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestAccessLogsBucketRefused(t *testing.T) {
	c := through(t, Options{}, AccessLogsBucket)
	s3c := s3.NewFromConfig(c.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	lb, err := c.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("strict-lb-logs"), Subnets: n.App})
	must(t, err)
	arn := lb.LoadBalancers[0].LoadBalancerArn
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
	_, err = s3c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("logs-kms"),
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
