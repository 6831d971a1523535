package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// An instance's console: its user data's output (cloud-init's log).

// Console is an instance's console output: what its user data printed
// (GET /_sandbox/console/<id>).
func (s *Sandbox) Console(id string) (string, bool) {
	s.mu.Lock()
	in := s.instances[id]
	s.mu.Unlock()
	if in == nil || in.guest == nil {
		return "", false
	}
	b, _ := os.ReadFile(in.guest.consolePath())
	return string(b), true
}

func (s *Sandbox) serveConsole(w http.ResponseWriter, id string) {
	out, ok := s.Console(id)
	if !ok {
		http.Error(w, fmt.Sprintf("no instance %q", id), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(out))
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// Console reads an instance's console output through the admin API.
func (c *Client) Console(ctx context.Context, id string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.Endpoint+"/_sandbox/console/"+id, nil)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("reading %s's console: %w", id, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("console of %s: %s: %s", id, resp.Status, b)
	}
	return string(b), err
}
