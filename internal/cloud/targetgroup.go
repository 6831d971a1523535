package cloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// The target group. Its name carries a hash of what AWS cannot change in
// place (VPC, port, protocol), so those never drift: a change means a new
// name and a replacement. Its attributes (deregistration delay, unhealthy-
// state routing) are set on every create and update and read back by every
// Observe, one call for the stack's one group: a changed fail-open
// threshold is drift.
type targetGroups struct{ *Cloud }

func (c targetGroups) findTargetGroup(ctx context.Context, input *elb.DescribeTargetGroupsInput, id string) (*elbtypes.TargetGroup, error) {
	var found []elbtypes.TargetGroup
	pages := elb.NewDescribeTargetGroupsPaginator(c.elb, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading target group (%s): %w", id, asNotFound(err, "target group", id, errCodeTargetGroupNotFound))
		}
		found = append(found, page.TargetGroups...)
	}
	if len(found) == 0 {
		return nil, notFound("target group", id)
	}
	return &found[0], nil
}

func (c targetGroups) findTargetGroupByName(ctx context.Context, name string) (*elbtypes.TargetGroup, error) {
	return c.findTargetGroup(ctx, &elb.DescribeTargetGroupsInput{Names: []string{name}}, name)
}

func (c targetGroups) findTargetGroupByARN(ctx context.Context, arn string) (*elbtypes.TargetGroup, error) {
	return c.findTargetGroup(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}}, arn)
}

func (c targetGroups) find(ctx context.Context, name string, cur engine.Observation) (*elbtypes.TargetGroup, error) {
	if cur.ARN != "" {
		return c.findTargetGroupByARN(ctx, cur.ARN)
	}
	return c.findTargetGroupByName(ctx, name)
}

func (c targetGroups) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.TargetGroupProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	tg, err := c.findTargetGroupByName(ctx, p.Name)
	switch {
	case err == nil:
		arn := aws.ToString(tg.TargetGroupArn)
		tags, err := findELBTags(ctx, c.elb, []string{arn})
		if err != nil {
			return engine.Observation{}, err
		}
		if err := checkOwned(p, "target group", p.Name, tags[arn]); err != nil {
			return engine.Observation{}, err
		}
		return c.update(ctx, p, engine.Observation{ARN: arn}, refs)
	case !errors.Is(err, ErrNotFound):
		return engine.Observation{}, err
	}
	hc := props.HealthCheck
	out, err := createCall(ctx, c.elb.CreateTargetGroup, &elb.CreateTargetGroupInput{
		Name: aws.String(p.Name), VpcId: aws.String(props.VPCID), Port: aws.Int32(props.Port),
		Protocol: elbtypes.ProtocolEnum(props.Protocol), TargetType: elbtypes.TargetTypeEnumInstance,
		HealthCheckEnabled: aws.Bool(true), HealthCheckProtocol: elbtypes.ProtocolEnum(props.Protocol),
		HealthCheckPort: aws.String("traffic-port"), HealthCheckPath: aws.String(hc.Path),
		HealthCheckIntervalSeconds: aws.Int32(hc.Interval), HealthCheckTimeoutSeconds: aws.Int32(hc.Timeout),
		HealthyThresholdCount: aws.Int32(hc.HealthyThreshold), UnhealthyThresholdCount: aws.Int32(hc.UnhealthyThreshold),
		Matcher: &elbtypes.Matcher{HttpCode: aws.String(hc.Matcher)}, Tags: elbTags(p.Tags),
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("creating target group (%s): %w", p.Name, err)
	}
	// From here on the target group exists and is ours, whatever fails next.
	arn := aws.ToString(out.TargetGroups[0].TargetGroupArn)
	o, err := c.update(ctx, p, engine.Observation{ARN: arn}, refs)
	if err != nil {
		return createdObservation(p, p.Name, arn, arn), err
	}
	return o, nil
}

