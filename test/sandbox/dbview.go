package sandbox

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
)

// An instance inside a VPC reaches its database by the endpoint's DNS name,
// which resolves to the database's private address. The sandbox's databases
// are PostgreSQL servers on loopback ports, so the sandbox plays that DNS for
// its instances: the app processes it starts sign with their own access key
// (as a real instance signs with its role's temporary credentials), and a
// DescribeDBInstances they make answers each endpoint with the local address
// of the server standing in for it. Every other caller (the provider, tests)
// sees moto's answer unchanged.

// instanceAccessKey is the access key the sandbox gives app processes.
const instanceAccessKey = "ASIASANDBOXINSTANCE"

// accessKeyOf reads the access key from the SigV4 credential scope.
func accessKeyOf(r *http.Request) string {
	if scope := motoserver.CredentialScope(r); len(scope) > 0 {
		return scope[0]
	}
	return ""
}

// fromInstance reports whether an instance of the sandbox made the call.
func fromInstance(r *http.Request) bool { return accessKeyOf(r) == instanceAccessKey }

// endpointElem is a database's whole Endpoint element; its first group is
// the address.
var endpointElem = regexp.MustCompile(`(?s)<Endpoint>\s*<Address>([^<]*)</Address>.*?</Endpoint>`)

// serveInstanceDBView passes the call to moto and rewrites the endpoints of
// the databases the sandbox runs to their local addresses. An endpoint the
// sandbox serves nothing for yet (moto names one at CreateDBInstance, before
// the sandbox has noticed the database) is left out, as RDS leaves it out
// while it creates the instance: an app that took moto's name would try a
// host that never answers, for good (it looks the endpoint up once, as it
// should on AWS, where the name does not change).
func (s *Sandbox) serveInstanceDBView(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	s.rp.ServeHTTP(rec, r)
	body := endpointElem.ReplaceAllStringFunc(rec.Body.String(), func(m string) string {
		address := endpointElem.FindStringSubmatch(m)[1]
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, db := range s.dbs {
			if db.address == address {
				return "<Endpoint><Address>127.0.0.1</Address><Port>" + strconv.Itoa(db.port) + "</Port></Endpoint>"
			}
		}
		return ""
	})
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write([]byte(body))
}
