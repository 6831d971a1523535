package zonalshift

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxExpiresIn is the longest a zonal shift may be set to last: "You can set
// a zonal shift to be active initially for up to three days (72 hours)"
// (ARC API reference, StartZonalShift and UpdateZonalShift, expiresIn).
const maxExpiresIn = 72 * time.Hour

// maxComment is the comment's length limit (ARC API reference: 0 to 128).
const maxComment = 128

// expiresInFormat is "a whole number, and then m or h, with no space".
var expiresInFormat = regexp.MustCompile(`^([1-9][0-9]*)(m|h)$`)

// apiError is an answer in the REST-JSON error shape: the type in the
// X-Amzn-ErrorType header, message and reason in the body.
type apiError struct {
	status  int
	code    string
	reason  string
	message string
}

func (e *apiError) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	body := map[string]string{"message": e.message}
	if e.reason != "" {
		body["reason"] = e.reason
	}
	_ = json.NewEncoder(w).Encode(body)
}

func notFound(format string, args ...any) *apiError {
	return &apiError{status: 404, code: "ResourceNotFoundException", message: fmt.Sprintf(format, args...)}
}

func invalid(reason, format string, args ...any) *apiError {
	return &apiError{status: 400, code: "ValidationException", reason: reason, message: fmt.Sprintf(format, args...)}
}

func conflict(reason, format string, args ...any) *apiError {
	return &apiError{status: 409, code: "ConflictException", reason: reason, message: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	o := lookup(r)
	if o == nil {
		(&apiError{status: 404, code: "UnknownOperationException", message: "the emulator does not serve " + r.Method + " " + r.URL.Path}).write(w)
		return
	}
	out, err := o.serve(e, r)
	if err != nil {
		err.write(w)
		return
	}
	writeJSON(w, o.status, out)
}

// parseExpiresIn reads "120m" or "20h", 1 minute to 72 hours.
func parseExpiresIn(v string) (time.Duration, *apiError) {
	m := expiresInFormat.FindStringSubmatch(v)
	if m == nil {
		return 0, invalid("InvalidExpiresIn", "expiresIn %q must be a whole number of minutes (m) or hours (h), such as 120m or 20h", v)
	}
	n, _ := strconv.Atoi(m[1])
	d := time.Duration(n) * time.Minute
	if m[2] == "h" {
		d = time.Duration(n) * time.Hour
	}
	if d > maxExpiresIn {
		return 0, invalid("InvalidExpiresIn", "expiresIn %q is longer than the maximum of 72 hours", v)
	}
	return d, nil
}

func decode(r *http.Request, v any) *apiError {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return invalid("MissingValue", "the request body is not valid JSON: %v", err)
	}
	return nil
}

