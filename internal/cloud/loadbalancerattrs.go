package cloud

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// attrDropInvalidHeaders is the load balancer attribute behind
// LoadBalancerProps.DropInvalidHeaderFields.
const attrDropInvalidHeaders = "routing.http.drop_invalid_header_fields.enabled"

// attrZonalShift is the load balancer attribute behind
// LoadBalancerProps.ZonalShift: ARC zonal shift integration, off by default
// ("Enable zonal shift for your Application Load Balancer", Elastic Load
// Balancing User Guide); hashicorp/aws sets it the same way, with
// ModifyLoadBalancerAttributes after create (elbv2/load_balancer.go,
// enable_zonal_shift).
const attrZonalShift = "zonal_shift.config.enabled"

// The load balancer attributes behind LoadBalancerProps.AccessLogs
// ("Access logs for your Application Load Balancer", Elastic Load Balancing
// User Guide). hashicorp/aws writes them the same way (elbv2/load_balancer.go,
// expandLoadBalancerAccessLogsAttributes): enabled with bucket and prefix
// when on, enabled=false alone when off, the bucket and prefix AWS keeps
// then being no longer used.
const (
	attrAccessLogsEnabled = "access_logs.s3.enabled"
	attrAccessLogsBucket  = "access_logs.s3.bucket"
	attrAccessLogsPrefix  = "access_logs.s3.prefix"
)

// lbAttributes are the load balancer attributes the stack sets.
type lbAttributes struct {
	dropInvalidHeaders, zonalShift bool
	// accessLogs is nil while access logging is off.
	accessLogs *blueprint.AccessLogsSpec
	// logsBucket and logsPrefix are what AWS reports, on or off.
	logsOn                 bool
	logsBucket, logsPrefix string
}

// lbAttributesOf reads the attributes; one AWS does not report (a partition
// without the feature) holds AWS's default, false.
func lbAttributesOf(attrs []elbtypes.LoadBalancerAttribute) lbAttributes {
	var out lbAttributes
	out.set(attrs)
	return out
}

// set records attributes written or read over the ones known.
func (a *lbAttributes) set(attrs []elbtypes.LoadBalancerAttribute) {
	for _, at := range attrs {
		switch aws.ToString(at.Key) {
		case attrDropInvalidHeaders:
			a.dropInvalidHeaders = aws.ToString(at.Value) == "true"
		case attrZonalShift:
			a.zonalShift = aws.ToString(at.Value) == "true"
		case attrAccessLogsEnabled:
			a.logsOn = aws.ToString(at.Value) == "true"
		case attrAccessLogsBucket:
			a.logsBucket = aws.ToString(at.Value)
		case attrAccessLogsPrefix:
			a.logsPrefix = aws.ToString(at.Value)
		}
	}
	a.accessLogs = nil
	if a.logsOn {
		a.accessLogs = &blueprint.AccessLogsSpec{Bucket: a.logsBucket, Prefix: a.logsPrefix}
	}
}

// sameAccessLogs reports whether access logging is as wanted: both off, or
// both on to the same bucket and prefix.
func sameAccessLogs(have, want *blueprint.AccessLogsSpec) bool {
	if have == nil || want == nil {
		return have == want
	}
	return *have == *want
}

// describeAccessLogs words access logging for drift messages.
func describeAccessLogs(a *blueprint.AccessLogsSpec) string {
	if a == nil {
		return "off"
	}
	return fmt.Sprintf("s3://%s/%s", a.Bucket, a.Prefix)
}

// accessLogsAttributes are the attributes that turn logging to want on or off.
func accessLogsAttributes(want *blueprint.AccessLogsSpec) []elbtypes.LoadBalancerAttribute {
	if want == nil {
		return []elbtypes.LoadBalancerAttribute{{Key: aws.String(attrAccessLogsEnabled), Value: aws.String("false")}}
	}
	return []elbtypes.LoadBalancerAttribute{
		{Key: aws.String(attrAccessLogsEnabled), Value: aws.String("true")},
		{Key: aws.String(attrAccessLogsBucket), Value: aws.String(want.Bucket)},
		{Key: aws.String(attrAccessLogsPrefix), Value: aws.String(want.Prefix)},
	}
}

// findLBAttributes reads the attributes (one call, which every Observe makes).
func findLBAttributes(ctx context.Context, client *elb.Client, arn string) (lbAttributes, error) {
	out, err := client.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn)})
	if err != nil {
		return lbAttributes{}, fmt.Errorf("reading attributes of load balancer (%s): %w", arn, err)
	}
	return lbAttributesOf(out.Attributes), nil
}

