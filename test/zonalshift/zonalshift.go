// Package zonalshift emulates the Amazon Application Recovery Controller
// (ARC) zonal shift API in front of an AWS emulator that lacks it (moto
// 5.2.1 has none). It is an http.Handler: calls to the zonal shift API
// (REST-JSON, as aws-sdk-go-v2's arczonalshift client sends them) are
// answered here, every other call goes to the handler behind it.
//
// What it models, from the ARC API reference (API_StartZonalShift,
// API_UpdateZonalShift, API_CancelZonalShift, API_ListZonalShifts,
// API_GetManagedResource, API_ListManagedResources) and the ARC developer
// guide ("Application Load Balancers" under supported resources):
//   - the managed resources are the Application Load Balancers behind the
//     emulator whose attribute zonal_shift.config.enabled is true; any other
//     resource identifier is answered ResourceNotFoundException;
//   - awayFrom is an Availability Zone ID (use1-az1) of one of the load
//     balancer's zones, else ValidationException (InvalidAz);
//   - expiresIn is a whole number of minutes or hours ("120m", "20h"), at
//     most 72 hours, else ValidationException (InvalidExpiresIn);
//   - a load balancer can be shifted away from one zone at a time: a second
//     active shift is a ConflictException (ZonalShiftAlreadyExists);
//   - a shift expires at its expiry time (read from a pluggable Clock, so a
//     sandbox with compressed time expires it in emulated time); update and
//     cancel of a shift that is not active are ConflictException
//     (ZonalShiftStatusNotActive);
//   - ListZonalShifts lists the ACTIVE shifts unless another status is asked;
//   - the practice run configuration and zonal autoshift status are stored
//     and reported (practicerun.go); practice runs on request and
//     autoshifts a caller starts, with ARC's precedence (autoshift.go);
//   - with Options.RegistrationDelay, a load balancer whose attribute was
//     turned on through the emulator stays unknown (ResourceNotFoundException)
//     for that long: ARC registers resources itself, not at once.
package zonalshift

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Clock tells the emulator what time it is. The sandbox passes its emulated
// clock, tests a fake one.
type Clock interface{ Now() time.Time }

// RealClock is the wall clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// Status of a zonal shift, as ARC spells it.
const (
	StatusActive   = "ACTIVE"
	StatusExpired  = "EXPIRED"
	StatusCanceled = "CANCELED"
)

// Shift is one zonal shift as the emulator holds it.
type Shift struct {
	ID       string
	Resource string // load balancer ARN
	AwayFrom string // Availability Zone ID
	// AwayFromName is the zone's name (us-east-1b), which the data plane uses.
	AwayFromName string
	Comment      string
	Start        time.Time
	Expiry       time.Time
	Status       string
	// Type is TypeZonalShift (a customer's), TypePracticeRun, or, in
	// Active only, TypeAutoshift.
	Type string
	// Outcome is a practice run's (OutcomePending while it runs).
	Outcome string
}

// Options tune New. The zero value uses the wall clock.
type Options struct {
	Clock Clock
	// Region is the region the emulator answers for (the load balancers it
	// looks up); default us-east-1.
	Region string
	// Lookup, when set, is where the emulator reads load balancers and zones
	// (moto itself, so a fault layer between does not touch its own
	// look-ups); default the handler behind it.
	Lookup http.Handler
	// RegistrationDelay is how long after its zonal shift attribute is
	// turned on (ModifyLoadBalancerAttributes through the emulator) a load
	// balancer stays unknown to ARC: ResourceNotFoundException from
	// StartZonalShift and GetManagedResource, absent from
	// ListManagedResources. ARC registers supported resources itself
	// ("Resources are automatically registered with ARC by AWS services",
	// API reference, StartZonalShift; "A resource must be active and fully
	// provisioned", Developer Guide, "Supported resources"), not at once.
	// Default 0: at once.
	RegistrationDelay time.Duration
	// PracticeRunDuration is how long a practice run shifts traffic;
	// default 30 minutes, as ARC's.
	PracticeRunDuration time.Duration
}

// Emulator is the handler. Build it with New.
type Emulator struct {
	next        http.Handler
	clock       Clock
	resources   *resources
	delay       time.Duration // Options.RegistrationDelay
	practiceFor time.Duration // Options.PracticeRunDuration

	mu         sync.Mutex
	shifts     []*Shift
	seq        int
	enabledAt  map[string]time.Time    // load balancer ARN -> zonal shift attribute last turned on
	practice   map[string]*PracticeRun // load balancer ARN -> its practice run configuration (practicerun.go)
	autoshift  map[string]bool         // load balancer ARN -> zonal autoshift ENABLED
	autoshifts []*Autoshift            // started by the caller (autoshift.go)
}