func (e *Emulator) start(r *http.Request) (any, *apiError) {
	var in struct {
		ResourceIdentifier string  `json:"resourceIdentifier"`
		AwayFrom           string  `json:"awayFrom"`
		ExpiresIn          string  `json:"expiresIn"`
		Comment            *string `json:"comment"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.ResourceIdentifier == "" || in.AwayFrom == "" || in.ExpiresIn == "" || in.Comment == nil {
		return nil, invalid("MissingValue", "resourceIdentifier, awayFrom, expiresIn and comment are required")
	}
	if len(*in.Comment) > maxComment {
		return nil, invalid("MissingValue", "comment is longer than %d characters", maxComment)
	}
	d, aerr := parseExpiresIn(in.ExpiresIn)
	if aerr != nil {
		return nil, aerr
	}
	res, found, err := e.resources.find(r.Context(), in.ResourceIdentifier)
	if err != nil {
		return nil, &apiError{status: 500, code: "InternalServerException", message: err.Error()}
	}
	if !found {
		return nil, notFound("resource %s is not a managed resource: it does not exist, or its zonal shift integration (%s) is off", in.ResourceIdentifier, attrZonalShift)
	}
	name, aerr := res.zoneName(in.AwayFrom)
	if aerr != nil {
		return nil, aerr
	}
	defer e.lockCurrent()()
	// A practice run or an autoshift does not stop a customer's shift,
	// which takes precedence over both (developer guide, "Zonal autoshift").
	for _, s := range e.shifts {
		if s.Resource == res.ARN && s.Status == StatusActive && s.Type == TypeZonalShift {
			return nil, &apiError{status: 409, code: "ConflictException", reason: "ZonalShiftAlreadyExists",
				message: fmt.Sprintf("resource %s already has an active zonal shift %s away from %s", res.Name, s.ID, s.AwayFrom)}
		}
	}
	now := e.clock.Now()
	e.seq++
	s := &Shift{ID: fmt.Sprintf("zs-%08d-emul", e.seq), Type: TypeZonalShift, Resource: res.ARN, AwayFrom: in.AwayFrom, AwayFromName: name,
		Comment: *in.Comment, Start: now, Expiry: now.Add(d), Status: StatusActive}
	e.shifts = append(e.shifts, s)
	return shiftJSON(*s), nil
}

// shiftByID finds a shift by the ID in the request path. Callers hold mu.
func (e *Emulator) shiftByID(r *http.Request) (*Shift, *apiError) {
	id := strings.TrimPrefix(strings.TrimSuffix(r.URL.Path, "/"), "/zonalshifts/")
	for _, s := range e.shifts {
		if s.ID == id {
			return s, nil
		}
	}
	return nil, notFound("zonal shift %s not found", id)
}

// activeShiftByID finds the request's shift, after expiring what is due,
// and refuses one that is no longer ACTIVE (UpdateZonalShift and
// CancelZonalShift both answer ConflictException for it). e.mu must be held.
func (e *Emulator) activeShiftByID(r *http.Request) (*Shift, *apiError) {
	e.expire()
	s, aerr := e.shiftByID(r)
	if aerr != nil {
		return nil, aerr
	}
	if s.Status != StatusActive {
		return nil, conflict("ZonalShiftStatusNotActive", "zonal shift %s is %s, not ACTIVE", s.ID, s.Status)
	}
	return s, nil
}

func (e *Emulator) update(r *http.Request) (any, *apiError) {
	var in struct {
		Comment   *string `json:"comment"`
		ExpiresIn *string `json:"expiresIn"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var d time.Duration
	if in.ExpiresIn != nil {
		var aerr *apiError
		if d, aerr = parseExpiresIn(*in.ExpiresIn); aerr != nil {
			return nil, aerr
		}
	}
	if in.Comment != nil && len(*in.Comment) > maxComment {
		return nil, invalid("MissingValue", "comment is longer than %d characters", maxComment)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, aerr := e.activeShiftByID(r)
	if aerr != nil {
		return nil, aerr
	}
	if in.ExpiresIn != nil {
		s.Expiry = e.clock.Now().Add(d)
	}
	if in.Comment != nil {
		s.Comment = *in.Comment
	}
	return shiftJSON(*s), nil
}

func (e *Emulator) cancel(r *http.Request) (any, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, aerr := e.activeShiftByID(r)
	if aerr != nil {
		return nil, aerr
	}
	s.Status = StatusCanceled
	return shiftJSON(*s), nil
}

// pageSize is ListZonalShifts' default page (the API allows 1 to 100).
const pageSize = 100

func (e *Emulator) list(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	status := q.Get("status")
	if status == "" {
		status = StatusActive // "By default, lists only active zonal shifts" (API_ListZonalShifts)
	}
	if !slices.Contains([]string{StatusActive, StatusExpired, StatusCanceled}, status) {
		return nil, invalid("InvalidStatus", "status %q must be ACTIVE, EXPIRED or CANCELED", status)
	}
	size := pageSize
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return nil, invalid("MissingValue", "maxResults %q must be 1 to 100", v)
		}
		size = n
	}
	from := 0
	if v := q.Get("nextToken"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, invalid("InvalidToken", "nextToken %q is not valid", v)
		}
		from = n
	}
	defer e.lockCurrent()()
	var items []map[string]any
	for _, s := range e.shifts {
		if s.Status == status && (q.Get("resourceIdentifier") == "" || s.Resource == q.Get("resourceIdentifier")) {
			items = append(items, typedJSON(*s))
		}
	}
	out := map[string]any{"items": []map[string]any{}}
	if from < len(items) {
		end := min(from+size, len(items))
		out["items"] = items[from:end]
		if end < len(items) {
			out["nextToken"] = strconv.Itoa(end)
		}
	}
	return out, nil
}

