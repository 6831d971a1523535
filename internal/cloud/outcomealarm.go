package cloud

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// outcomeAlarms are the CloudWatch metric alarms zonal_autoshift's practice
// run configuration watches. PutMetricAlarm creates or replaces an alarm by
// name, so create and update are one call; the alarm is tagged on create
// (PutMetricAlarm's Tags apply only when it creates the alarm, API
// reference) and found by its name, derived from the stack's.
type outcomeAlarms struct{ *Cloud }

// CloudWatch's error code for an alarm that is not there (DeleteAlarms,
// ListTagsForResource).
const errCodeCWResourceNotFound = "ResourceNotFound"

// Metric of the outcome alarm (Elastic Load Balancing User Guide,
// "CloudWatch metrics for your Application Load Balancer").
const (
	outcomeNamespace = "AWS/ApplicationELB"
	outcomeMetric    = "HTTPCode_ELB_5XX_Count"
)

// findAlarm reads the alarm by name (DescribeAlarms), or ErrNotFound.
func (c outcomeAlarms) findAlarm(ctx context.Context, name string) (*cwtypes.MetricAlarm, error) {
	out, err := c.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name},
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
	if err != nil {
		return nil, fmt.Errorf("reading alarm %s: %w", name, err)
	}
	for i, a := range out.MetricAlarms {
		if aws.ToString(a.AlarmName) == name {
			return &out.MetricAlarms[i], nil
		}
	}
	return nil, notFound("alarm", name)
}

func (c outcomeAlarms) tags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := c.cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("reading tags of alarm (%s): %w", arn, err)
	}
	m := map[string]string{}
	for _, t := range out.Tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m, nil
}

func (c outcomeAlarms) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	return c.put(ctx, p, refs)
}

func (c outcomeAlarms) update(ctx context.Context, p blueprint.Part, _ engine.Observation, refs engine.Refs) (engine.Observation, error) {
	return c.put(ctx, p, refs)
}

// put refuses an alarm of the name that is not the stack's, writes the
// alarm (PutMetricAlarm is idempotent: it replaces the alarm's settings
// whole) and tags it, TagResource adding the tags a PutMetricAlarm on an
// existing alarm does not.
func (c outcomeAlarms) put(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.OutcomeAlarmProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	lb, err := ref(refs, props.LoadBalancerKey)
	if err != nil {
		return engine.Observation{}, err
	}
	existing, err := c.findAlarm(ctx, p.Name)
	switch {
	case err == nil:
		tags, err := c.tags(ctx, aws.ToString(existing.AlarmArn))
		if err != nil {
			return engine.Observation{}, err
		}
		if err := checkOwned(p, "alarm", p.Name, tags); err != nil {
			return engine.Observation{}, err
		}
	case !errors.Is(err, ErrNotFound):
		return engine.Observation{}, err
	}
	// A create call (createCall): run to its end when the apply is
	// cancelled, so that the alarm it made is recorded, by name, for the
	// rollback.
	in := outcomeAlarmInput(p, props, arnSuffix(lb.ARN))
	if _, err := createCall(ctx, c.cw.PutMetricAlarm, in); err != nil {
		return engine.Observation{}, fmt.Errorf("writing alarm %s: %w", p.Name, err)
	}
	a, err := c.findAlarm(ctx, p.Name)
	if err != nil {
		return createdObservation(p, p.Name, "", ""), err
	}
	if existing != nil {
		if _, err := c.cw.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: a.AlarmArn, Tags: cwTags(p.Tags)}); err != nil {
			return createdObservation(p, p.Name, "", aws.ToString(a.AlarmArn)), fmt.Errorf("tagging alarm %s: %w", p.Name, err)
		}
	}
	return alarmObservation(p, a, arnSuffix(lb.ARN)), nil
}