// update sets every health check setting, the deregistration delay and the tags.
func (c targetGroups) update(ctx context.Context, p blueprint.Part, cur engine.Observation, _ engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.TargetGroupProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	tg, err := c.find(ctx, p.Name, cur)
	if err != nil {
		return engine.Observation{}, err
	}
	arn := aws.ToString(tg.TargetGroupArn)
	if len(healthCheckDrift(tg, props)) > 0 {
		hc := props.HealthCheck
		out, err := c.elb.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{
			TargetGroupArn: aws.String(arn), HealthCheckEnabled: aws.Bool(true), HealthCheckProtocol: elbtypes.ProtocolEnum(props.Protocol),
			HealthCheckPort: aws.String("traffic-port"), HealthCheckPath: aws.String(hc.Path),
			HealthCheckIntervalSeconds: aws.Int32(hc.Interval), HealthCheckTimeoutSeconds: aws.Int32(hc.Timeout),
			HealthyThresholdCount: aws.Int32(hc.HealthyThreshold), UnhealthyThresholdCount: aws.Int32(hc.UnhealthyThreshold),
			Matcher: &elbtypes.Matcher{HttpCode: aws.String(hc.Matcher)},
		})
		if err != nil {
			return engine.Observation{}, fmt.Errorf("updating health check of target group (%s): %w", p.Name, err)
		}
		tg = &out.TargetGroups[0]
	}
	attrs, err := c.elb.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(arn), Attributes: []elbtypes.TargetGroupAttribute{
		{Key: aws.String(attrDeregistrationDelay), Value: aws.String(strconv.Itoa(int(props.DeregistrationDelay)))},
		{Key: aws.String(attrFailOpenPercent), Value: aws.String(failOpenPercentValue(props.HealthCheck.FailOpenBelowPercent))},
		{Key: aws.String(attrFailOpenCount), Value: aws.String(failOpenCount)},
	}})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("setting attributes of target group (%s): %w", p.Name, err)
	}
	tags, err := findELBTags(ctx, c.elb, []string{arn})
	if err != nil {
		return engine.Observation{}, err
	}
	if err := addELBTags(ctx, c.elb, arn, p.Tags, tags[arn]); err != nil {
		return engine.Observation{}, fmt.Errorf("updating target group (%s): %w", p.Name, err)
	}
	return targetGroupObservation(p, tg, p.Tags, attrMap(attrs.Attributes)), nil
}

func attrMap(attrs []elbtypes.TargetGroupAttribute) map[string]string {
	m := map[string]string{}
	for _, a := range attrs {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	return m
}

// findTargetGroupAttributes reads a target group's attributes.
func findTargetGroupAttributes(ctx context.Context, client *elb.Client, arn string) (map[string]string, error) {
	out, err := client.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("reading attributes of target group (%s): %w", arn, err)
	}
	return attrMap(out.Attributes), nil
}

// delete retries while a listener still forwards to the group: the engine
// deletes listeners first, but AWS can take a moment to let go.
func (c targetGroups) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	tg, err := c.find(ctx, cmp.Or(cur.Name, p.Name), cur)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	arn := aws.ToString(tg.TargetGroupArn)
	err = retryWhile(ctx, "target group "+aws.ToString(tg.TargetGroupName)+" to be unused", func(err error) bool {
		return isCode(err, errCodeELBResourceInUse)
	}, func(ctx context.Context) error {
		_, err := c.elb.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)})
		if isCode(err, errCodeTargetGroupNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting target group (%s): %w", aws.ToString(tg.TargetGroupName), err)
	}
	return nil
}

