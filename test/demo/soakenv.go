package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox/postgres"
)

// CheckPrereqs checks what the whole demo needs, reporting every missing
// piece at once: the default demo's tools, then HAProxy, ab and PostgreSQL
// for the sandbox. Debian's PostgreSQL binaries are found in
// /usr/lib/postgresql/*/bin when they are not on PATH.
func (s *Soak) CheckPrereqs(ctx context.Context, r *Run) error {
	var missing []string
	if err := CheckPrereqs(ctx, r); err != nil {
		missing = append(missing, err.Error())
	}
	if _, err := exec.LookPath("haproxy"); err != nil {
		missing = append(missing, "haproxy: sudo apt-get install haproxy (or run test/tools/prereqs.sh as root)")
	}
	if _, err := exec.LookPath("ab"); err != nil {
		missing = append(missing, "ab: sudo apt-get install apache2-utils (or run test/tools/prereqs.sh as root)")
	}
	if dir := postgresBinDir(); dir != "" {
		_ = os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	if err := postgres.Available(); err != nil {
		missing = append(missing, "PostgreSQL (for the example's database): "+err.Error()+" (sudo apt-get install postgresql, or run test/tools/prereqs.sh as root)")
	}
	if len(missing) > 0 {
		return errors.New(strings.Join(missing, "\n  - "))
	}
	r.Logf("haproxy, ab and PostgreSQL found")
	return nil
}

// postgresBinDir is the newest /usr/lib/postgresql/<version>/bin holding
// initdb when initdb is not on PATH, else "".
func postgresBinDir() string {
	if _, err := exec.LookPath("initdb"); err == nil {
		return ""
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionLess(dirs[i], dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

// versionLess orders /usr/lib/postgresql/<n>/bin by n as a number.
func versionLess(a, b string) bool {
	va, vb := filepath.Base(filepath.Dir(a)), filepath.Base(filepath.Dir(b))
	if len(va) != len(vb) {
		return len(va) < len(vb)
	}
	return va < vb
}

// WaitHealthy finds the load balancer the sandbox serves for the stack,
// waits for a healthy instance in every zone and a 200 from the app, and
// prints where the app answers.
func (s *Soak) WaitHealthy(ctx context.Context, r *Run) error {
	s.groups = map[string]string{}
	if m, ok := r.Outputs["autoscaling_group_names"].(map[string]any); ok {
		for z, g := range m {
			if name, ok := g.(string); ok {
				s.groups[z] = name
			}
		}
	}
	zones := sortedZones(s.groups)
	if len(zones) < 2 {
		return fmt.Errorf("the example's output autoscaling_group_names has %d zones, want at least 2", len(zones))
	}
	if s.Opts.Zone == "" {
		s.Opts.Zone = zones[1]
	}
	if _, ok := s.groups[s.Opts.Zone]; !ok {
		return fmt.Errorf("zone %s has no group of the stack (zones: %s)", s.Opts.Zone, strings.Join(zones, ", "))
	}
	dns, _ := r.Outputs["dns_name"].(string)
	client := s.sb.Client()
	var served string
	err := env.UntilE(ctx, "a healthy instance in every zone and a 200 from "+s.Opts.Path, 2*time.Minute, func() (bool, string) {
		st, err := client.State(ctx)
		if err != nil {
			return false, err.Error()
		}
		s.url = ""
		for _, lb := range st.LoadBalancers {
			if lb.DNSName == dns || len(st.LoadBalancers) == 1 {
				s.url = lb.URL
			}
		}
		if s.url == "" {
			return false, "the sandbox serves no listener for " + dns + " yet"
		}
		healthy := map[string]int{}
		for _, in := range st.Instances {
			if in.Health == "healthy" {
				healthy[in.AZ]++
			}
		}
		for _, z := range zones {
			if healthy[z] == 0 {
				return false, fmt.Sprintf("healthy instances per zone: %v", healthy)
			}
		}
		code, from, err := get(ctx, s.url+s.Opts.Path)
		if err != nil || code != http.StatusOK {
			return false, fmt.Sprintf("GET %s: %d %v", s.Opts.Path, code, err)
		}
		served = from
		return true, ""
	})
	if err != nil {
		return fmt.Errorf("waiting: %w", err)
	}
	fmt.Fprintf(r.Out, "    the app: %v (output url), served here by the sandbox's HAProxy at %s\n", r.Outputs["url"], s.url)
	fmt.Fprintf(r.Out, "    GET %s%s -> 200 from %s\n", s.url, s.Opts.Path, served)
	return nil
}

// get requests url and says which instance answered.
func get(ctx context.Context, url string) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Instance-Id") + " in " + resp.Header.Get("X-Availability-Zone"), nil
}
