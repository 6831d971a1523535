package zonalshift

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Practice runs and autoshifts, from the ARC API reference
// (API_StartPracticeRun, API_CancelPracticeRun, API_ListAutoshifts, the
// ZonalShiftInResource, AutoshiftInResource and AutoshiftSummary shapes)
// and the developer guide ("Zonal autoshift", "Practice runs"):
//   - a practice run is a zonal shift of shiftType PRACTICE_RUN that lasts
//     Options.PracticeRunDuration (ARC's are about 30 minutes); it needs a
//     practice run configuration (ConflictException
//     PracticeConfigurationDoesNotExist), no other active shift of the
//     resource (ZonalShiftAlreadyExists) and no autoshift on it
//     (ZonalAutoshiftActive). Its outcome is PENDING while it runs,
//     SUCCEEDED when it reaches its expiry, INTERRUPTED when the customer
//     cancels it, FAILED when whoever watches its outcome alarms (the
//     sandbox) ends it with FailPracticeRun;
//   - an autoshift is ARC's own, away from a zone AWS found impaired: the
//     caller (the sandbox, on a zone impairment) starts and ends it; it
//     applies to each managed resource in that zone whose zonal autoshift
//     status was ENABLED when it started, while that status stays ENABLED;
//     ListAutoshifts lists it ACTIVE, then COMPLETED;
//   - when several apply to a resource, a customer's zonal shift wins over
//     an autoshift, which wins over a practice run: only the winner is
//     APPLIED and moves traffic (Active, appliedWeights).
//
// The emulator never starts a practice run on its own schedule, and does
// not refuse one for red alarms or blocked windows (it does not read
// CloudWatch).

// Shift types and practice run outcomes, as ARC spells them.
const (
	TypeZonalShift  = "ZONAL_SHIFT"
	TypePracticeRun = "PRACTICE_RUN"
	TypeAutoshift   = "ZONAL_AUTOSHIFT"

	OutcomePending     = "PENDING"
	OutcomeSucceeded   = "SUCCEEDED"
	OutcomeFailed      = "FAILED"
	OutcomeInterrupted = "INTERRUPTED"
)

// Autoshift statuses (AutoshiftExecutionStatus).
const (
	AutoshiftActive    = "ACTIVE"
	AutoshiftCompleted = "COMPLETED"
)

// defaultPracticeRun is how long ARC shifts traffic for a practice run
// ("about 30 minutes", developer guide, "Practice runs").
const defaultPracticeRun = 30 * time.Minute

// Autoshift is one autoshift as the emulator holds it.
type Autoshift struct {
	AwayFrom     string // zone ID
	AwayFromName string
	Start, End   time.Time // End zero while ACTIVE
	Status       string
	Resources    []string // the load balancers it applies to
}

// StartAutoshift starts an autoshift away from a zone (its name or ID) for
// every managed resource there whose zonal autoshift is ENABLED, as ARC does
// when AWS detects an impairment. It returns the resources it applies to;
// with none, no autoshift is started (ARC starts them for resources).
func (e *Emulator) StartAutoshift(ctx context.Context, zone string) ([]string, error) {
	managed, err := e.resources.managed(ctx)
	if err != nil {
		return nil, err
	}
	a := &Autoshift{Status: AutoshiftActive, Start: e.clock.Now()}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, res := range managed {
		for id, name := range res.Zones {
			if (id == zone || name == zone) && e.autoshift[res.ARN] {
				a.AwayFrom, a.AwayFromName = id, name
				a.Resources = append(a.Resources, res.ARN)
			}
		}
	}
	if len(a.Resources) == 0 {
		return nil, nil
	}
	for _, o := range e.autoshifts {
		if o.Status == AutoshiftActive && o.AwayFrom == a.AwayFrom {
			return nil, fmt.Errorf("an autoshift away from %s is already active", zone)
		}
	}
	slices.Sort(a.Resources)
	e.autoshifts = append(e.autoshifts, a)
	return slices.Clone(a.Resources), nil
}

// EndAutoshift completes the active autoshift away from a zone (name or
// ID), as ARC does once the zone is healthy again; it returns the
// resources it applied to, none when there was no autoshift.
func (e *Emulator) EndAutoshift(zone string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range e.autoshifts {
		if a.Status == AutoshiftActive && (a.AwayFrom == zone || a.AwayFromName == zone) {
			a.Status, a.End = AutoshiftCompleted, e.clock.Now()
			return slices.Clone(a.Resources)
		}
	}
	return nil
}

// autoshiftOn is the active autoshift that applies to a resource, or nil.
// Callers hold mu.
func (e *Emulator) autoshiftOn(arn string) *Autoshift {
	if !e.autoshift[arn] {
		return nil
	}
	for _, a := range e.autoshifts {
		if a.Status == AutoshiftActive && slices.Contains(a.Resources, arn) {
			return a
		}
	}
	return nil
}

