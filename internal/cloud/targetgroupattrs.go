package cloud

import (
	"fmt"
	"strconv"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// Target group attributes the stack sets (ELBv2 API reference,
// TargetGroupAttribute; hashicorp/aws elbv2/target_group.go,
// target_group_health: unhealthy_state_routing).
const (
	attrDeregistrationDelay = "deregistration_delay.timeout_seconds"
	// Routing failover: below this share (1-100, or "off", AWS's default)
	// or count (AWS's default 1) of healthy targets the load balancer sends
	// to every target, unhealthy ones included (ELB user guide, "Target
	// group health"). With cross-zone load balancing on, an ALB's default,
	// the share is of all the group's registered targets.
	attrFailOpenPercent = "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"
	attrFailOpenCount   = "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count"
	// failOpenCount is AWS's default: fail open when no target is healthy.
	// The stack sets it explicitly so a changed count shows as drift.
	failOpenCount = "1"
	// failOpenOff is the percentage AWS reports when the threshold is off.
	failOpenOff = "off"
)

// failOpenPercentValue is the attribute value of a threshold, 0 meaning off.
func failOpenPercentValue(percent int32) string {
	if percent == 0 {
		return failOpenOff
	}
	return strconv.Itoa(int(percent))
}

// failOpenPercent reads the threshold back (0 when off or not reported).
func failOpenPercent(attrs map[string]string) int32 {
	return atoi32(attrs[attrFailOpenPercent])
}

// failOpenDrift compares the unhealthy-state routing attributes with the
// desired ones; attrs nil means they were not read. An attribute AWS does
// not report holds its default.
func failOpenDrift(attrs map[string]string, props blueprint.TargetGroupProps) []string {
	if attrs == nil {
		return nil
	}
	var drift []string
	have := func(key, def string) string {
		if v, ok := attrs[key]; ok && v != "" {
			return v
		}
		return def
	}
	if v, want := have(attrFailOpenPercent, failOpenOff), failOpenPercentValue(props.HealthCheck.FailOpenBelowPercent); v != want {
		drift = append(drift, fmt.Sprintf("fail open below %s%% healthy targets, want %s", v, want))
	}
	if v := have(attrFailOpenCount, failOpenCount); v != failOpenCount {
		drift = append(drift, fmt.Sprintf("fail open below %s healthy targets, want %s", v, failOpenCount))
	}
	return drift
}
