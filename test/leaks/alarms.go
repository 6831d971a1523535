package leaks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// CloudWatch speaks awsQuery here as in the provider (internal/cloud's
// client): the SDK's default protocol is one emulators may not answer.
func cloudWatch(cfg aws.Config) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801) })
}

// alarms finds zonal_autoshift's outcome alarm by its derived name.
func (f *finder) alarms(ctx context.Context) error {
	out, err := cloudWatch(f.cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{f.names.OutcomeAlarm}})
	if err != nil {
		return fmt.Errorf("describing alarm %s: %w", f.names.OutcomeAlarm, err)
	}
	for _, a := range out.MetricAlarms {
		f.add("alarm", aws.ToString(a.AlarmName), aws.ToString(a.AlarmArn))
	}
	return nil
}