// New puts the emulator in front of next (moto, or a layer in front of it).
// The emulator looks load balancers and zones up through next itself.
func New(next http.Handler, opts Options) *Emulator {
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.PracticeRunDuration <= 0 {
		opts.PracticeRunDuration = defaultPracticeRun
	}
	lookup := opts.Lookup
	if lookup == nil {
		lookup = next
	}
	e := &Emulator{next: next, clock: opts.Clock, resources: newResources(lookup, opts.Region), delay: opts.RegistrationDelay, practiceFor: opts.PracticeRunDuration,
		enabledAt: map[string]time.Time{}, practice: map[string]*PracticeRun{}, autoshift: map[string]bool{}}
	e.resources.registered = e.registered
	return e
}

// registered reports whether ARC knows the load balancer: its zonal shift
// attribute was not turned on through the emulator within the
// registration delay.
func (e *Emulator) registered(arn string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	at, ok := e.enabledAt[arn]
	return !ok || !e.clock.Now().Before(at.Add(e.delay))
}

// watch passes a call on, noting when it turns a load balancer's zonal
// shift attribute on (ELBv2 ModifyLoadBalancerAttributes, a form body).
func (e *Emulator) watch(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == "ModifyLoadBalancerAttributes" {
		for i := 1; form.Has(fmt.Sprintf("Attributes.member.%d.Key", i)); i++ {
			if form.Get(fmt.Sprintf("Attributes.member.%d.Key", i)) == attrZonalShift && form.Get(fmt.Sprintf("Attributes.member.%d.Value", i)) == "true" {
				e.mu.Lock()
				e.enabledAt[form.Get("LoadBalancerArn")] = e.clock.Now()
				e.mu.Unlock()
			}
		}
	}
	e.next.ServeHTTP(w, r)
}

// Middleware is New in the shape of an http middleware (sandbox.Options.Wrap).
func Middleware(opts Options) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return New(next, opts) }
}

// Hook builds the emulator when a server hands over its handler and keeps
// it, so the caller can read its state (the sandbox's data plane does).
type Hook struct {
	Options  Options
	Emulator *Emulator
}

// Wrap is the middleware; call it once.
func (h *Hook) Wrap(next http.Handler) http.Handler {
	h.Emulator = New(next, h.Options)
	return h.Emulator
}

