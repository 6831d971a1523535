package zonalshift

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// The practice run configuration and the zonal autoshift status of a
// managed resource, from the ARC API reference
// (API_CreatePracticeRunConfiguration, API_UpdatePracticeRunConfiguration,
// API_DeletePracticeRunConfiguration, API_UpdateZonalAutoshiftConfiguration,
// the PracticeRunConfiguration, BlockedWindow and BlockedDate shapes):
//   - one configuration per resource: a second create is a ConflictException
//     (PracticeConfigurationAlreadyExists);
//   - 1 to 10 outcome alarms, 0 to 10 blocking alarms, each of type
//     CLOUDWATCH (InvalidConditionType) naming a CloudWatch alarm ARN
//     (InvalidAlarmCondition);
//   - at most 15 blocked windows as DAY:HH:MM-DAY:HH:MM starting and ending
//     on the same day, at most 15 blocked dates as YYYY-MM-DD
//     (InvalidPracticeBlocker); blocked and allowed windows not both
//     (InvalidPracticeWindows);
//   - an update replaces the lists it carries (an empty list clears) and
//     keeps the others;
//   - autoshift can be ENABLED only with a configuration
//     (PracticeConfigurationDoesNotExist), and the configuration deleted
//     only while autoshift is DISABLED (AutoShiftEnabled).
//
// Practice runs on request and autoshifts are in autoshift.go.

// PracticeRun is a resource's practice run configuration as the emulator
// holds it.
type PracticeRun struct {
	OutcomeAlarms  []Alarm
	BlockingAlarms []Alarm
	BlockedWindows []string
	BlockedDates   []string
	AllowedWindows []string
}

// Alarm is a ControlCondition.
type Alarm struct {
	Type            string `json:"type"`
	AlarmIdentifier string `json:"alarmIdentifier"`
}

// Autoshift statuses, as ARC spells them.
const (
	AutoshiftEnabled  = "ENABLED"
	AutoshiftDisabled = "DISABLED"
)

