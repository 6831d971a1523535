package cloud

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// groupMetrics are the group metrics a stack collects, named explicitly:
// an empty list means "all" to AWS but is stored as none by some emulators,
// and naming them keeps the drift check exact.
var groupMetrics = []string{
	"GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances",
	"GroupPendingInstances", "GroupStandbyInstances", "GroupTerminatingInstances", "GroupTotalInstances",
}

// metricsGranularity is the only granularity AWS offers.
const metricsGranularity = "1Minute"

// collectsMetrics reports whether the group publishes every metric we ask for.
func collectsMetrics(g *astypes.AutoScalingGroup) bool {
	enabled := map[string]bool{}
	for _, m := range g.EnabledMetrics {
		enabled[aws.ToString(m.Metric)] = true
	}
	return !slices.ContainsFunc(groupMetrics, func(m string) bool { return !enabled[m] })
}

// syncGroupMetrics turns group metrics collection on or off as wanted.
func (c autoScalingGroups) syncGroupMetrics(ctx context.Context, name string, g *astypes.AutoScalingGroup, want bool) error {
	have := g != nil && collectsMetrics(g)
	switch {
	case want && !have:
		err := retryBusy(ctx, "Auto Scaling group "+name+" to enable metrics", func(ctx context.Context) error {
			_, err := c.asg.EnableMetricsCollection(ctx, &autoscaling.EnableMetricsCollectionInput{
				AutoScalingGroupName: aws.String(name), Granularity: aws.String(metricsGranularity), Metrics: groupMetrics})
			return err
		})
		if err != nil {
			return fmt.Errorf("enabling metrics collection on Auto Scaling group (%s): %w", name, err)
		}
	case !want && g != nil && len(g.EnabledMetrics) > 0:
		err := retryBusy(ctx, "Auto Scaling group "+name+" to disable metrics", func(ctx context.Context) error {
			_, err := c.asg.DisableMetricsCollection(ctx, &autoscaling.DisableMetricsCollectionInput{AutoScalingGroupName: aws.String(name)})
			return err
		})
		if err != nil {
			return fmt.Errorf("disabling metrics collection on Auto Scaling group (%s): %w", name, err)
		}
	}
	return nil
}

// metricsDrift describes a difference in metrics collection, if any.
func metricsDrift(g *astypes.AutoScalingGroup, want bool) []string {
	switch have := collectsMetrics(g); {
	case want && !have:
		return []string{"group metrics collection off, want on"}
	case !want && len(g.EnabledMetrics) > 0:
		return []string{"group metrics collection on, want off"}
	}
	return nil
}
