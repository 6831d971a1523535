package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox/postgres"

	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
)

// newTestPG starts a private PostgreSQL and returns a migrated store on it.
func newTestPG(t *testing.T) (*pgStore, *postgres.Server) {
	t.Helper()
	prereq.Require(t, postgres.Available())
	srv, err := postgres.Start(context.Background(), postgres.Options{User: "admin", Password: "P@55w0rd!", Database: "fruits"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	conn := fmt.Sprintf("host=%s port=%d dbname=%s sslmode=disable", srv.Host, srv.Port, srv.Database)
	pg, err := newPGStore(conn, func(context.Context) (string, string, error) { return srv.User, srv.Password, nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	if err := pg.migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Migrating twice is a no-op: every instance migrates at start.
	if err := pg.migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	return pg, srv
}

type client struct {
	t   *testing.T
	url string
}

func (c client) do(method, path string, body any, hdr ...string) (int, map[string]any, http.Header) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.url+path, r)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		c.t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
	}
	return resp.StatusCode, out, resp.Header
}

func serve(t *testing.T, s Store) client {
	a := &api{id: Identity{InstanceID: "i-0123", AvailabilityZone: "us-east-1a"}, store: s, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return client{t: t, url: srv.URL}
}

// TestAPI runs the same HTTP contract against both stores.
func TestAPI(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"memory":     func(*testing.T) Store { return newMemStore() },
		"postgresql": func(t *testing.T) Store { pg, _ := newTestPG(t); return pg },
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			c := serve(t, mk(t))
			st, body, hdr := c.do("GET", "/health", nil)
			if st != 200 || body["status"] != "ok" {
				t.Fatalf("health: %d %v", st, body)
			}
			if hdr.Get("X-Instance-Id") != "i-0123" || body["availability_zone"] != "us-east-1a" {
				t.Fatalf("identity missing: %v %v", hdr, body)
			}
			if st, body, _ := c.do("GET", "/health/db", nil); st != 200 || body["database"] != "ok" {
				t.Fatalf("health/db: %d %v", st, body)
			}
			st, body, hdr = c.do("POST", "/fruits", map[string]any{"name": "apple", "color": "red", "quantity": 3})
			if st != 201 || hdr.Get("Location") != "/fruits/1" {
				t.Fatalf("create: %d %v %v", st, body, hdr)
			}
			cases := []struct {
				method, path string
				body         any
				want         int
			}{
				{"GET", "/fruits/1", nil, 200},
				{"GET", "/fruits/99", nil, 404},
				{"GET", "/fruits/x", nil, 400},
				{"POST", "/fruits", map[string]any{"color": "green"}, 422},
				{"POST", "/fruits", map[string]any{"name": "pear", "bogus": 1}, 400},
				{"PUT", "/fruits/1", map[string]any{"quantity_delta": -10}, 422},
				{"PUT", "/fruits/1", map[string]any{"name": ""}, 422},
				{"PUT", "/fruits/1", map[string]any{"color": "green", "version": 1}, 200},
				{"PUT", "/fruits/1", map[string]any{"color": "yellow", "version": 1}, 409},
				{"PUT", "/fruits/99", map[string]any{"color": "blue"}, 404},
				{"GET", "/fruits", nil, 200},
			}
			for _, tc := range cases {
				if st, body, _ := c.do(tc.method, tc.path, tc.body); st != tc.want {
					t.Errorf("%s %s %v: got %d %v, want %d", tc.method, tc.path, tc.body, st, body, tc.want)
				}
			}
			_, body, _ = c.do("GET", "/fruits", nil)
			fruits, _ := body["fruits"].([]any)
			if len(fruits) != 1 || fruits[0].(map[string]any)["color"] != "green" {
				t.Fatalf("list: %v", body)
			}
			st, _, _ = c.do("PUT", "/fruits/1", map[string]any{"color": "red"}, "If-Match", "1")
			if st != 409 {
				t.Fatalf("If-Match with a stale version: got %d, want 409", st)
			}
		})
	}
}

