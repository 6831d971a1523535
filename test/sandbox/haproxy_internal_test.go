package sandbox

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestHAProxyCommandsReachTheReloadedWorker reloads HAProxy again and again,
// each time with one more backend, and at once adds a server to the new
// backend through the runtime API, while other connections keep asking the
// runtime API. A command that reached the worker being replaced (which
// lacks the backend) failed with "No such backend": how three sandbox tests
// failed in CI on a loaded machine.
func TestHAProxyCommandsReachTheReloadedWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	h, err := startHAProxy(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.stop()

	// Readers beside the reloads, as the sandbox's metrics and health
	// loops are: they keep both workers accepting on the runtime socket.
	stop := make(chan struct{})
	defer close(stop)
	for i := 0; i < 4; i++ {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
					_, _ = h.stats()
				}
			}
		}()
	}

	config := h.base
	const reloads = 30
	for i := 0; i < reloads; i++ {
		backend := fmt.Sprintf("tg_%02d", i)
		config += fmt.Sprintf("backend %s\n  balance roundrobin\n", backend)
		if err := h.apply(ctx, config); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		if errs := h.syncServers(backend, map[string]server{"s1": {addr: "127.0.0.1:9", ready: true}}); len(errs) > 0 {
			t.Fatalf("reload %d: the new backend's server was not set: %v", i, errs)
		}
		out, err := h.command("show servers state " + backend)
		if err != nil || !strings.Contains(out, " s1 ") {
			t.Fatalf("reload %d: server s1 not in %s: %v %q", i, backend, err, out)
		}
	}
}

// TestHAProxySyncRemembersOnlyWhatTook asks twice for a server in a backend
// the running worker lacks: both syncs report it. The first failure used to
// be remembered as done, so the second reported nothing, the server was
// never added and every later state change failed with "No such server"
// (the 503s of the CI failure).
func TestHAProxySyncRemembersOnlyWhatTook(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, err := startHAProxy(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.stop()
	want := map[string]server{"s1": {addr: "127.0.0.1:9", ready: true}}
	for i := 1; i <= 2; i++ {
		errs := h.syncServers("tg_absent", want)
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), "No such backend") {
			t.Fatalf("sync %d of a server into a backend the worker lacks: errors %v, want No such backend", i, errs)
		}
	}
	// The same server once the backend exists is added and made ready.
	if err := h.apply(ctx, h.base+"backend tg_absent\n  balance roundrobin\n"); err != nil {
		t.Fatal(err)
	}
	if errs := h.syncServers("tg_absent", want); len(errs) > 0 {
		t.Fatal(errs)
	}
	st, err := h.stats()
	if err != nil || st["tg_absent"]["s1"].status != "no check" {
		t.Fatalf("server s1 after the backend appeared: %+v (%v), want ready (\"no check\": HAProxy runs no checks of its own)", st["tg_absent"]["s1"], err)
	}
}
