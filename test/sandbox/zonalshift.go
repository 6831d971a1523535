package sandbox

import (
	"slices"
	"time"
)

// emulatedClock is the sandbox's AWS time: one emulated minute per
// MinuteSeconds real seconds since Start. A zonal shift's 72 hours expire
// in it (3.6 real hours at the default three-second minute).
type emulatedClock struct{ s *Sandbox }

func (c emulatedClock) Now() time.Time {
	return c.s.start.Add(time.Duration(float64(time.Since(c.s.start)) * 60 / c.s.opts.MinuteSeconds))
}

// shiftedZones maps each load balancer ARN to the zone its APPLIED shift
// (a customer's zonal shift, else ARC's autoshift, else a practice run:
// autoshift.go) moves its traffic away from.
func (s *Sandbox) shiftedZones() map[string][]string {
	out := map[string][]string{}
	for _, sh := range s.zonalShifts.Active() {
		out[sh.Resource] = append(out[sh.Resource], sh.AwayFromName)
	}
	return out
}

// awayFrom reports whether a load balancer of the target group is shifted
// away from the zone. An Application Load Balancer's zonal shift stops
// sending new requests to targets in the zone, cross-zone load balancing on
// or off ("Zonal shift for your Application Load Balancer", Elastic Load
// Balancing User Guide); requests in progress complete.
func awayFrom(shifted map[string][]string, lbARNs []string, zone string) bool {
	for _, arn := range lbARNs {
		if slices.Contains(shifted[arn], zone) {
			return true
		}
	}
	return false
}
