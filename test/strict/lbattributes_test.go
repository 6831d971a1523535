package strict

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestLBAttributesUnknownToPartitionOrType(t *testing.T) {
	c := through(t, Options{UnknownLBAttributes: []string{"zonal_shift.config.enabled"}}, LBAttributes)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	lb, err := c.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("strict-lb-attrs"), Subnets: n.App})
	must(t, err)
	modify := func(key, value string) error {
		_, err := c.elb.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
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