// findTargetHealth returns the health state of the given instances only:
// a target group can keep other (even terminated) instances registered.
// It asks for every target of the group and filters: naming the instances
// in the call (Targets) makes AWS refuse the whole call with InvalidTarget
// when one of them was terminated since the caller listed it (ELBv2 API
// reference, DescribeTargetHealth, Errors), which would end a wait that
// should only look again. hashicorp/aws reads target health the same way
// (autoscaling/group.go, findELBV2InstanceStates). An instance the group
// does not list has no state ("not registered").
func findTargetHealth(ctx context.Context, client *elb.Client, tgARN string, instanceIDs []string) (map[string]elbtypes.TargetHealthStateEnum, error) {
	out, err := client.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
	if err != nil {
		return nil, fmt.Errorf("reading target health in %s: %w", tgARN, err)
	}
	states := map[string]elbtypes.TargetHealthStateEnum{}
	for _, d := range out.TargetHealthDescriptions {
		if d.Target == nil || d.TargetHealth == nil {
			continue
		}
		if id := aws.ToString(d.Target.Id); slices.Contains(instanceIDs, id) {
			states[id] = d.TargetHealth.State
		}
	}
	return states, nil
}

func healthCheckDrift(tg *elbtypes.TargetGroup, props blueprint.TargetGroupProps) []string {
	hc := props.HealthCheck
	var drift []string
	str := func(what, have, want string) {
		if have != want {
			drift = append(drift, fmt.Sprintf("%s %q, want %q", what, have, want))
		}
	}
	num := func(what string, have *int32, want int32) {
		if aws.ToInt32(have) != want {
			drift = append(drift, fmt.Sprintf("%s %d, want %d", what, aws.ToInt32(have), want))
		}
	}
	if tg.HealthCheckEnabled != nil && !*tg.HealthCheckEnabled {
		drift = append(drift, "health check disabled")
	}
	str("health check path", aws.ToString(tg.HealthCheckPath), hc.Path)
	str("health check protocol", string(tg.HealthCheckProtocol), props.Protocol)
	str("health check port", aws.ToString(tg.HealthCheckPort), "traffic-port")
	var matcher string
	if tg.Matcher != nil {
		matcher = aws.ToString(tg.Matcher.HttpCode)
	}
	str("health check matcher", matcher, hc.Matcher)
	num("health check interval", tg.HealthCheckIntervalSeconds, hc.Interval)
	num("health check timeout", tg.HealthCheckTimeoutSeconds, hc.Timeout)
	num("healthy threshold", tg.HealthyThresholdCount, hc.HealthyThreshold)
	num("unhealthy threshold", tg.UnhealthyThresholdCount, hc.UnhealthyThreshold)
	return drift
}

// targetGroupObservation reads the group as found, with its attributes
// (nil when they were not read).
func targetGroupObservation(p blueprint.Part, tg *elbtypes.TargetGroup, tags map[string]string, attrs map[string]string) engine.Observation {
	arn := aws.ToString(tg.TargetGroupArn)
	o := newObservation(p, aws.ToString(tg.TargetGroupName), arn, arn, tags)
	o.Attrs["arn_suffix"] = arnSuffix(arn)
	found := blueprint.TargetGroupProps{VPCID: aws.ToString(tg.VpcId), Port: aws.ToInt32(tg.Port), Protocol: string(tg.Protocol),
		HealthCheck: blueprint.HealthCheckSpec{Path: aws.ToString(tg.HealthCheckPath),
			Interval: aws.ToInt32(tg.HealthCheckIntervalSeconds), Timeout: aws.ToInt32(tg.HealthCheckTimeoutSeconds),
			HealthyThreshold: aws.ToInt32(tg.HealthyThresholdCount), UnhealthyThreshold: aws.ToInt32(tg.UnhealthyThresholdCount),
			FailOpenBelowPercent: failOpenPercent(attrs)},
		DeregistrationDelay: atoi32(attrs[attrDeregistrationDelay])}
	if tg.Matcher != nil {
		found.HealthCheck.Matcher = aws.ToString(tg.Matcher.HttpCode)
	}
	o.Props = found
	if props, ok := p.Props.(blueprint.TargetGroupProps); ok {
		o.Drift = append(healthCheckDrift(tg, props), failOpenDrift(attrs, props)...)
		o.Drift = append(o.Drift, tagDrift(p.Tags, tags)...)
	}
	return o
}
