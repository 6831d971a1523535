package demo

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// The demo's reads of its stack, shared by the soak and the evacuations.

// loadBalancerARN is the ARN of the load balancer the sandbox serves at
// the stack's URL.
func (s *Soak) loadBalancerARN(ctx context.Context) (string, error) {
	st, err := s.sb.Client().State(ctx)
	if err != nil {
		return "", fmt.Errorf("reading the sandbox's state: %w", err)
	}
	for _, lb := range st.LoadBalancers {
		if lb.URL == s.url {
			return lb.ARN, nil
		}
	}
	return "", fmt.Errorf("no load balancer of the sandbox serves %s", s.url)
}

// awsConfig is the AWS configuration of the sandbox's API.
func (s *Soak) awsConfig() aws.Config {
	cfg := env.AWSConfig(s.sb.Endpoint)
	cfg.Region = s.sb.Env()["AWS_REGION"]
	return cfg
}

// scalingTarget is the target of the groups' target-tracking policy on
// the load balancer's requests per target (per target and AWS minute).
func (s *Soak) scalingTarget(ctx context.Context) (float64, error) {
	names := make([]string, 0, len(s.groups))
	for _, g := range s.groups {
		names = append(names, g)
	}
	sort.Strings(names)
	out, err := s.asg.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String(names[0]), PolicyTypes: []string{"TargetTrackingScaling"}})
	if err != nil || len(out.ScalingPolicies) == 0 || out.ScalingPolicies[0].TargetTrackingConfiguration == nil {
		return 0, fmt.Errorf("no target-tracking policy found: %v", err)
	}
	cfg := out.ScalingPolicies[0].TargetTrackingConfiguration
	if cfg.PredefinedMetricSpecification == nil || cfg.PredefinedMetricSpecification.PredefinedMetricType != "ALBRequestCountPerTarget" {
		return 0, errors.New("the policy does not track requests per target")
	}
	return aws.ToFloat64(cfg.TargetValue), nil
}

// fallbackRate is the load when no policy says what load tells the story.
const fallbackRate = 50

// rate is the load in requests a second: Opts.Rate when set, else one that
// makes target tracking tell the story, from the policy's target T, the
// zones Z and the emulated minute m. A per-target minute count of (2Z-1)T
// over Z instances scales each zone from one to two instances; with a zone
// lost, the 2(Z-1) instances left see more than T and the surviving zones
// scale out again; after the zone is back, the count falls below 0.9T and
// the groups scale in.
func (s *Soak) rate(ctx context.Context) (int, string) {
	if s.Opts.Rate > 0 {
		return s.Opts.Rate, fmt.Sprintf("%d requests a second", s.Opts.Rate)
	}
	target, err := s.scalingTarget(ctx)
	if err != nil {
		return fallbackRate, fmt.Sprintf("%d requests a second (%v)", fallbackRate, err)
	}
	zones := len(s.groups)
	rate := int(float64(2*zones-1) * target / s.Opts.MinuteSeconds)
	return rate, fmt.Sprintf("%d requests a second (target tracking: %.0f requests per target per minute; one minute = %gs)", rate, target, s.Opts.MinuteSeconds)
}
