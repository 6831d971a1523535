package zonalshift

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
)

// Server is the emulator on a loopback port of its own, for a chain of
// proxies reached by URL (the acceptance tests': recorder, emulator, strict
// layer, moto).
type Server struct {
	URL      string
	Emulator *Emulator
	srv      *http.Server
}

// Start serves the emulator in front of next (a URL), reading load
// balancers and zones from lookup (a URL; "" means next).
func Start(next, lookup string, opts Options) (*Server, error) {
	nextURL, err := url.Parse(next)
	if err != nil {
		return nil, fmt.Errorf("zonal shift emulator: next %q: %w", next, err)
	}
	if lookup != "" {
		lookupURL, err := url.Parse(lookup)
		if err != nil {
			return nil, fmt.Errorf("zonal shift emulator: lookup %q: %w", lookup, err)
		}
		opts.Lookup = httputil.NewSingleHostReverseProxy(lookupURL)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("zonal shift emulator: %w", err)
	}
	em := New(httputil.NewSingleHostReverseProxy(nextURL), opts)
	s := &Server{URL: "http://" + ln.Addr().String(), Emulator: em, srv: &http.Server{Handler: em}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Stop closes the server.
func (s *Server) Stop() { _ = s.srv.Close() }
