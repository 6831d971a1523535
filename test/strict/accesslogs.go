package strict

import (
	"encoding/json"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ELBLogDeliveryService is the service principal Elastic Load Balancing
// writes access logs as in Regions available as of August 2022 or later;
// ELBAccountIDs are the accounts it writes as in the Regions available
// before (Elastic Load Balancing User Guide, "Enable access logs for your
// Application Load Balancer", Step 2: Attach a policy to your S3 bucket).
// A bucket policy must grant one of them s3:PutObject on
// <bucket>/<prefix>/AWSLogs/<account>/*.
const ELBLogDeliveryService = "logdelivery.elasticloadbalancing.amazonaws.com"

// ELBAccountIDs is that list, by region.
var ELBAccountIDs = map[string]string{
	"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980", "us-west-2": "797873946194",
	"af-south-1": "098369216593", "ap-east-1": "754344448648", "ap-southeast-3": "589379963580", "ap-south-1": "718504428378",
	"ap-northeast-3": "383597477331", "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
	"ap-northeast-1": "582318560864", "ca-central-1": "985666609251", "eu-central-1": "054676820928", "eu-west-1": "156460612806",
	"eu-west-2": "652711504416", "eu-south-1": "635631232127", "eu-west-3": "009996457667", "eu-north-1": "897822967062",
	"me-south-1": "076674570225", "sa-east-1": "507241528517", "us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635",
	"cn-north-1": "638102146993", "cn-northwest-1": "037604701340",
}

// accessLogsBucketRule answers ModifyLoadBalancerAttributes turning access
// logs on as AWS does when the load balancer cannot write to the bucket:
// InvalidConfigurationRequest "Access Denied for bucket: <name>. Please
// check S3bucket permission". AWS checks this at the call (it writes a test
// object); moto accepts any bucket name, even one that does not exist.
// Refused: a bucket that does not exist, one in another region, one whose
// default encryption is not SSE-S3 ("The only server-side encryption option
// that's supported is Amazon S3-managed keys (SSE-S3)"), and one whose
// policy does not allow s3:PutObject on <prefix>/AWSLogs/<account>/ to the
// region's ELB account or the log delivery service. Sources: Elastic Load
// Balancing User Guide, "Enable access logs for your Application Load
// Balancer" (bucket requirements and policy); the message as
// aws-load-balancer-controller #1956 and terraform-aws-modules s3-bucket
// #98 quote it; hashicorp/aws does not retry it (elbv2/load_balancer.go,
// modifyLoadBalancerAttributes).
func accessLogsBucketRule() *rule {
	return &rule{name: AccessLogsBucket,
		before: func(l *Layer, c *call) *apiError {
			if !c.is("elasticloadbalancing", "ModifyLoadBalancerAttributes") {
				return nil
			}
			attrs := map[string]string{}
			keys, values := c.list("Attributes.member", "Key"), c.list("Attributes.member", "Value")
			for i, k := range keys {
				if i < len(values) {
					attrs[k] = values[i]
				}
			}
			if attrs["access_logs.s3.enabled"] != "true" {
				return nil
			}
			bucket, prefix := attrs["access_logs.s3.bucket"], attrs["access_logs.s3.prefix"]
			account := arnAccount(c.params.Get("LoadBalancerArn"))
			if !bucketAcceptsLogs(l, c.region, bucket, prefix, account) {
				return errorf(400, "InvalidConfigurationRequest", "Access Denied for bucket: %s. Please check S3bucket permission", bucket)
			}
			return nil
		}}
}

// arnAccount is the account field of an ARN.
func arnAccount(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// bucketAcceptsLogs looks the bucket up in the emulator.
func bucketAcceptsLogs(l *Layer, region, bucket, prefix, account string) bool {
	if bucket == "" {
		return false
	}
	ctx, cancel := sideCtx()
	defer cancel()
	client := l.side.s3(region)
	loc, err := client.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil {
		return false
	}
	if got := string(loc.LocationConstraint); got != region && !(got == "" && region == "us-east-1") {
		return false
	}
	enc, err := client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if err == nil && enc.ServerSideEncryptionConfiguration != nil {
		for _, r := range enc.ServerSideEncryptionConfiguration.Rules {
			if d := r.ApplyServerSideEncryptionByDefault; d != nil && d.SSEAlgorithm != "AES256" {
				return false
			}
		}
	}
	pol, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		return false
	}
	key := "AWSLogs/" + account + "/elasticloadbalancing/" + region + "/test"
	if prefix != "" {
		key = prefix + "/" + key
	}
	return policyAllowsLogs(aws.ToString(pol.Policy), bucket, key, ELBAccountIDs[region])
}

// policyAllowsLogs reports whether a bucket policy has an Allow statement
// for s3:PutObject on bucket/key to the log delivery service or the ELB
// account (as its root ARN or bare ID). Deny statements are not modelled.
func policyAllowsLogs(doc, bucket, key, elbAccount string) bool {
	var p struct {
		Statement []struct {
			Effect    string
			Principal json.RawMessage
			Action    json.RawMessage
			Resource  json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return false
	}
	object := "arn:aws:s3:::" + bucket + "/" + key
	for _, s := range p.Statement {
		if s.Effect != "Allow" || !anyMatch(strs(s.Action), "s3:PutObject") || !anyMatch(strs(s.Resource), object) {
			continue
		}
		var pr struct{ Service, AWS json.RawMessage }
		if json.Unmarshal(s.Principal, &pr) != nil {
			continue
		}
		for _, svc := range strs(pr.Service) {
			if svc == ELBLogDeliveryService {
				return true
			}
		}
		for _, a := range strs(pr.AWS) {
			if elbAccount != "" && (a == elbAccount || strings.HasSuffix(a, ":iam::"+elbAccount+":root")) {
				return true
			}
		}
	}
	return false
}

// strs reads a policy field that is a string or a list of strings.
func strs(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// anyMatch reports whether a policy pattern (with * and ?) matches v.
func anyMatch(patterns []string, v string) bool {
	for _, p := range patterns {
		if p == "*" || p == "s3:*" {
			return true
		}
		if ok, err := path.Match(strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(v, "/", "\x00")); err == nil && ok {
			return true
		}
	}
	return false
}
