package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Event is one entry of the sandbox's own record of its data plane (GET
// /_sandbox/events, Sandbox.Events): a failure injected or ended, and every
// change of a target's health as the load balancer acts on it. A soak
// reads the instant a failure took effect and the measured cause of each
// failure window from it, instead of assuming them.
type Event struct {
	// At is when the event took effect: for a failure, once it had hit
	// every instance it concerns; for a target, once HAProxy had been told
	// (from then on the load balancer sends, or stops sending, to it).
	At   time.Time `json:"at"`
	Kind string    `json:"kind"` // EventZoneDown, EventTarget, ...
	// Zone is the zone of a zone failure or of the target's instance.
	Zone string `json:"zone,omitempty"`
	// IDs are the instances a failure hit, or the database's identifier.
	IDs []string `json:"ids,omitempty"`
	// Target, TargetGroup, State and Reason describe a target's new health
	// (State "" when it left the target group).
	Target      string `json:"target,omitempty"`
	TargetGroup string `json:"target_group,omitempty"`
	State       string `json:"state,omitempty"`
	Reason      string `json:"reason,omitempty"`
	// Decided is when the health check result that changed the target's
	// state came in: At - Decided is how long the sandbox took to act on it.
	Decided *time.Time `json:"decided,omitempty"`
	// Due is when the check whose result changed the target's state was
	// due to go out on the target group's fixed schedule (a check every
	// interval), and ScheduleSlip how far that schedule had moved later
	// since the target's previous state because the sandbox was held up
	// for more than an interval. With them a test checks detection against
	// the schedule (UnhealthyThresholdCount checks due within as many
	// intervals), not against a wall clock a busy machine can miss.
	Due          *time.Time    `json:"due,omitempty"`
	ScheduleSlip time.Duration `json:"schedule_slip,omitempty"`
}

// Event kinds.
const (
	EventZoneDown         = "zone down"
	EventZoneUp           = "zone up"
	EventInstanceKilled   = "instance killed"
	EventInstanceRecover  = "instance recovered"
	EventInstanceSlow     = "instance slow"
	EventDatabaseFailover = "database failover"
	EventDatabaseBack     = "database back"
	EventTarget           = "target health"
	// A zone impairment (impair.go): EventZoneImpaired once its instances
	// lost power, then EventDatabaseFailover (Multi-AZ) or EventDatabaseDown
	// (Single-AZ) per database whose primary is there, EventLaunchRefused
	// per launch Auto Scaling attempted there, EventZoneRecovered at the end.
	EventZoneImpaired  = "zone impaired"
	EventZoneRecovered = "zone recovered"
	EventLaunchRefused = "launch refused"
	EventDatabaseDown  = "database down"
	// EventLaunchFallback: a group with a mixed instances policy launched
	// the next of its instance types, its zone short of the first (impair.go).
	EventLaunchFallback = "launch fell back"
	// EventZoneShort: a zone short of instance types, its power on (impair.go).
	EventZoneShort = "zone short"
	// A gray failure (gray.go): a zone's instances slow or dropping
	// connections, their processes running.
	EventGrayFailure = "gray failure"
	EventGrayEnded   = "gray failure ended"
)

// maxEvents bounds the record; a soak reads it long before (target
// changes are a few per instance).
const maxEvents = 10000

func (s *Sandbox) record(e Event) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	s.evMu.Lock()
	defer s.evMu.Unlock()
	if len(s.events) >= maxEvents {
		s.events = s.events[1:]
	}
	s.events = append(s.events, e)
}

// Events returns the record, oldest first.
func (s *Sandbox) Events() []Event {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	return append([]Event(nil), s.events...)
}

func (s *Sandbox) serveEvents(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.Events())
}

// Events reads the sandbox's record of its data plane, oldest first.
func (c *Client) Events(ctx context.Context) ([]Event, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.Endpoint+"/_sandbox/events", nil)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the sandbox's events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("sandbox events: %s: %s", resp.Status, b)
	}
	var evs []Event
	if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil {
		return nil, fmt.Errorf("decoding the sandbox's events: %w", err)
	}
	return evs, nil
}

// LastEvent is the latest event of kind in evs for which match (nil: any)
// holds, and whether there is one.
func LastEvent(evs []Event, kind string, match func(Event) bool) (Event, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == kind && (match == nil || match(evs[i])) {
			return evs[i], true
		}
	}
	return Event{}, false
}
