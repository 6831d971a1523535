package demo

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Sample is the data plane at one moment of the soak.
type Sample struct {
	At    time.Duration // since the soak started
	Zones map[string]ZoneCount
	// NotServing lists the stack's instances that the sandbox's record
	// shows as not healthy or not running, as "i-1 (us-east-1b): unhealthy, running".
	NotServing []string
}

// ZoneCount is one zone's group at a sample: its desired capacity, the
// instances it runs (booting, running or draining) and the healthy ones.
type ZoneCount struct{ Desired, Running, Healthy int }

// Event marks a moment of the soak: a zone goes down, the load stops.
type Event struct {
	At   time.Duration
	What string
}

// Activity is one scaling activity of a zone's group during the soak.
type Activity struct {
	At                       time.Duration
	Zone, Description, Cause string
}

// Kind sorts an activity by what caused it.
func (a Activity) Kind() string {
	switch {
	case strings.Contains(a.Cause, "AlarmHigh"):
		return "scale-out"
	case strings.Contains(a.Cause, "AlarmLow"):
		return "scale-in"
	case strings.Contains(a.Cause, "health check"):
		return "health replacement"
	case strings.Contains(a.Description, "Launching"):
		return "launch"
	case strings.Contains(a.Description, "Terminating"):
		return "termination"
	default:
		return "other"
	}
}

// SliceStat is what one load slice measured.
type SliceStat struct {
	From, To           time.Duration
	Phase              string
	Requests, Failures int
	P50, P99           float64 // ms; 0 without requests
}

// RPS is the slice's completed requests per second.
func (s SliceStat) RPS() float64 {
	if d := (s.To - s.From).Seconds(); d > 0 {
		return float64(s.Requests) / d
	}
	return 0
}

// TimelineRow is the instances per zone from At until the next row.
type TimelineRow struct {
	At    time.Duration
	Zones map[string]ZoneCount
	Notes []string // events and activities since the previous row
}

// Timeline keeps the samples at which some zone's desired or healthy count
// changed (and the first and last), with the events and activity kinds
// that happened in between as notes.
func Timeline(samples []Sample, zones []string, events []Event, acts []Activity) []TimelineRow {
	var rows []TimelineRow
	key := func(s Sample) string {
		var b strings.Builder
		for _, z := range zones {
			c := s.Zones[z]
			fmt.Fprintf(&b, "%d/%d ", c.Healthy, c.Desired)
		}
		return b.String()
	}
	last := ""
	var prevAt time.Duration = -1
	for i, s := range samples {
		var notes []string
		for _, e := range events {
			if e.At > prevAt && e.At <= s.At {
				notes = append(notes, e.What)
			}
		}
		for _, a := range acts {
			if a.At > prevAt && a.At <= s.At {
				notes = appendUnique(notes, a.Kind()+" "+shortZone(a.Zone))
			}
		}
		k := key(s)
		if k != last || len(notes) > 0 || i == len(samples)-1 {
			rows = append(rows, TimelineRow{At: s.At, Zones: s.Zones, Notes: notes})
			last = k
			prevAt = s.At
		}
	}
	return rows
}

// ActivityCounts counts activities by kind, in a stable order.
func ActivityCounts(acts []Activity) []string {
	n := map[string]int{}
	for _, a := range acts {
		n[a.Kind()]++
	}
	var out []string
	for _, k := range []string{"scale-out", "scale-in", "health replacement", "launch", "termination", "other"} {
		if n[k] > 0 {
			out = append(out, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	return out
}

// Peak is the largest total desired and healthy capacity over the samples.
func Peak(samples []Sample) (desired, healthy int) {
	for _, s := range samples {
		d, h := 0, 0
		for _, c := range s.Zones {
			d, h = d+c.Desired, h+c.Healthy
		}
		desired, healthy = max(desired, d), max(healthy, h)
	}
	return desired, healthy
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// shortZone is the zone's letter ("us-east-1b" -> "b").
func shortZone(z string) string {
	if z == "" {
		return "?"
	}
	return z[len(z)-1:]
}
