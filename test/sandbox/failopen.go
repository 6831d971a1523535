package sandbox

import "strconv"

// failOpen is a target group's unhealthy-state routing threshold: when the
// healthy targets fall below count, or below percent of the registered
// targets, the load balancer sends requests to every target, unhealthy ones
// included (ELB user guide, "Target group health": routing failover; the
// percentage is of the targets registered, across zones with cross-zone
// load balancing on, an ALB's default). AWS's defaults are count 1 and
// percentage off: fail open only when no target is healthy.
type failOpen struct {
	count   int
	percent int // 0: off
}

// Target group attributes (ELBv2 API reference, TargetGroupAttribute).
const (
	attrFailOpenCount   = "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count"
	attrFailOpenPercent = "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"
)

func failOpenOf(attrs map[string]string) failOpen {
	f := failOpen{count: 1}
	if n, err := strconv.Atoi(attrs[attrFailOpenCount]); err == nil && n > 0 {
		f.count = n
	}
	if n, err := strconv.Atoi(attrs[attrFailOpenPercent]); err == nil && n > 0 && n <= 100 {
		f.percent = n // "off" (or absent) leaves it off
	}
	return f
}

// open says whether the group fails open now. Registered targets are those
// not draining; targets still in their initial checks count as registered
// but not healthy, and receive nothing either way (failing open routes to
// unhealthy targets, not to ones still registering), so a group with no
// unhealthy target has nothing to open to. With the default count of 1 the
// group fails open when it "contains only unhealthy registered targets"
// (ELB user guide, "Health checks for Application Load Balancer target
// groups"): none healthy and none still registering.
func (f failOpen) open(targets map[string]*target) bool {
	healthy, unhealthy, initial, registered := 0, 0, 0, 0
	for _, t := range targets {
		switch t.state {
		case "healthy":
			healthy++
		case "unhealthy":
			unhealthy++
		case "initial":
			initial++
		case "draining":
			continue
		}
		registered++
	}
	if unhealthy == 0 {
		return false
	}
	belowCount := healthy < f.count && (f.count > 1 || initial == 0)
	return belowCount || (f.percent > 0 && healthy*100 < f.percent*registered)
}