// TestConcurrentUpdatesNeverLost fires many concurrent PUTs at one fruit:
// every delta lands, and of the PUTs sent with the same version exactly one
// wins while the rest get 409 (none is silently overwritten).
func TestConcurrentUpdatesNeverLost(t *testing.T) {
	pg, _ := newTestPG(t)
	c := serve(t, pg)
	c.do("POST", "/fruits", map[string]any{"name": "kiwi", "quantity": 0})
	const n = 20
	var wg sync.WaitGroup
	status := make(chan int, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			st, _, _ := c.do("PUT", "/fruits/1", map[string]any{"quantity_delta": 1})
			status <- st
		}()
		go func(i int) {
			defer wg.Done()
			st, _, _ := c.do("PUT", "/fruits/1", map[string]any{"color": fmt.Sprint("c", i), "version": 1})
			status <- -st
		}(i)
	}
	wg.Wait()
	close(status)
	var deltaOK, versionOK, conflicts int
	for st := range status {
		switch st {
		case 200:
			deltaOK++
		case -200:
			versionOK++
		case -409:
			conflicts++
		default:
			t.Errorf("unexpected status %d", st)
		}
	}
	_, body, _ := c.do("GET", "/fruits/1", nil)
	f := body["fruit"].(map[string]any)
	if deltaOK != n || f["quantity"].(float64) != n {
		t.Fatalf("deltas: %d succeeded, quantity %v; want %d and %d", deltaOK, f["quantity"], n, n)
	}
	// The version-1 PUT can only win if it ran before every delta; either way
	// at most one wins and every other one is told about the conflict.
	if versionOK > 1 || versionOK+conflicts != n {
		t.Fatalf("conditional PUTs: %d won, %d conflicts; want at most 1 winner and the rest 409", versionOK, conflicts)
	}
	if want := float64(1 + deltaOK + versionOK); f["version"].(float64) != want {
		t.Fatalf("version %v, want %v", f["version"], want)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"HAWEBAPP_DB_ENDPOINT": "db.example", "HAWEBAPP_DB_NAME": "app"}
	if _, err := configFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Fatal("a database without a secret ARN must be refused")
	}
	env["HAWEBAPP_DB_SECRET_ARN"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"
	c, err := configFromEnv(func(k string) string { return env[k] })
	if err != nil || c.Port != "8080" || c.DBPort != "5432" || c.DBMaxConns != defaultDBMaxConns {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	env["HAWEBAPP_DB_MAX_CONNS"] = "0"
	if _, err := configFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Fatal("a pool of no connections must be refused")
	}
	env["HAWEBAPP_DB_MAX_CONNS"] = "2"
	if c, err := configFromEnv(func(k string) string { return env[k] }); err != nil || c.DBMaxConns != 2 {
		t.Fatalf("HAWEBAPP_DB_MAX_CONNS=2: %+v %v", c, err)
	}
}

// downStore is a database that does not answer (a failover, a database
// still being created): every call fails the way a cut connection does.
type downStore struct{ Store }

var errDown = errors.New("connection refused")

func (downStore) List(context.Context) ([]Fruit, error)             { return nil, errDown }
func (downStore) Get(context.Context, int64) (Fruit, error)         { return Fruit{}, errDown }
func (downStore) Create(context.Context, FruitPatch) (Fruit, error) { return Fruit{}, errDown }
func (downStore) Update(context.Context, int64, FruitPatch) (Fruit, error) {
	return Fruit{}, errDown
}
func (downStore) Ping(context.Context) error { return errDown }
func (downStore) Close()                     {}

// TestHealthWithoutDatabase: without its database the app stays a healthy
// target (the load balancer's /health answers 200, the database's state in
// its body), the deep /health/db answers 503, and data requests 503 so
// clients may retry.
func TestHealthWithoutDatabase(t *testing.T) {
	c := serve(t, downStore{})
	if st, body, _ := c.do("GET", "/health", nil); st != 200 || body["status"] != "ok" || body["database"] != "unavailable" || body["database_error"] == nil {
		t.Fatalf("/health without the database: %d %v, want 200 with database unavailable", st, body)
	}
	if st, body, _ := c.do("GET", "/health/db", nil); st != 503 || body["database"] != "unavailable" {
		t.Fatalf("/health/db without the database: %d %v, want 503", st, body)
	}
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/fruits", nil}, {"GET", "/fruits/1", nil},
		{"POST", "/fruits", map[string]any{"name": "fig"}}, {"PUT", "/fruits/1", map[string]any{"quantity_delta": 1}},
	} {
		if st, body, _ := c.do(r.method, r.path, r.body); st != 503 {
			t.Errorf("%s %s without the database: %d %v, want 503", r.method, r.path, st, body)
		}
	}
}

// TestHealthWhileStarting: until RDS answers its first lookup the app is
// starting and /health fails (a new instance gets no traffic it cannot
// serve); once RDS has answered, even "no endpoint yet", /health is 200
// and the database's state is only reported.
func TestHealthWhileStarting(t *testing.T) {
	p := &pendingStore{}
	c := serve(t, p)
	if st, body, _ := c.do("GET", "/health", nil); st != 503 || body["status"] != "starting" {
		t.Fatalf("/health before the first lookup answered: %d %v, want 503 starting", st, body)
	}
	p.markStarted()
	if st, body, _ := c.do("GET", "/health", nil); st != 200 || body["database"] != "unavailable" {
		t.Fatalf("/health once RDS answered without an endpoint: %d %v, want 200, database unavailable", st, body)
	}
	if st, _, _ := c.do("GET", "/health/db", nil); st != 503 {
		t.Fatalf("/health/db without the database: %d, want 503", st)
	}
}
