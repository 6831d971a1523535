package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// State is what GET /_sandbox/state answers: the data plane as it runs.
type State struct {
	LoadBalancers []LoadBalancerState `json:"load_balancers"`
	Instances     []InstanceState     `json:"instances"`
	Databases     []DatabaseState     `json:"databases"`
	// Processes lists every process the sandbox started, so a test can check
	// none outlives it.
	Processes []Process `json:"processes"`
}

type LoadBalancerState struct {
	ARN     string `json:"arn"`
	DNSName string `json:"dns_name"`
	URL     string `json:"url"`
	// Nodes are its zones' nodes, which its DNS name resolves to (lbnodes.go).
	Nodes []LBNode `json:"nodes,omitempty"`
}

type InstanceState struct {
	ID     string `json:"id"`
	ASG    string `json:"asg"`
	AZ     string `json:"az"`
	State  string `json:"state"`  // booting, running, stopped (app killed), draining, terminated
	Health string `json:"health"` // the worst target health across its target groups, "" if in none
	// Serving: a load balancer sends it new requests (healthy, and not in a
	// zone a zonal shift moves traffic away from).
	Serving bool   `json:"serving"`
	URL     string `json:"url"`
	PID     int    `json:"pid,omitempty"`
}

type DatabaseState struct {
	ID       string `json:"id"`
	Endpoint string `json:"endpoint"`
	Port     int    `json:"port"`
	PID      int    `json:"pid,omitempty"`
}

type Process struct {
	Kind string `json:"kind"`
	PID  int    `json:"pid"`
}

// Failure is the body of POST /_sandbox/fail.
type Failure struct {
	Kind string `json:"kind"` // instance, zone, database, slow, impair, short, gray
	ID   string `json:"id,omitempty"`
	Zone string `json:"zone,omitempty"`
	Down bool   `json:"down,omitempty"`
	// Recover restarts an instance's killed app, and ends a zone's
	// impairment or gray failure.
	Recover bool `json:"recover,omitempty"`
	// MS delays new connections: a slow instance, or a gray zone's share
	// SlowPercent (default all) of its connections.
	MS int `json:"ms,omitempty"`
	// InstanceTypes an impaired or short zone refuses to launch (empty: every type).
	InstanceTypes []string `json:"instance_types,omitempty"`
	// SlowPercent and DropPercent are the shares of a gray zone's new
	// connections that are delayed by MS, and reset.
	SlowPercent int `json:"slow_percent,omitempty"`
	DropPercent int `json:"drop_percent,omitempty"`
}

var healthRank = map[string]int{"": 0, "healthy": 1, "unused": 2, "initial": 3, "draining": 4, "unhealthy": 5}

func (s *Sandbox) state() State {
	st := State{LoadBalancers: []LoadBalancerState{}, Instances: []InstanceState{}, Databases: []DatabaseState{}}
	s.mu.Lock()
	for _, lb := range s.lbs {
		ls := LoadBalancerState{ARN: lb.arn, DNSName: lb.dns}
		lowest := 0
		for _, p := range lb.ports {
			if lowest == 0 || p < lowest {
				lowest = p
			}
		}
		if lowest != 0 {
			ls.URL = fmt.Sprintf("http://127.0.0.1:%d", lowest)
		}
		st.LoadBalancers = append(st.LoadBalancers, ls)
	}
	s.mu.Unlock()
	for i := range st.LoadBalancers {
		st.LoadBalancers[i].Nodes = s.lbNodeStates(st.LoadBalancers[i].ARN)
	}
	s.mu.Lock()
	insts := make([]*instance, 0, len(s.instances))
	gone := map[string]bool{} // read under s.mu, which guards goneSince
	for _, in := range s.instances {
		insts = append(insts, in)
		gone[in.id] = !in.goneSince.IsZero()
	}
	health := map[string]string{}
	serving := map[string]bool{}
	for _, tg := range s.tgs {
		for _, t := range tg.targets {
			serving[t.id] = serving[t.id] || t.view.served
			if healthRank[t.view.state] > healthRank[health[t.id]] {
				health[t.id] = t.view.state
			}
		}
	}
	dbs := make([]*database, 0, len(s.dbs))
	for _, db := range s.dbs {
		dbs = append(dbs, db)
	}
	s.mu.Unlock()
	for _, in := range insts {
		state, pid := in.snapshot()
		if gone[in.id] && state != "terminated" {
			state = "draining"
		}
		st.Instances = append(st.Instances, InstanceState{ID: in.id, ASG: in.asg, AZ: in.az, State: state, Health: health[in.id], Serving: serving[in.id], URL: in.URL(), PID: pid})
		if pid != 0 {
			st.Processes = append(st.Processes, Process{Kind: "instance " + in.id, PID: pid})
		}
	}
	for _, db := range dbs {
		pid := db.pid()
		st.Databases = append(st.Databases, DatabaseState{ID: db.id, Endpoint: "127.0.0.1", Port: db.port, PID: pid})
		if pid != 0 {
			st.Processes = append(st.Processes, Process{Kind: "database " + db.id, PID: pid})
		}
	}
	if pid := s.hap.pid(); pid != 0 {
		st.Processes = append(st.Processes, Process{Kind: "haproxy", PID: pid})
	}
	if pid := childPID(fmt.Sprintf("-p %d", s.moto.Port)); pid != 0 {
		st.Processes = append(st.Processes, Process{Kind: "moto", PID: pid})
	}
	sort.Slice(st.Instances, func(i, j int) bool { return st.Instances[i].ID < st.Instances[j].ID })
	sort.Slice(st.LoadBalancers, func(i, j int) bool { return st.LoadBalancers[i].ARN < st.LoadBalancers[j].ARN })
	return st
}