var (
	windowFormat = regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]-(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]$`)
	dateFormat   = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
	alarmARN     = regexp.MustCompile(`^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:.+$`)
)

// practiceInput is the body of the create and update calls; a nil list was
// not sent.
type practiceInput struct {
	ResourceIdentifier string    `json:"resourceIdentifier"`
	OutcomeAlarms      *[]Alarm  `json:"outcomeAlarms"`
	BlockingAlarms     *[]Alarm  `json:"blockingAlarms"`
	BlockedWindows     *[]string `json:"blockedWindows"`
	BlockedDates       *[]string `json:"blockedDates"`
	AllowedWindows     *[]string `json:"allowedWindows"`
}

func checkAlarms(list *[]Alarm, name string, lo, hi int) *apiError {
	if list == nil {
		return nil
	}
	if len(*list) < lo || len(*list) > hi {
		return invalid("InvalidAlarmCondition", "%s has %d alarms: %d to %d are allowed", name, len(*list), lo, hi)
	}
	for _, a := range *list {
		if a.Type != "CLOUDWATCH" {
			return invalid("InvalidConditionType", "%s: type %q is not CLOUDWATCH", name, a.Type)
		}
		if !alarmARN.MatchString(a.AlarmIdentifier) {
			return invalid("InvalidAlarmCondition", "%s: %q is not a CloudWatch alarm ARN", name, a.AlarmIdentifier)
		}
	}
	return nil
}

func checkWindows(list *[]string, reason, name string) *apiError {
	if list == nil {
		return nil
	}
	if len(*list) > 15 {
		return invalid(reason, "%s has %d windows: at most 15", name, len(*list))
	}
	for _, w := range *list {
		m := windowFormat.FindStringSubmatch(w)
		if m == nil || m[1] != m[3] || w[4:9] >= w[14:19] {
			return invalid(reason, "%s: %q is not a window of one day as DAY:HH:MM-DAY:HH:MM", name, w)
		}
	}
	return nil
}

// check validates what the input carries.
func (in practiceInput) check() *apiError {
	if err := checkAlarms(in.OutcomeAlarms, "outcomeAlarms", 1, 10); err != nil {
		return err
	}
	if err := checkAlarms(in.BlockingAlarms, "blockingAlarms", 0, 10); err != nil {
		return err
	}
	if err := checkWindows(in.BlockedWindows, "InvalidPracticeBlocker", "blockedWindows"); err != nil {
		return err
	}
	if err := checkWindows(in.AllowedWindows, "InvalidPracticeAllowedWindow", "allowedWindows"); err != nil {
		return err
	}
	if in.BlockedDates != nil {
		if len(*in.BlockedDates) > 15 {
			return invalid("InvalidPracticeBlocker", "blockedDates has %d dates: at most 15", len(*in.BlockedDates))
		}
		for _, d := range *in.BlockedDates {
			if !dateFormat.MatchString(d) {
				return invalid("InvalidPracticeBlocker", "blockedDates: %q is not a date as YYYY-MM-DD", d)
			}
		}
	}
	return nil
}

// apply sets what the input carries on c.
func (in practiceInput) apply(c *PracticeRun) {
	set := func(dst *[]string, src *[]string) {
		if src != nil {
			*dst = slices.Clone(*src)
		}
	}
	if in.OutcomeAlarms != nil {
		c.OutcomeAlarms = slices.Clone(*in.OutcomeAlarms)
	}
	if in.BlockingAlarms != nil {
		c.BlockingAlarms = slices.Clone(*in.BlockingAlarms)
	}
	set(&c.BlockedWindows, in.BlockedWindows)
	set(&c.BlockedDates, in.BlockedDates)
	set(&c.AllowedWindows, in.AllowedWindows)
}

// managedFor finds the managed resource an ARN in the path names.
func (e *Emulator) managedFor(r *http.Request, prefix string) (resource, *apiError) {
	arn, err := url.PathUnescape(strings.TrimPrefix(strings.TrimSuffix(r.URL.EscapedPath(), "/"), prefix))
	if err != nil {
		return resource{}, invalid("InvalidResourceIdentifier", "resource identifier is not valid: %v", err)
	}
	return e.managedByARN(r, arn)
}

func (e *Emulator) managedByARN(r *http.Request, arn string) (resource, *apiError) {
	res, found, err := e.resources.find(r.Context(), arn)
	if err != nil {
		return resource{}, &apiError{status: 500, code: "InternalServerException", message: err.Error()}
	}
	if !found {
		return resource{}, notFound("resource %s is not a managed resource", arn)
	}
	return res, nil
}

func (e *Emulator) createPractice(r *http.Request) (any, *apiError) {
	var in practiceInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.ResourceIdentifier == "" || in.OutcomeAlarms == nil {
		return nil, invalid("MissingValue", "resourceIdentifier and outcomeAlarms are required")
	}
	if in.BlockedWindows != nil && in.AllowedWindows != nil && len(*in.BlockedWindows) > 0 && len(*in.AllowedWindows) > 0 {
		return nil, invalid("InvalidPracticeWindows", "blockedWindows and allowedWindows cannot both be set")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	res, aerr := e.managedByARN(r, in.ResourceIdentifier)
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.practice[res.ARN] != nil {
		return nil, conflict("PracticeConfigurationAlreadyExists", "resource %s already has a practice run configuration", res.Name)
	}
	c := &PracticeRun{}
	in.apply(c)
	e.practice[res.ARN] = c
	return map[string]any{"arn": res.ARN, "name": res.Name, "zonalAutoshiftStatus": e.autoshiftStatus(res.ARN), "practiceRunConfiguration": practiceJSON(*c)}, nil
}

func (e *Emulator) updatePractice(r *http.Request) (any, *apiError) {
	var in practiceInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	res, aerr := e.managedFor(r, "/configuration/")
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.practice[res.ARN]
	if c == nil {
		return nil, notFound("resource %s has no practice run configuration", res.Name)
	}
	next := *c
	in.apply(&next)
	if len(next.BlockedWindows) > 0 && len(next.AllowedWindows) > 0 {
		return nil, invalid("InvalidPracticeWindows", "blockedWindows and allowedWindows cannot both be set")
	}
	*c = next
	return map[string]any{"arn": res.ARN, "name": res.Name, "zonalAutoshiftStatus": e.autoshiftStatus(res.ARN), "practiceRunConfiguration": practiceJSON(*c)}, nil
}

func (e *Emulator) deletePractice(r *http.Request) (any, *apiError) {
	res, aerr := e.managedFor(r, "/configuration/")
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.practice[res.ARN] == nil {
		return nil, notFound("resource %s has no practice run configuration", res.Name)
	}
	if e.autoshift[res.ARN] {
		return nil, conflict("AutoShiftEnabled", "disable zonal autoshift for resource %s before deleting its practice run configuration", res.Name)
	}
	delete(e.practice, res.ARN)
	return map[string]any{"arn": res.ARN, "name": res.Name, "zonalAutoshiftStatus": AutoshiftDisabled}, nil
}

func (e *Emulator) updateAutoshift(r *http.Request) (any, *apiError) {
	var in struct {
		ZonalAutoshiftStatus string `json:"zonalAutoshiftStatus"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.ZonalAutoshiftStatus != AutoshiftEnabled && in.ZonalAutoshiftStatus != AutoshiftDisabled {
		return nil, invalid("InvalidStatus", "zonalAutoshiftStatus %q must be ENABLED or DISABLED", in.ZonalAutoshiftStatus)
	}
	res, aerr := e.managedFor(r, "/managedresources/")
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if in.ZonalAutoshiftStatus == AutoshiftEnabled && e.practice[res.ARN] == nil {
		return nil, conflict("PracticeConfigurationDoesNotExist", "resource %s has no practice run configuration: create one before enabling zonal autoshift", res.Name)
	}
	e.autoshift[res.ARN] = in.ZonalAutoshiftStatus == AutoshiftEnabled
	return map[string]any{"resourceIdentifier": res.ARN, "zonalAutoshiftStatus": in.ZonalAutoshiftStatus}, nil
}

// autoshiftStatus is the resource's status as ARC spells it. Callers hold mu.
func (e *Emulator) autoshiftStatus(arn string) string {
	if e.autoshift[arn] {
		return AutoshiftEnabled
	}
	return AutoshiftDisabled
}

// Practice returns a copy of a resource's practice run configuration and
// its autoshift status, for tests.
func (e *Emulator) Practice(arn string) (PracticeRun, bool, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.practice[arn]
	if c == nil {
		return PracticeRun{}, false, e.autoshiftStatus(arn)
	}
	return *c, true, e.autoshiftStatus(arn)
}

// practiceJSON is the PracticeRunConfiguration shape; an empty list is
// left out, as ARC leaves out what was never set.
func practiceJSON(c PracticeRun) map[string]any {
	out := map[string]any{"outcomeAlarms": c.OutcomeAlarms}
	if len(c.BlockingAlarms) > 0 {
		out["blockingAlarms"] = c.BlockingAlarms
	}
	for k, v := range map[string][]string{"blockedWindows": c.BlockedWindows, "blockedDates": c.BlockedDates, "allowedWindows": c.AllowedWindows} {
		if len(v) > 0 {
			out[k] = v
		}
	}
	return out
}
