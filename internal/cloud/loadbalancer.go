package cloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// The application load balancer. Its attributes (header handling, zonal
// shift, access logs) are set on every create and update, each only when it
// differs from AWS's, and read back by every Observe: a change made outside
// Terraform is drift.
type loadBalancers struct{ *Cloud }

// describeTagsLimit is DescribeTags' limit of resources per call. API limit.
const describeTagsLimit = 20

func (c loadBalancers) findLoadBalancerByName(ctx context.Context, name string) (*elbtypes.LoadBalancer, error) {
	return c.findLoadBalancer(ctx, &elb.DescribeLoadBalancersInput{Names: []string{name}}, name)
}

func (c loadBalancers) findLoadBalancerByARN(ctx context.Context, arn string) (*elbtypes.LoadBalancer, error) {
	return c.findLoadBalancer(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}}, arn)
}

func (c loadBalancers) findLoadBalancer(ctx context.Context, input *elb.DescribeLoadBalancersInput, id string) (*elbtypes.LoadBalancer, error) {
	var found []elbtypes.LoadBalancer
	pages := elb.NewDescribeLoadBalancersPaginator(c.elb, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading load balancer (%s): %w", id, asNotFound(err, "load balancer", id, errCodeLoadBalancerNotFound))
		}
		found = append(found, page.LoadBalancers...)
	}
	if len(found) == 0 {
		return nil, notFound("load balancer", id)
	}
	return &found[0], nil
}

// findELBTags reads the tags of load balancers, target groups and listeners.
func findELBTags(ctx context.Context, client *elb.Client, arns []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for chunk := range slices.Chunk(arns, describeTagsLimit) {
		res, err := client.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: chunk})
		if err != nil {
			return nil, fmt.Errorf("reading tags of %s: %w", strings.Join(chunk, ", "), err)
		}
		for _, d := range res.TagDescriptions {
			out[aws.ToString(d.ResourceArn)] = fromELBTags(d.Tags)
		}
	}
	return out, nil
}

// addELBTags adds the desired tags a resource lacks.
func addELBTags(ctx context.Context, client *elb.Client, arn string, want, have map[string]string) error {
	missing := missingTags(want, have)
	if len(missing) == 0 {
		return nil
	}
	if _, err := client.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{arn}, Tags: elbTags(missing)}); err != nil {
		return fmt.Errorf("tagging %s: %w", arn, err)
	}
	return nil
}

func (c loadBalancers) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.LoadBalancerProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	// Look first: CreateLoadBalancer with a taken name is not guaranteed to
	// fail or to return the existing one, and a second load balancer would leak.
	lb, err := c.findLoadBalancerByName(ctx, p.Name)
	switch {
	case err == nil:
		tags, err := findELBTags(ctx, c.elb, []string{aws.ToString(lb.LoadBalancerArn)})
		if err != nil {
			return engine.Observation{}, err
		}
		if err := checkOwned(p, "load balancer", p.Name, tags[aws.ToString(lb.LoadBalancerArn)]); err != nil {
			return engine.Observation{}, err
		}
		return c.update(ctx, p, engine.Observation{ARN: aws.ToString(lb.LoadBalancerArn)}, refs)
	case !errors.Is(err, ErrNotFound):
		return engine.Observation{}, err
	}
	sg, err := ref(refs, props.SecurityGroupKey)
	if err != nil {
		return engine.Observation{}, err
	}
	out, err := createCall(ctx, c.elb.CreateLoadBalancer, &elb.CreateLoadBalancerInput{
		Name: aws.String(p.Name), Type: elbtypes.LoadBalancerTypeEnumApplication, Scheme: scheme(props.Internal),
		IpAddressType: elbtypes.IpAddressTypeIpv4, Subnets: props.SubnetIDs, SecurityGroups: []string{sg.ID}, Tags: elbTags(p.Tags),
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("creating load balancer (%s): %w", p.Name, err)
	}
	// From here on the load balancer exists and is ours, whatever fails next.
	arn := aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
	if err := c.waitLoadBalancerAvailable(ctx, arn); err != nil {
		return createdObservation(p, p.Name, arn, arn), err
	}
	o, err := c.update(ctx, p, engine.Observation{ARN: arn}, refs)
	if err != nil {
		return createdObservation(p, p.Name, arn, arn), err
	}
	return o, nil
}