func (s *Sandbox) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if id, ok := strings.CutPrefix(r.URL.Path, "/_sandbox/console/"); ok && r.Method == http.MethodGet {
		s.serveConsole(w, id)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /_sandbox/state":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.state())
	case "GET /_sandbox/events":
		s.serveEvents(w)
	case "GET /_sandbox/resolve":
		s.serveResolve(w, r)
	case "POST /_sandbox/fail":
		var f Failure
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, "body must be a JSON failure: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.Fail(r.Context(), f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "unknown admin call: GET /_sandbox/state, GET /_sandbox/events, GET /_sandbox/console/<id>, GET /_sandbox/resolve?name=, POST /_sandbox/fail", http.StatusNotFound)
	}
}

// Fail injects a failure (see Failure).
func (s *Sandbox) Fail(ctx context.Context, f Failure) error {
	s.mu.Lock()
	in := s.instances[f.ID]
	db := s.dbs[f.ID]
	s.mu.Unlock()
	switch f.Kind {
	case "instance":
		if in == nil {
			return fmt.Errorf("no instance %q", f.ID)
		}
		if f.Recover {
			if err := in.recover(); err != nil {
				return err
			}
			s.record(Event{Kind: EventInstanceRecover, Zone: in.az, IDs: []string{in.id}})
			return nil
		}
		in.kill()
		s.record(Event{Kind: EventInstanceKilled, Zone: in.az, IDs: []string{in.id}})
	case "slow":
		if in == nil {
			return fmt.Errorf("no instance %q", f.ID)
		}
		in.nic.delayMs.Store(int64(f.MS))
		s.record(Event{Kind: EventInstanceSlow, Zone: in.az, IDs: []string{in.id}, Reason: fmt.Sprintf("new connections delayed %d ms", f.MS)})
	case "zone":
		if f.Zone == "" {
			return fmt.Errorf("zone failure needs a zone")
		}
		// A zone outage is a power loss (see instance.powerOff).
		ids := s.zonePower(f.Zone, !f.Down)
		// Recorded once every instance of the zone has lost (or regained)
		// power: the failure's instant for a budget.
		kind := EventZoneUp
		if f.Down {
			kind = EventZoneDown
		}
		s.record(Event{Kind: kind, Zone: f.Zone, IDs: ids})
	case "impair":
		if f.Recover {
			return s.recoverZone(ctx, f.Zone)
		}
		return s.impairZone(ctx, f.Zone, f.InstanceTypes)
	case "short":
		if f.Recover {
			return s.recoverZone(ctx, f.Zone)
		}
		return s.shortZone(f.Zone, f.InstanceTypes)
	case "gray":
		return s.grayZone(f)
	case "database":
		if db == nil {
			return fmt.Errorf("no database %q", f.ID)
		}
		return s.failover(db)
	default:
		return fmt.Errorf("unknown failure kind %q (instance, zone, database, slow, impair, short, gray)", f.Kind)
	}
	return nil
}

// Client calls a sandbox's admin API.
type Client struct {
	Endpoint string
	HTTP     *http.Client
}

// NewClient returns a client for the sandbox at endpoint.
func NewClient(endpoint string) *Client {
	return &Client{Endpoint: endpoint, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// State reads the data plane's state.
func (c *Client) State(ctx context.Context) (State, error) {
	var st State
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.Endpoint+"/_sandbox/state", nil)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return st, fmt.Errorf("sandbox state: %s: %s", resp.Status, b)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// Fail injects a failure.
func (c *Client) Fail(ctx context.Context, f Failure) error {
	b, _ := json.Marshal(f)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+"/_sandbox/fail", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("sandbox fail %s: %s: %s", f.Kind, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// childPID finds our child process whose command line contains marker. The
// moto launcher does not expose its PID; this only reports it, never kills.
func childPID(marker string) int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		dir := filepath.Dir(path)
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		if strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), marker) {
			pid, _ := strconv.Atoi(filepath.Base(dir))
			return pid
		}
	}
	return 0
}
