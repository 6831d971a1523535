package cloud

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"

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

// lbAttributes are the load balancer attributes the stack sets.
type lbAttributes struct{ dropInvalidHeaders, zonalShift bool }

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
		}
	}
}

// findLBAttributes reads the attributes (a call Observe makes only for import).
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
	applied, err := modifyLBAttributes(ctx, c.elb, arn, change)
	if err != nil {
		return lbAttributes{}, fmt.Errorf("setting attributes of load balancer (%s): %w", name, err)
	}
	have.set(applied)
	return have, nil
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