// outcomeAlarmInput is the alarm: any load balancer 5xx in each of
// EvaluationPeriods minutes. No answer at all is not a failure
// (TreatMissingData notBreaching): a stack without traffic passes its
// practice runs.
func outcomeAlarmInput(p blueprint.Part, props blueprint.OutcomeAlarmProps, lbSuffix string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(p.Name),
		AlarmDescription:   aws.String("hawebapp " + p.Tags[blueprint.TagStack] + ": outcome alarm of the load balancer's zonal autoshift practice runs"),
		Namespace:          aws.String(outcomeNamespace),
		MetricName:         aws.String(outcomeMetric),
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(lbSuffix)}},
		Statistic:          cwtypes.StatisticSum,
		Period:             aws.Int32(blueprint.OutcomeAlarmPeriod),
		EvaluationPeriods:  aws.Int32(props.EvaluationPeriods),
		DatapointsToAlarm:  aws.Int32(props.EvaluationPeriods),
		Threshold:          aws.Float64(0),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		TreatMissingData:   aws.String("notBreaching"),
		Tags:               cwTags(p.Tags),
	}
}

func (c outcomeAlarms) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	name := cur.Name
	if name == "" {
		name = p.Name
	}
	_, err := c.cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}})
	if err != nil && !isCode(err, errCodeCWResourceNotFound) {
		return fmt.Errorf("deleting alarm %s: %w", name, err)
	}
	return nil
}

// alarmObservation reads the alarm as found; its drift is any setting
// other than the one the blueprint wants.
func alarmObservation(p blueprint.Part, a *cwtypes.MetricAlarm, lbSuffix string) engine.Observation {
	arn := aws.ToString(a.AlarmArn)
	o := newObservation(p, aws.ToString(a.AlarmName), arn, arn, nil)
	o.Attrs["state"] = string(a.StateValue)
	o.Props = blueprint.OutcomeAlarmProps{LoadBalancerKey: blueprint.KeyLoadBalancer, EvaluationPeriods: aws.ToInt32(a.EvaluationPeriods)}
	props, ok := p.Props.(blueprint.OutcomeAlarmProps)
	if !ok {
		return o
	}
	want := outcomeAlarmInput(p, props, lbSuffix)
	dims := slices.Collect(func(yield func(string) bool) {
		for _, d := range a.Dimensions {
			if !yield(aws.ToString(d.Name) + "=" + aws.ToString(d.Value)) {
				return
			}
		}
	})
	if aws.ToString(a.MetricName) != outcomeMetric || aws.ToString(a.Namespace) != outcomeNamespace ||
		!slices.Equal(dims, []string{"LoadBalancer=" + lbSuffix}) || a.Statistic != want.Statistic ||
		aws.ToInt32(a.Period) != *want.Period || aws.ToInt32(a.EvaluationPeriods) != *want.EvaluationPeriods ||
		aws.ToInt32(a.DatapointsToAlarm) != *want.DatapointsToAlarm || aws.ToFloat64(a.Threshold) != *want.Threshold ||
		a.ComparisonOperator != want.ComparisonOperator || aws.ToString(a.TreatMissingData) != *want.TreatMissingData {
		o.Drift = append(o.Drift, fmt.Sprintf("alarm %s: %s %s over %d×%ds, want %s > 0 in %d×%ds",
			o.Name, aws.ToString(a.MetricName), a.ComparisonOperator, aws.ToInt32(a.EvaluationPeriods), aws.ToInt32(a.Period),
			outcomeMetric, props.EvaluationPeriods, blueprint.OutcomeAlarmPeriod))
	}
	return o
}

func cwTags(m map[string]string) []cwtypes.Tag {
	out := make([]cwtypes.Tag, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, cwtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// readOutcomeAlarm reads zonal_autoshift's alarm by its name, one
// DescribeAlarms, only when the blueprint has it or the state still
// records it.
func (f *found) readOutcomeAlarm(ctx context.Context, c *Cloud, byKind map[blueprint.Kind][]blueprint.Part) error {
	var name string
	if parts := byKind[blueprint.KindOutcomeAlarm]; len(parts) > 0 {
		name = parts[0].Name
	} else if _, known, ok := strings.Cut(f.knownAlarm, ":alarm:"); ok {
		name = known
	} else {
		return nil
	}
	a, err := outcomeAlarms{c}.findAlarm(ctx, name)
	switch {
	case err == nil:
		f.alarm = a
	case !errors.Is(err, ErrNotFound):
		return err
	}
	return nil
}
