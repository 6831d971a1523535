package zonalshift

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// attrZonalShift is the load balancer attribute that makes an Application
// Load Balancer a managed resource of ARC ("Enable zonal shift for your
// Application Load Balancer", Elastic Load Balancing User Guide: zonal shift
// is disabled by default and must be enabled on each load balancer).
const attrZonalShift = "zonal_shift.config.enabled"

// lookupTimeout bounds a look-up made on behalf of one call.
const lookupTimeout = 10 * time.Second

// resource is a load balancer as ARC sees it.
type resource struct {
	ARN, Name string
	// Zones maps the load balancer's zone IDs to their names.
	Zones   map[string]string
	Enabled bool
}

// zoneName is the name of the resource's zone with ID awayFrom, or the
// API's InvalidAz error when the resource has no such zone.
func (r resource) zoneName(awayFrom string) (string, *apiError) {
	name, ok := r.Zones[awayFrom]
	if !ok {
		return "", invalid("InvalidAz", "awayFrom %s is not an Availability Zone ID of resource %s", awayFrom, r.Name)
	}
	return name, nil
}

// resources looks load balancers and zones up in the emulator behind, with
// SDK clients that call its handler in-process.
type resources struct {
	elb *elb.Client
	ec2 *ec2.Client
	// registered, when set, tells whether ARC has registered a load
	// balancer whose zonal shift attribute is on.
	registered func(arn string) bool
}

func newResources(next http.Handler, region string) *resources {
	cfg := env.AWSConfig("http://zonalshift.invalid")
	cfg.Region, cfg.HTTPClient = region, handlerClient{next}
	return &resources{elb: elb.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg)}
}

// handlerClient sends SDK requests to an http.Handler in-process.
type handlerClient struct{ h http.Handler }

func (h handlerClient) Do(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// all returns every Application Load Balancer, enabled for zonal shift or not.
func (r *resources) all(ctx context.Context) ([]resource, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	var lbs []elbtypes.LoadBalancer
	pages := elb.NewDescribeLoadBalancersPaginator(r.elb, &elb.DescribeLoadBalancersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing load balancers: %w", err)
		}
		lbs = append(lbs, page.LoadBalancers...)
	}
	ids, err := r.zoneIDs(ctx)
	if err != nil {
		return nil, err
	}
	var out []resource
	for _, lb := range lbs {
		if lb.Type != elbtypes.LoadBalancerTypeEnumApplication && lb.Type != "" {
			continue
		}
		res := resource{ARN: aws.ToString(lb.LoadBalancerArn), Name: aws.ToString(lb.LoadBalancerName), Zones: map[string]string{}}
		for _, az := range lb.AvailabilityZones {
			name := aws.ToString(az.ZoneName)
			res.Zones[ids[name]] = name
		}
		attrs, err := r.elb.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn})
		if err != nil {
			return nil, fmt.Errorf("describing attributes of %s: %w", res.Name, err)
		}
		for _, a := range attrs.Attributes {
			if aws.ToString(a.Key) == attrZonalShift {
				res.Enabled = aws.ToString(a.Value) == "true"
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// managed returns the managed resources: load balancers with zonal shift on.
func (r *resources) managed(ctx context.Context) ([]resource, error) {
	all, err := r.all(ctx)
	if err != nil {
		return nil, err
	}
	var out []resource
	for _, res := range all {
		if res.Enabled && (r.registered == nil || r.registered(res.ARN)) {
			out = append(out, res)
		}
	}
	return out, nil
}

// find returns the managed resource with the ARN, if there is one.
func (r *resources) find(ctx context.Context, arn string) (resource, bool, error) {
	managed, err := r.managed(ctx)
	if err != nil {
		return resource{}, false, err
	}
	for _, res := range managed {
		if res.ARN == arn {
			return res, true, nil
		}
	}
	return resource{}, false, nil
}

// zoneIDs maps the region's zone names to their IDs.
func (r *resources) zoneIDs(ctx context.Context) (map[string]string, error) {
	out, err := r.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		return nil, fmt.Errorf("describing availability zones: %w", err)
	}
	ids := map[string]string{}
	for _, z := range out.AvailabilityZones {
		ids[aws.ToString(z.ZoneName)] = aws.ToString(z.ZoneId)
	}
	return ids, nil
}