// winner is what moves a resource's traffic now: its customer zonal shift,
// else the autoshift on it, else its practice run (ID, or the autoshift's
// zone prefixed "autoshift:"); "" for none. Callers hold mu, after expire.
func (e *Emulator) winner(arn string) string {
	var practice string
	for _, s := range e.shifts {
		if s.Resource != arn || s.Status != StatusActive {
			continue
		}
		if s.Type == TypeZonalShift {
			return s.ID
		}
		practice = s.ID
	}
	if a := e.autoshiftOn(arn); a != nil {
		return "autoshift:" + a.AwayFrom
	}
	return practice
}

// PracticeRuns returns copies of every practice run, for the watcher of
// their outcome alarms.
func (e *Emulator) PracticeRuns() []Shift {
	defer e.lockCurrent()()
	var out []Shift
	for _, s := range e.shifts {
		if s.Type == TypePracticeRun {
			out = append(out, *s)
		}
	}
	return out
}

// FailPracticeRun ends an active practice run with outcome FAILED, as ARC
// does when an outcome alarm goes to ALARM during it.
func (e *Emulator) FailPracticeRun(id string) bool {
	defer e.lockCurrent()()
	for _, s := range e.shifts {
		if s.ID == id && s.Type == TypePracticeRun && s.Status == StatusActive {
			s.Status, s.Outcome, s.Expiry = StatusCanceled, OutcomeFailed, e.clock.Now()
			return true
		}
	}
	return false
}

func (e *Emulator) startPractice(r *http.Request) (any, *apiError) {
	var in struct {
		ResourceIdentifier string  `json:"resourceIdentifier"`
		AwayFrom           string  `json:"awayFrom"`
		Comment            *string `json:"comment"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.ResourceIdentifier == "" || in.AwayFrom == "" || in.Comment == nil {
		return nil, invalid("MissingValue", "resourceIdentifier, awayFrom and comment are required")
	}
	if len(*in.Comment) > maxComment {
		return nil, invalid("MissingValue", "comment is longer than %d characters", maxComment)
	}
	res, aerr := e.managedByARN(r, in.ResourceIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	name, aerr := res.zoneName(in.AwayFrom)
	if aerr != nil {
		return nil, aerr
	}
	defer e.lockCurrent()()
	if e.practice[res.ARN] == nil {
		return nil, conflict("PracticeConfigurationDoesNotExist", "resource %s has no practice run configuration", res.Name)
	}
	if a := e.autoshiftOn(res.ARN); a != nil {
		return nil, conflict("ZonalAutoshiftActive", "an autoshift away from %s is active on resource %s", a.AwayFrom, res.Name)
	}
	for _, s := range e.shifts {
		if s.Resource == res.ARN && s.Status == StatusActive {
			return nil, conflict("ZonalShiftAlreadyExists", "resource %s already has an active %s %s away from %s", res.Name, s.Type, s.ID, s.AwayFrom)
		}
	}
	now := e.clock.Now()
	e.seq++
	s := &Shift{ID: fmt.Sprintf("zs-%08d-prac", e.seq), Type: TypePracticeRun, Outcome: OutcomePending, Resource: res.ARN,
		AwayFrom: in.AwayFrom, AwayFromName: name, Comment: *in.Comment, Start: now, Expiry: now.Add(e.practiceFor), Status: StatusActive}
	e.shifts = append(e.shifts, s)
	return shiftJSON(*s), nil
}

func (e *Emulator) cancelPractice(r *http.Request) (any, *apiError) {
	defer e.lockCurrent()()
	id := strings.TrimPrefix(strings.TrimSuffix(r.URL.Path, "/"), "/practiceruns/")
	for _, s := range e.shifts {
		if s.ID != id {
			continue
		}
		if s.Type != TypePracticeRun {
			return nil, invalid("UnsupportedPracticeCancelShiftType", "zonal shift %s is a %s, not a practice run", id, s.Type)
		}
		if s.Status != StatusActive {
			return nil, conflict("ZonalShiftStatusNotActive", "practice run %s is %s, not ACTIVE", id, s.Status)
		}
		s.Status, s.Outcome = StatusCanceled, OutcomeInterrupted
		return shiftJSON(*s), nil
	}
	return nil, notFound("practice run %s not found", id)
}

func (e *Emulator) listAutoshifts(r *http.Request) (any, *apiError) {
	status := r.URL.Query().Get("status")
	if status != "" && status != AutoshiftActive && status != AutoshiftCompleted {
		return nil, invalid("InvalidStatus", "status %q must be ACTIVE or COMPLETED", status)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	items := []map[string]any{}
	for _, a := range e.autoshifts {
		if status != "" && a.Status != status {
			continue
		}
		item := map[string]any{"awayFrom": a.AwayFrom, "startTime": epoch(a.Start), "status": a.Status}
		if !a.End.IsZero() {
			item["endTime"] = epoch(a.End)
		}
		items = append(items, item)
	}
	return map[string]any{"items": items}, nil
}

// appliedStatus spells whether a shift or autoshift is the winner.
func appliedStatus(won bool) string {
	if won {
		return "APPLIED"
	}
	return "NOT_APPLIED"
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
