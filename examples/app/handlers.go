package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Identity says which instance served a request: every answer carries it, in
// headers and in the JSON body, so a load test can see the spread across zones.
type Identity struct {
	InstanceID       string `json:"instance_id"`
	AvailabilityZone string `json:"availability_zone"`
}

type api struct {
	id    Identity
	store Store
	log   *slog.Logger
}

// routes is the whole HTTP surface of the app.
func (a *api) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", a.health)
	mux.HandleFunc("GET /health/db", a.healthDB)
	mux.HandleFunc("GET /fruits", a.list)
	mux.HandleFunc("POST /fruits", a.create)
	mux.HandleFunc("GET /fruits/{id}", a.get)
	mux.HandleFunc("PUT /fruits/{id}", a.update)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Instance-Id", a.id.InstanceID)
		w.Header().Set("X-Availability-Zone", a.id.AvailabilityZone)
		mux.ServeHTTP(w, r)
	})
}

func (a *api) reply(w http.ResponseWriter, status int, fields map[string]any) {
	fields["instance_id"] = a.id.InstanceID
	fields["availability_zone"] = a.id.AvailabilityZone
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(fields)
}

// fail maps store errors to status codes; anything unexpected is a 503 (the
// database is away) so the load balancer and clients may retry elsewhere.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusServiceUnavailable
	switch {
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, ErrInvalid):
		status = http.StatusUnprocessableEntity
	default:
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	a.reply(w, status, map[string]any{"error": err.Error()})
}

// health is the load balancer's check (and the provider's default path): a
// shallow liveness check, 200 whenever this process serves. The database's
// state is in the body but never fails the check. Every instance shares the
// one database, so a deep check would turn a database failover, or a fleet
// booting beside a database still being created, into every target failing
// at once and every zonal group replacing all its instances (AWS Builders'
// Library, "Implementing health checks",
// https://aws.amazon.com/builders-library/implementing-health-checks/: a
// check failing for a reason every server shares takes the fleet down). Requests that need the database still answer
// 503 while it is away; /health/db is the deep check for operators. The one
// exception is the app's own start (see pendingStore.Starting).
func (a *api) health(w http.ResponseWriter, r *http.Request) {
	// healthDBWait keeps the database's answer from ever making the check
	// time out: an ALB target group's HealthCheckTimeoutSeconds is 2 s at
	// least (ELBv2 API reference, CreateTargetGroup: range 2-120).
	const healthDBWait = 500 * time.Millisecond
	if s, ok := a.store.(interface{ Starting() bool }); ok && s.Starting() {
		a.reply(w, http.StatusServiceUnavailable, map[string]any{"status": "starting", "database": "not looked up yet"})
		return
	}
	fields := map[string]any{"status": "ok", "database": "ok"}
	if err := a.ping(r.Context(), healthDBWait); err != nil {
		fields["database"], fields["database_error"] = "unavailable", err.Error()
	}
	a.reply(w, http.StatusOK, fields)
}

// healthDB is the deep check: 200 only when the database answers, 503
// otherwise. Operators and tests use it to know the data path works; the
// load balancer must not (see health).
func (a *api) healthDB(w http.ResponseWriter, r *http.Request) {
	if err := a.ping(r.Context(), 2*time.Second); err != nil {
		a.reply(w, http.StatusServiceUnavailable, map[string]any{"status": "unhealthy", "database": "unavailable", "error": err.Error()})
		return
	}
	a.reply(w, http.StatusOK, map[string]any{"status": "ok", "database": "ok"})
}

func (a *api) ping(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	return a.store.Ping(ctx)
}

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	fruits, err := a.store.List(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.reply(w, http.StatusOK, map[string]any{"fruits": fruits})
}

func (a *api) get(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r)
	if !ok {
		return
	}
	f, err := a.store.Get(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.reply(w, http.StatusOK, map[string]any{"fruit": f})
}

func (a *api) create(w http.ResponseWriter, r *http.Request) {
	p, ok := a.body(w, r)
	if !ok {
		return
	}
	f, err := a.store.Create(r.Context(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/fruits/"+strconv.FormatInt(f.ID, 10))
	a.reply(w, http.StatusCreated, map[string]any{"fruit": f})
}

func (a *api) update(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r)
	if !ok {
		return
	}
	p, ok := a.body(w, r)
	if !ok {
		return
	}
	// If-Match is the HTTP way to send the version precondition.
	if v := r.Header.Get("If-Match"); v != "" && p.Version == nil {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			a.reply(w, http.StatusBadRequest, map[string]any{"error": "If-Match must be a fruit version number"})
			return
		}
		p.Version = &n
	}
	f, err := a.store.Update(r.Context(), id, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.reply(w, http.StatusOK, map[string]any{"fruit": f})
}

func (a *api) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		a.reply(w, http.StatusBadRequest, map[string]any{"error": "fruit id must be a positive integer"})
		return 0, false
	}
	return id, true
}

func (a *api) body(w http.ResponseWriter, r *http.Request) (FruitPatch, bool) {
	var p FruitPatch
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		a.reply(w, http.StatusBadRequest, map[string]any{"error": "body must be a JSON fruit: " + err.Error()})
		return p, false
	}
	return p, true
}
