package soak

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// SettingsFromAWS reads a stack's settings from the load balancing API:
// the target group's health check (DescribeTargetGroups) and
// deregistration delay (DescribeTargetGroupAttributes), the load
// balancer's idle timeout (DescribeLoadBalancerAttributes). The connect
// timeout is an ALB's fixed 10 s. Attributes AWS does not return keep
// ALBDefaults' values. Time is AWS time: set TimeScale for the sandbox.
func SettingsFromAWS(ctx context.Context, c *elb.Client, targetGroupARN, loadBalancerARN string) (Settings, error) {
	s := ALBDefaults()
	tgs, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{targetGroupARN}})
	if err != nil {
		return s, fmt.Errorf("describing target group %s: %w", targetGroupARN, err)
	}
	if len(tgs.TargetGroups) != 1 {
		return s, fmt.Errorf("describing target group %s: %d found", targetGroupARN, len(tgs.TargetGroups))
	}
	tg := tgs.TargetGroups[0]
	sec := func(p *int32, into *time.Duration) {
		if p != nil {
			*into = time.Duration(*p) * time.Second
		}
	}
	sec(tg.HealthCheckIntervalSeconds, &s.HealthCheckInterval)
	sec(tg.HealthCheckTimeoutSeconds, &s.HealthCheckTimeout)
	if tg.HealthyThresholdCount != nil {
		s.HealthyThreshold = int(*tg.HealthyThresholdCount)
	}
	if tg.UnhealthyThresholdCount != nil {
		s.UnhealthyThreshold = int(*tg.UnhealthyThresholdCount)
	}
	ta, err := c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(targetGroupARN)})
	if err != nil {
		return s, fmt.Errorf("describing attributes of target group %s: %w", targetGroupARN, err)
	}
	tgKV := func(a elbtypes.TargetGroupAttribute) (*string, *string) { return a.Key, a.Value }
	if err := secondsAttribute(ta.Attributes, tgKV, "deregistration_delay.timeout_seconds", &s.DeregistrationDelay); err != nil {
		return s, fmt.Errorf("target group %s: %w", targetGroupARN, err)
	}
	if loadBalancerARN != "" {
		la, err := c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(loadBalancerARN)})
		if err != nil {
			return s, fmt.Errorf("describing attributes of load balancer %s: %w", loadBalancerARN, err)
		}
		lbKV := func(a elbtypes.LoadBalancerAttribute) (*string, *string) { return a.Key, a.Value }
		if err := secondsAttribute(la.Attributes, lbKV, "idle_timeout.timeout_seconds", &s.IdleTimeout); err != nil {
			return s, fmt.Errorf("load balancer %s: %w", loadBalancerARN, err)
		}
	}
	return s, nil
}

// secondsAttribute sets d from the attribute named key among attrs (kv
// reads an attribute's key and value), if there is one.
func secondsAttribute[A any](attrs []A, kv func(A) (*string, *string), key string, d *time.Duration) error {
	for _, a := range attrs {
		if k, v := kv(a); aws.ToString(k) == key {
			if err := setSeconds(d, aws.ToString(v)); err != nil {
				return err
			}
		}
	}
	return nil
}

func setSeconds(d *time.Duration, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("attribute value %q is not a number of seconds", v)
	}
	*d = time.Duration(n) * time.Second
	return nil
}

// SettingsForLoadBalancer is SettingsFromAWS for the one target group
// behind a load balancer (a hawebapp stack has one).
func SettingsForLoadBalancer(ctx context.Context, c *elb.Client, loadBalancerARN string) (Settings, error) {
	tgs, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(loadBalancerARN)})
	if err != nil {
		return ALBDefaults(), fmt.Errorf("describing the target groups of %s: %w", loadBalancerARN, err)
	}
	if len(tgs.TargetGroups) != 1 {
		return ALBDefaults(), fmt.Errorf("load balancer %s has %d target groups, want 1", loadBalancerARN, len(tgs.TargetGroups))
	}
	return SettingsFromAWS(ctx, c, aws.ToString(tgs.TargetGroups[0].TargetGroupArn), loadBalancerARN)
}

// SettingsForDNSName is SettingsForLoadBalancer for the load balancer
// with that DNS name (a stack's dns_name output); it also returns its ARN.
func SettingsForDNSName(ctx context.Context, c *elb.Client, dnsName string) (Settings, string, error) {
	pages := elb.NewDescribeLoadBalancersPaginator(c, &elb.DescribeLoadBalancersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return ALBDefaults(), "", fmt.Errorf("describing load balancers: %w", err)
		}
		for _, lb := range page.LoadBalancers {
			if aws.ToString(lb.DNSName) == dnsName {
				arn := aws.ToString(lb.LoadBalancerArn)
				s, err := SettingsForLoadBalancer(ctx, c, arn)
				return s, arn, err
			}
		}
	}
	return ALBDefaults(), "", fmt.Errorf("no load balancer has the DNS name %s", dnsName)
}