// update changes subnets and security groups in place and (re)applies the
// attributes. The scheme cannot change in place.
func (c loadBalancers) update(ctx context.Context, p blueprint.Part, cur engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.LoadBalancerProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	sg, err := ref(refs, props.SecurityGroupKey)
	if err != nil {
		return engine.Observation{}, err
	}
	var lb *elbtypes.LoadBalancer
	if cur.ARN != "" {
		lb, err = c.findLoadBalancerByARN(ctx, cur.ARN)
	} else {
		lb, err = c.findLoadBalancerByName(ctx, p.Name)
	}
	if err != nil {
		return engine.Observation{}, err
	}
	arn := aws.ToString(lb.LoadBalancerArn)
	if lb.Scheme != scheme(props.Internal) {
		return engine.Observation{}, fmt.Errorf("updating load balancer (%s): its scheme is %s and AWS cannot change it in place; delete the load balancer or rename the stack", p.Name, lb.Scheme)
	}
	if !sameSet(lbSubnets(lb), props.SubnetIDs) {
		out, err := c.elb.SetSubnets(ctx, &elb.SetSubnetsInput{LoadBalancerArn: aws.String(arn), Subnets: props.SubnetIDs})
		if err != nil {
			return engine.Observation{}, fmt.Errorf("setting subnets of load balancer (%s): %w", p.Name, err)
		}
		lb.AvailabilityZones = out.AvailabilityZones
	}
	if !sameSet(lb.SecurityGroups, []string{sg.ID}) {
		out, err := c.elb.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: aws.String(arn), SecurityGroups: []string{sg.ID}})
		if err != nil {
			return engine.Observation{}, fmt.Errorf("setting security groups of load balancer (%s): %w", p.Name, err)
		}
		lb.SecurityGroups = out.SecurityGroupIds
	}
	attrs, err := c.setAttributes(ctx, p.Name, arn, props)
	if err != nil {
		return engine.Observation{}, err
	}
	tags, err := findELBTags(ctx, c.elb, []string{arn})
	if err != nil {
		return engine.Observation{}, err
	}
	if err := addELBTags(ctx, c.elb, arn, p.Tags, tags[arn]); err != nil {
		return engine.Observation{}, fmt.Errorf("updating load balancer (%s): %w", p.Name, err)
	}
	return loadBalancerObservation(p, lb, p.Tags, refs, attrs), nil
}

func (c loadBalancers) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	var (
		lb  *elbtypes.LoadBalancer
		err error
	)
	if cur.ARN != "" {
		lb, err = c.findLoadBalancerByARN(ctx, cur.ARN)
	} else {
		lb, err = c.findLoadBalancerByName(ctx, cmp.Or(cur.Name, p.Name))
	}
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	arn := aws.ToString(lb.LoadBalancerArn)
	if _, err := c.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)}); err != nil && !isCode(err, errCodeLoadBalancerNotFound) {
		return fmt.Errorf("deleting load balancer (%s): %w", aws.ToString(lb.LoadBalancerName), err)
	}
	w := elb.NewLoadBalancersDeletedWaiter(c.elb, func(o *elb.LoadBalancersDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = waiterMinDelay, waiterMaxDelay
	})
	if err := w.Wait(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}}, waitBudget(ctx)); err != nil {
		return fmt.Errorf("waiting for load balancer (%s) deletion: %w", aws.ToString(lb.LoadBalancerName), err)
	}
	return nil
}

func (c loadBalancers) waitLoadBalancerAvailable(ctx context.Context, arn string) error {
	w := elb.NewLoadBalancerAvailableWaiter(c.elb, func(o *elb.LoadBalancerAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = waiterMinDelay, waiterMaxDelay
	})
	if err := w.Wait(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}}, waitBudget(ctx)); err != nil {
		return fmt.Errorf("waiting for load balancer (%s) to be active: %w", arn, err)
	}
	return nil
}

