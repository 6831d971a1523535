package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path"
	"sync"
	"time"
)

// An instance's downloads never leave the machine: every HTTP and HTTPS
// request a user data script makes with curl is served by the sandbox's
// download server, whatever host the URL names. curl is the real one; the
// instance's root home holds a .curlrc (curl reads $HOME/.curlrc) that
// makes the download server curl's proxy (except for loopback addresses:
// the sandbox's own endpoints and a test's http://127.0.0.1:N/... URL are
// reached directly) and trusts the sandbox's own certificate authority.
// The server answers plain requests itself and terminates an HTTPS
// tunnel (CONNECT) with a certificate the authority signs for the name the
// client asked for, so TLS is verified as it would be on the Internet.
//
// What is served: the example app's release asset (any path whose last
// element is appAssetName, on any host: the examples' default URL, a
// test's releases.example.com URLs, with any query) is the binary the
// sandbox built from examples/app; Options.Downloads adds more by URL path.
// Anything else is a 404, as an unpublished release is.

// appAssetName is the example app's release asset (examples/*/variables.tf).
const appAssetName = "hawebapp-app_linux_amd64"

type downloads struct {
	caPEM []byte
	files func(urlPath string) (string, bool)
	ln    net.Listener
	tunl  *connListener // the TLS side of CONNECT tunnels
	srv   *http.Server
	tsrv  *http.Server
	logf  func(string, ...any)

	mu    sync.Mutex
	certs map[string]*tls.Certificate
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
}

func startDownloads(files func(string) (string, bool), logf func(string, ...any)) (*downloads, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hawebapp sandbox downloads CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(der)
	d := &downloads{files: files, logf: logf, certs: map[string]*tls.Certificate{}, ca: ca, caKey: caKey,
		caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	if d.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	d.tunl = &connListener{conns: make(chan net.Conn), done: make(chan struct{}), addr: d.ln.Addr()}
	d.srv = &http.Server{Handler: http.HandlerFunc(d.serve), ReadHeaderTimeout: 10 * time.Second}
	d.tsrv = &http.Server{Handler: http.HandlerFunc(d.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(d.ln) }()
	go func() { _ = d.tsrv.Serve(d.tunl) }()
	return d, nil
}

// curlrc is the .curlrc of an instance whose CA bundle is at caFile.
func (d *downloads) curlrc(caFile string) string {
	return fmt.Sprintf("# The sandbox's network: the Internet is its download server.\n"+
		"proxy = \"http://%s\"\nnoproxy = \"127.0.0.1,localhost\"\ncacert = %q\n", d.ln.Addr(), caFile)
}

func (d *downloads) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		d.tunnel(w)
		return
	}
	file, ok := d.files(r.URL.Path)
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		d.logf("download %s%s: not found", r.Host, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	st, _ := f.Stat()
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, path.Base(r.URL.Path), st.ModTime(), f)
}

// certFor signs a certificate for the name the client asked for.
func (d *downloads) certFor(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	if name == "" {
		name = "localhost"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.certs[name]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(len(d.certs) + 2)), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, d.ca, &key.PublicKey, d.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	d.certs[name] = c
	return c, nil
}

// tunnel answers CONNECT and serves HTTPS inside the tunnel.
func (d *downloads) tunnel(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "no tunnel over this protocol", http.StatusBadRequest)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n")); err != nil {
		conn.Close()
		return
	}
	tc := tls.Server(conn, &tls.Config{GetCertificate: d.certFor, MinVersion: tls.VersionTLS12})
	select {
	case d.tunl.conns <- tc:
	case <-d.tunl.done:
		conn.Close()
	}
}

// connListener hands the TLS ends of tunnels to an http.Server.
type connListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	addr  net.Addr
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

func (d *downloads) close() {
	if d != nil {
		_ = d.srv.Close()
		_ = d.tsrv.Close()
	}
}

// downloadFile is what the sandbox serves at urlPath (see downloads).
func (s *Sandbox) downloadFile(urlPath string) (string, bool) {
	if f, ok := s.opts.Downloads[urlPath]; ok {
		return f, true
	}
	if path.Base(urlPath) == appAssetName {
		return s.opts.AppBinary, true
	}
	return "", false
}