func (e *Emulator) getManaged(r *http.Request) (any, *apiError) {
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/managedresources/")
	arn, err := url.PathUnescape(raw)
	if err != nil {
		return nil, invalid("InvalidResourceIdentifier", "resource identifier %q is not valid", raw)
	}
	res, found, lerr := e.resources.find(r.Context(), arn)
	if lerr != nil {
		return nil, &apiError{status: 500, code: "InternalServerException", message: lerr.Error()}
	}
	if !found {
		return nil, notFound("resource %s is not a managed resource", arn)
	}
	return e.managedJSON(res, false), nil
}

func (e *Emulator) listManaged(r *http.Request) (any, *apiError) {
	managed, err := e.resources.managed(r.Context())
	if err != nil {
		return nil, &apiError{status: 500, code: "InternalServerException", message: err.Error()}
	}
	items := []map[string]any{}
	for _, res := range managed {
		items = append(items, e.managedJSON(res, true))
	}
	return map[string]any{"items": items}, nil
}

// managedJSON is GetManagedResource's answer, or with summary a
// ManagedResourceSummary: the zones' applied weights (0 for the zone the
// APPLIED shift or autoshift moves traffic away from, 1 otherwise), the
// active shifts and practice runs, and the autoshifts on it, each APPLIED
// or NOT_APPLIED by precedence (autoshift.go).
func (e *Emulator) managedJSON(res resource, summary bool) map[string]any {
	defer e.lockCurrent()()
	weights := map[string]float64{}
	var zones []string
	for id := range res.Zones {
		weights[id] = 1
		zones = append(zones, id)
	}
	slices.Sort(zones)
	won := e.winner(res.ARN)
	shifts := []map[string]any{}
	for _, s := range e.shifts {
		if s.Resource != res.ARN || s.Status != StatusActive {
			continue
		}
		if s.ID == won {
			weights[s.AwayFrom] = 0
		}
		item := typedJSON(*s)
		delete(item, "status")
		item["appliedStatus"] = appliedStatus(s.ID == won)
		shifts = append(shifts, item)
	}
	autoshifts := []map[string]any{}
	if a := e.autoshiftOn(res.ARN); a != nil {
		applied := won == "autoshift:"+a.AwayFrom
		if applied {
			weights[a.AwayFrom] = 0
		}
		autoshifts = append(autoshifts, map[string]any{"awayFrom": a.AwayFrom, "startTime": epoch(a.Start), "appliedStatus": appliedStatus(applied)})
	}
	out := map[string]any{"arn": res.ARN, "name": res.Name, "appliedWeights": weights, "zonalShifts": shifts,
		"autoshifts": autoshifts, "zonalAutoshiftStatus": e.autoshiftStatus(res.ARN)}
	c := e.practice[res.ARN]
	switch {
	case summary:
		out["availabilityZones"] = zones
		out["practiceRunStatus"] = AutoshiftDisabled
		if c != nil {
			out["practiceRunStatus"] = AutoshiftEnabled
		}
	case c != nil:
		out["practiceRunConfiguration"] = practiceJSON(*c)
	}
	return out
}

// typedJSON is shiftJSON with the shift's type and, for a practice run,
// its outcome (ZonalShiftSummary, ZonalShiftInResource).
func typedJSON(s Shift) map[string]any {
	item := shiftJSON(s)
	item["shiftType"] = s.Type
	if s.Type == TypePracticeRun {
		item["practiceRunOutcome"] = s.Outcome
	}
	return item
}

// shiftJSON is the ZonalShift shape; timestamps are epoch seconds, as
// REST-JSON encodes them by default.
func shiftJSON(s Shift) map[string]any {
	return map[string]any{"zonalShiftId": s.ID, "resourceIdentifier": s.Resource, "awayFrom": s.AwayFrom,
		"expiryTime": float64(s.Expiry.UnixMilli()) / 1000, "startTime": float64(s.Start.UnixMilli()) / 1000,
		"status": s.Status, "comment": s.Comment}
}