func scheme(internal bool) elbtypes.LoadBalancerSchemeEnum {
	if internal {
		return elbtypes.LoadBalancerSchemeEnumInternal
	}
	return elbtypes.LoadBalancerSchemeEnumInternetFacing
}

func lbSubnets(lb *elbtypes.LoadBalancer) []string {
	var ids []string
	for _, az := range lb.AvailabilityZones {
		ids = append(ids, aws.ToString(az.SubnetId))
	}
	return ids
}

// arnSuffix is the part of an ELB ARN CloudWatch dimensions and
// ALBRequestCountPerTarget resource labels use: "app/<name>/<id>" for a load
// balancer, "targetgroup/<name>/<id>" for a target group.
func arnSuffix(arn string) string {
	if _, after, ok := strings.Cut(arn, ":loadbalancer/"); ok {
		return after
	}
	if i := strings.LastIndex(arn, ":"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// loadBalancerObservation reads the load balancer as found; attrs are its
// attributes.
func loadBalancerObservation(p blueprint.Part, lb *elbtypes.LoadBalancer, tags map[string]string, refs engine.Refs, attrs lbAttributes) engine.Observation {
	arn := aws.ToString(lb.LoadBalancerArn)
	o := newObservation(p, aws.ToString(lb.LoadBalancerName), arn, arn, tags)
	o.Attrs["dns_name"] = aws.ToString(lb.DNSName)
	o.Attrs["zone_id"] = aws.ToString(lb.CanonicalHostedZoneId)
	o.Attrs["arn_suffix"] = arnSuffix(arn)
	var subnets []zonedID
	for _, az := range lb.AvailabilityZones {
		subnets = append(subnets, zonedID{aws.ToString(az.ZoneName), aws.ToString(az.SubnetId)})
	}
	o.Props = blueprint.LoadBalancerProps{
		Internal: lb.Scheme == elbtypes.LoadBalancerSchemeEnumInternal, SubnetIDs: idsByZone(subnets),
		SecurityGroupKey: refKeyByID(refs, blueprint.KindSecurityGroup, firstOr(lb.SecurityGroups)), DropInvalidHeaderFields: attrs.dropInvalidHeaders,
		ZonalShift: attrs.zonalShift, AccessLogs: attrs.accessLogs,
	}
	props, ok := p.Props.(blueprint.LoadBalancerProps)
	if !ok {
		return o
	}
	if want := scheme(props.Internal); lb.Scheme != want {
		o.Drift = append(o.Drift, fmt.Sprintf("scheme %s, want %s", lb.Scheme, want))
	}
	if have := lbSubnets(lb); !sameSet(have, props.SubnetIDs) {
		o.Drift = append(o.Drift, fmt.Sprintf("subnets %s, want %s", words(have), words(props.SubnetIDs)))
	}
	if sg, ok := refs[props.SecurityGroupKey]; !ok {
		o.Drift = append(o.Drift, "security group "+props.SecurityGroupKey+" missing")
	} else if !sameSet(lb.SecurityGroups, []string{sg.ID}) {
		o.Drift = append(o.Drift, fmt.Sprintf("security groups %s, want %s", words(lb.SecurityGroups), sg.ID))
	}
	if attrs.dropInvalidHeaders != props.DropInvalidHeaderFields {
		o.Drift = append(o.Drift, fmt.Sprintf("%s %t, want %t", attrDropInvalidHeaders, attrs.dropInvalidHeaders, props.DropInvalidHeaderFields))
	}
	if attrs.zonalShift != props.ZonalShift {
		o.Drift = append(o.Drift, fmt.Sprintf("%s %t, want %t", attrZonalShift, attrs.zonalShift, props.ZonalShift))
	}
	if !sameAccessLogs(attrs.accessLogs, props.AccessLogs) {
		o.Drift = append(o.Drift, fmt.Sprintf("access logs %s, want %s", describeAccessLogs(attrs.accessLogs), describeAccessLogs(props.AccessLogs)))
	}
	o.Drift = append(o.Drift, tagDrift(p.Tags, tags)...)
	return o
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// words lists values sorted, for drift messages.
func words(v []string) string {
	s := slices.Clone(v)
	slices.Sort(s)
	return "[" + strings.Join(s, " ") + "]"
}