// scopeService reads the signing name from a SigV4 Authorization header.
var scopeService = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([^/]+)/`)

// IsZonalShiftCall reports whether a request is for the zonal shift API: by
// its SigV4 signing name (arc-zonal-shift; the SDK's endpoint rules may
// sign as percdataplane) or, unsigned, by the API's paths.
func IsZonalShiftCall(r *http.Request) bool {
	if m := scopeService.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1] == "arc-zonal-shift" || m[1] == "percdataplane"
	}
	return strings.HasPrefix(r.URL.Path, "/zonalshifts") || strings.HasPrefix(r.URL.Path, "/managedresources") || strings.HasPrefix(r.URL.Path, "/configuration") ||
		strings.HasPrefix(r.URL.Path, "/practiceruns") || strings.HasPrefix(r.URL.Path, "/autoshifts")
}

// operation is one of the zonal shift API's operations: its path and
// method, its name, the status it answers with and the emulator's handler.
type operation struct {
	path, method, name string
	status             int
	serve              func(*Emulator, *http.Request) (any, *apiError)
}

// operations are the zonal shift API's operations by path and method: the
// path itself, or, ending in "/", any path below it.
var operations = []operation{
	{"/zonalshifts", http.MethodPost, "StartZonalShift", http.StatusCreated, (*Emulator).start},
	{"/zonalshifts", http.MethodGet, "ListZonalShifts", http.StatusOK, (*Emulator).list},
	{"/zonalshifts/", http.MethodPatch, "UpdateZonalShift", http.StatusOK, (*Emulator).update},
	{"/zonalshifts/", http.MethodDelete, "CancelZonalShift", http.StatusOK, (*Emulator).cancel},
	{"/managedresources", http.MethodGet, "ListManagedResources", http.StatusOK, (*Emulator).listManaged},
	{"/managedresources/", http.MethodGet, "GetManagedResource", http.StatusOK, (*Emulator).getManaged},
	{"/managedresources/", http.MethodPut, "UpdateZonalAutoshiftConfiguration", http.StatusOK, (*Emulator).updateAutoshift},
	{"/configuration", http.MethodPost, "CreatePracticeRunConfiguration", http.StatusCreated, (*Emulator).createPractice},
	{"/configuration/", http.MethodPatch, "UpdatePracticeRunConfiguration", http.StatusOK, (*Emulator).updatePractice},
	{"/configuration/", http.MethodDelete, "DeletePracticeRunConfiguration", http.StatusOK, (*Emulator).deletePractice},
	{"/practiceruns", http.MethodPost, "StartPracticeRun", http.StatusOK, (*Emulator).startPractice},
	{"/practiceruns/", http.MethodDelete, "CancelPracticeRun", http.StatusOK, (*Emulator).cancelPractice},
	{"/autoshifts", http.MethodGet, "ListAutoshifts", http.StatusOK, (*Emulator).listAutoshifts},
}

// lookup finds the operation a zonal shift call calls (nil for none).
func lookup(r *http.Request) *operation {
	p := strings.TrimSuffix(r.URL.Path, "/")
	for i, o := range operations {
		under := strings.HasSuffix(o.path, "/")
		if r.Method == o.method && (p == o.path || under && strings.HasPrefix(p, o.path)) {
			return &operations[i]
		}
	}
	return nil
}

// Operation names the zonal shift API operation a request calls ("" for
// another API), for recorders that count calls.
func Operation(r *http.Request) string {
	if !IsZonalShiftCall(r) {
		return ""
	}
	if o := lookup(r); o != nil {
		return o.name
	}
	return "unknown"
}

// ServeHTTP answers zonal shift calls and passes the rest on.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !IsZonalShiftCall(r) {
		if e.delay > 0 && r.Method == http.MethodPost {
			e.watch(w, r)
			return
		}
		e.next.ServeHTTP(w, r)
		return
	}
	e.serveAPI(w, r)
}

// lockCurrent locks the emulator and brings its shifts up to the clock
// (expire): the state a call sees. It returns the unlock, for a defer.
func (e *Emulator) lockCurrent() (unlock func()) {
	e.mu.Lock()
	e.expire()
	return e.mu.Unlock
}

// expire marks every active shift past its expiry EXPIRED; a practice run
// that reached its end without being failed SUCCEEDED. Callers hold mu.
func (e *Emulator) expire() {
	now := e.clock.Now()
	for _, s := range e.shifts {
		if s.Status == StatusActive && !now.Before(s.Expiry) {
			s.Status = StatusExpired
			if s.Type == TypePracticeRun && s.Outcome == OutcomePending {
				s.Outcome = OutcomeSucceeded
			}
		}
	}
}

// Active returns, for the data plane, what moves each resource's traffic
// now: per resource only the APPLIED one of its customer zonal shift,
// autoshift (as a Shift of TypeAutoshift) and practice run.
func (e *Emulator) Active() []Shift {
	defer e.lockCurrent()()
	var out []Shift
	seen := map[string]bool{}
	add := func(arn string) {
		if seen[arn] {
			return
		}
		seen[arn] = true
		w := e.winner(arn)
		if zone, ok := strings.CutPrefix(w, "autoshift:"); ok {
			a := e.autoshiftOn(arn)
			out = append(out, Shift{ID: w, Resource: arn, AwayFrom: zone, AwayFromName: a.AwayFromName, Start: a.Start, Status: StatusActive, Type: TypeAutoshift})
			return
		}
		for _, s := range e.shifts {
			if s.ID == w {
				out = append(out, *s)
			}
		}
	}
	for _, s := range e.shifts {
		if s.Status == StatusActive {
			add(s.Resource)
		}
	}
	for _, a := range e.autoshifts {
		if a.Status == AutoshiftActive {
			for _, arn := range a.Resources {
				add(arn)
			}
		}
	}
	return out
}

// Expire ends a shift now, as if its expiry time had passed (a test's
// shortcut for waiting up to 72 hours).
func (e *Emulator) Expire(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.shifts {
		if s.ID == id && s.Status == StatusActive {
			s.Status, s.Expiry = StatusExpired, e.clock.Now()
			return true
		}
	}
	return false
}
