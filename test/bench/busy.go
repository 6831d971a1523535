package bench

import (
	"net/http"
	"net/http/httputil"
	"sync"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// busyMeter is a pass-through proxy in front of the recorder that measures
// how long the emulator was busy: the wall time during which at least one
// call was in flight. Wall time minus busy time is what Terraform and the
// provider spend on their own (start-up, planning, waiting between polls).
type busyMeter struct {
	URL    string
	server *http.Server

	mu       sync.Mutex
	inFlight int
	since    time.Time
	busy     time.Duration
}

func startBusyMeter(target string) (*busyMeter, error) {
	b := &busyMeter{}
	var err error
	b.URL, b.server, err = recorder.ServeProxy(target, func(proxy *httputil.ReverseProxy) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.enter()
			defer b.leave()
			proxy.ServeHTTP(w, r)
		})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (b *busyMeter) enter() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inFlight == 0 {
		b.since = time.Now()
	}
	b.inFlight++
}

func (b *busyMeter) leave() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inFlight--
	if b.inFlight == 0 {
		b.busy += time.Since(b.since)
	}
}

// Take returns the busy time since the last Take and starts over.
func (b *busyMeter) Take() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.busy
	if b.inFlight > 0 {
		d += time.Since(b.since)
		b.since = time.Now()
	}
	b.busy = 0
	return d
}

func (b *busyMeter) Stop() { _ = b.server.Close() }
