package strict

import (
	"net/http/httptest"
	"regexp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// Load balancer attributes only one type of load balancer has (ELBv2 API
// reference, LoadBalancerAttribute: each key lists the types it applies
// to). moto accepts every key it knows on any type.
var (
	albOnlyAttributes = []string{"idle_timeout.timeout_seconds", "client_keep_alive.seconds", "routing.http.desync_mitigation_mode",
		"routing.http.drop_invalid_header_fields.enabled", "routing.http.preserve_host_header.enabled",
		"routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "routing.http.xff_client_port.enabled",
		"routing.http.xff_header_processing.mode", "routing.http2.enabled", "waf.fail_open.enabled"}
	nlbOnlyAttributes = []string{"dns_record.client_routing_policy"}
)

// reMotoUnknownKey is moto's refusal of a key it does not know
// (InvalidConfigurationRequest "Key X not valid").
var reMotoUnknownKey = regexp.MustCompile(`Key (\S+) not valid`)

// lbAttributesRule answers ModifyLoadBalancerAttributes as AWS does for a
// key the partition does not have (ValidationError "Load balancer attribute
// key 'K' is not recognized": Options.UnknownLBAttributes names the keys,
// as partitions differ in which they have) or the load balancer's type does
// not support (InvalidConfigurationRequest "Load balancer attribute key 'K'
// is not supported on load balancers with type 'T'"), and rewrites moto's
// own refusal of a key it does not know into AWS's "not recognized".
// Source: the messages as hashicorp/aws quotes them
// (elbv2/load_balancer.go, modifyLoadBalancerAttributes, which drops such
// keys and writes the rest again); ELBv2 API reference,
// LoadBalancerAttribute.
func lbAttributesRule() *rule {
	return &rule{name: LBAttributes,
		before: func(l *Layer, c *call) *apiError {
			if !c.is("elasticloadbalancing", "ModifyLoadBalancerAttributes") {
				return nil
			}
			keys := c.list("Attributes.member", "Key")
			for _, k := range keys {
				if slices.Contains(l.opts.UnknownLBAttributes, k) {
					return notRecognized(k)
				}
			}
			ctx, cancel := sideCtx()
			defer cancel()
			out, err := l.side.region(c.region).elb.DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{
				LoadBalancerArns: []string{c.params.Get("LoadBalancerArn")}})
			if err != nil || len(out.LoadBalancers) == 0 {
				return nil
			}
			typ := string(out.LoadBalancers[0].Type)
			for _, k := range keys {
				if (typ == "application" && slices.Contains(nlbOnlyAttributes, k)) || (typ == "network" && slices.Contains(albOnlyAttributes, k)) {
					return errorf(400, "InvalidConfigurationRequest", "Load balancer attribute key '%s' is not supported on load balancers with type '%s'", k, typ)
				}
			}
			return nil
		},
		after: func(_ *Layer, c *call, resp *response) bool {
			if !c.is("elasticloadbalancing", "ModifyLoadBalancerAttributes") || resp.ok() {
				return false
			}
			m := reMotoUnknownKey.FindSubmatch(resp.body)
			if m == nil {
				return false
			}
			rec := httptest.NewRecorder()
			notRecognized(string(m[1])).write(rec, c)
			resp.status, resp.header, resp.body = rec.Code, rec.Header(), rec.Body.Bytes()
			return true
		}}
}

func notRecognized(key string) *apiError {
	return errorf(400, "ValidationError", "Load balancer attribute key '%s' is not recognized", key)
}
