package blueprint

import (
	"fmt"
	"slices"
)

// When an evacuation's zonal shift starts, relative to the raise of the
// surviving zones' groups. The shift never waits for the evacuated zone's
// own group: in a zone that is down its launches fail and its targets are
// unhealthy, and its load balancer node keeps answering clients until the
// shift takes it out of DNS (Elastic Load Balancing User Guide, "Zonal shift
// for your Application Load Balancer").
const (
	// ShiftTimingAuto shifts at once when the zone is down or the zones left
	// already serve the current load, otherwise after the raise.
	ShiftTimingAuto = "auto"
	// ShiftTimingImmediate always shifts first, then raises the zones left.
	ShiftTimingImmediate = "immediate"
	// ShiftTimingAfterCapacity shifts once the zones left are raised and
	// their new instances healthy, unless the zone is down.
	ShiftTimingAfterCapacity = "after_capacity"
)

// ShiftTimings lists the values of ShiftTiming, the default first.
var ShiftTimings = []string{ShiftTimingAuto, ShiftTimingImmediate, ShiftTimingAfterCapacity}

// ZoneReading is one zonal group as found at the start of an apply.
type ZoneReading struct {
	// InService counts the instances in service and healthy.
	InService int32
	// Unhealthy counts the instances Auto Scaling reports unhealthy (ELB
	// health checks failing) whatever their lifecycle state.
	Unhealthy int32
	Min       int32
	Desired   int32
}

// Down reports a zone whose group has lost instances it cannot get back:
// one reported unhealthy, or fewer in service than its min (Auto Scaling
// keeps a group at min unless its launches fail, as they do with
// InsufficientInstanceCapacity in a zone that lost power).
func (r ZoneReading) Down() bool { return r.Unhealthy > 0 || r.InService < r.Min }

// ShiftDecision is when the shift starts and why, in words for the plan and
// the logs.
type ShiftDecision struct {
	AtOnce bool
	Reason string
}

// DecideShiftTiming decides when the shift of an evacuation starts.
//
// A zone that is down is shifted away at once whatever ShiftTiming says:
// waiting only keeps its load balancer node in DNS while it fails requests.
// Otherwise "immediate" and "after_capacity" decide; "auto" shifts at once
// when the zones left already serve the current load (static stability):
// their healthy in-service instances are at least the stack's current
// desired capacity, the sum of every group's desired as autoscaling last
// sized it for the traffic. Without readings (the groups are being created)
// there is no traffic to protect: at once.
func DecideShiftTiming(s Spec) ShiftDecision {
	if len(s.EvacuateZones) == 0 {
		return ShiftDecision{}
	}
	var serving, need int32
	for _, sn := range s.AppSubnets {
		r, ok := s.ZoneReadings[sn.Zone]
		if !ok {
			continue
		}
		need += r.Desired
		if !slices.Contains(s.EvacuateZones, sn.Zone) {
			serving += r.InService
		} else if r.Down() {
			return ShiftDecision{AtOnce: true, Reason: fmt.Sprintf("zone %s is down (%d unhealthy, %d of min %d in service): shift at once", sn.Zone, r.Unhealthy, r.InService, r.Min)}
		}
	}
	switch s.ShiftTiming {
	case ShiftTimingImmediate:
		return ShiftDecision{AtOnce: true, Reason: "evacuation_shift_timing = immediate"}
	case ShiftTimingAfterCapacity:
		return ShiftDecision{Reason: "evacuation_shift_timing = after_capacity"}
	}
	if len(s.ZoneReadings) == 0 {
		return ShiftDecision{AtOnce: true, Reason: "no group serves yet: shift at once"}
	}
	if serving >= need {
		return ShiftDecision{AtOnce: true, Reason: fmt.Sprintf("the zones left serve the current load (%d healthy in service, %d desired): shift at once", serving, need)}
	}
	return ShiftDecision{Reason: fmt.Sprintf("the zones left have %d healthy in service for %d desired: shift after they are raised", serving, need)}
}