// setAttributes writes the attributes that differ from what AWS has, and
// only those: an attribute at AWS's default is never written, so a
// zonal_shift.config.enabled left false is no call at all (a partition that
// lacks zonal shift refuses the key even when false). It returns the
// attributes as they are afterwards.
func (c loadBalancers) setAttributes(ctx context.Context, name, arn string, props blueprint.LoadBalancerProps) (lbAttributes, error) {
	have, err := findLBAttributes(ctx, c.elb, arn)
	if err != nil {
		return lbAttributes{}, err
	}
	var change []elbtypes.LoadBalancerAttribute
	add := func(differs bool, key string, v bool) {
		if differs {
			change = append(change, elbtypes.LoadBalancerAttribute{Key: aws.String(key), Value: aws.String(strconv.FormatBool(v))})
		}
	}
	add(have.dropInvalidHeaders != props.DropInvalidHeaderFields, attrDropInvalidHeaders, props.DropInvalidHeaderFields)
	add(have.zonalShift != props.ZonalShift, attrZonalShift, props.ZonalShift)
	if !sameAccessLogs(have.accessLogs, props.AccessLogs) {
		change = append(change, accessLogsAttributes(props.AccessLogs)...)
	}
	applied, err := modifyLBAttributes(ctx, c.elb, arn, change)
	if err != nil {
		return lbAttributes{}, fmt.Errorf("setting attributes of load balancer (%s): %w%s", name, err, accessLogsHint(err, props.AccessLogs))
	}
	have.set(applied)
	return have, nil
}

// accessLogsHint says what to do when AWS refuses the access logs bucket:
// ModifyLoadBalancerAttributes checks, when logging is turned on, that the
// load balancer may write to the bucket, and answers
// InvalidConfigurationRequest "Access Denied for bucket: <name>. Please
// check S3bucket permission" when the bucket policy does not allow it (or
// the bucket is in another region, or encrypted with KMS). AWS documents no
// retry for it, nor does hashicorp/aws retry it (elbv2/load_balancer.go,
// modifyLoadBalancerAttributes), so the apply fails and says why.
func accessLogsHint(err error, want *blueprint.AccessLogsSpec) string {
	if want == nil || !isCode(err, errCodeInvalidConfigurationRequest) || !strings.Contains(errMessage(err), "Access Denied for bucket") {
		return ""
	}
	return fmt.Sprintf(": access_logs: the bucket %s must be in the load balancer's region, encrypted with SSE-S3 (not KMS), and its bucket policy must let "+
		"Elastic Load Balancing put objects under %sAWSLogs/<account>/ (the web-app module's access-logs bucket has that policy)", want.Bucket, prefixPath(want.Prefix))
}

// prefixPath is the prefix as the start of an object key.
func prefixPath(prefix string) string {
	if prefix == "" {
		return ""
	}
	return prefix + "/"
}

// reUnknownLBAttribute reads the key out of AWS's refusal of an attribute
// the partition does not have (ValidationError "Load balancer attribute key
// 'routing.http.desync_mitigation_mode' is not recognized") or the load
// balancer's type does not support (InvalidConfigurationRequest "Load
// balancer attribute key 'dns_record.client_routing_policy' is not
// supported on load balancers with type 'network'"); both messages as
// hashicorp/aws quotes them (elbv2/load_balancer.go,
// modifyLoadBalancerAttributes).
var reUnknownLBAttribute = regexp.MustCompile(`attribute key ['"]?([A-Za-z0-9_.]+)['"]? is not (?:recognized|supported)`)

// modifyLBAttributes writes attrs. A key AWS refuses as unknown to the
// partition or the load balancer type is dropped and the rest written
// again, each key once, as hashicorp/aws does; the answer is the attributes
// written.
func modifyLBAttributes(ctx context.Context, client *elb.Client, arn string, attrs []elbtypes.LoadBalancerAttribute) ([]elbtypes.LoadBalancerAttribute, error) {
	for len(attrs) > 0 {
		_, err := client.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn), Attributes: attrs})
		if err == nil {
			return attrs, nil
		}
		m := reUnknownLBAttribute.FindStringSubmatch(errMessage(err))
		if m == nil || !isCode(err, errCodeValidationError, errCodeInvalidConfigurationRequest) {
			return nil, err
		}
		n := len(attrs)
		attrs = slices.DeleteFunc(attrs, func(a elbtypes.LoadBalancerAttribute) bool { return aws.ToString(a.Key) == m[1] })
		if len(attrs) == n {
			return nil, err // a key not asked for: nothing to drop
		}
	}
	return nil, nil
}
