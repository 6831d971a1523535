package leaks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// alarms finds zonal_autoshift's outcome alarm by its derived name.
func (f *finder) alarms(ctx context.Context) error {
	out, err := env.CloudWatch(f.cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{f.names.OutcomeAlarm}})
	if err != nil {
		return fmt.Errorf("describing alarm %s: %w", f.names.OutcomeAlarm, err)
	}
	for _, a := range out.MetricAlarms {
		f.add("alarm", aws.ToString(a.AlarmName), aws.ToString(a.AlarmArn))
	}
	return nil
}
