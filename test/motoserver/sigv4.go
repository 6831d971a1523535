package motoserver

import (
	"net/http"
	"strings"
)

// CredentialScope splits the SigV4 credential scope a request is signed with
// (Credential=AKID/date/REGION/SERVICE/aws4_request) into its fields, nil when
// the request carries none. The proxies in front of moto read it: test/strict
// the region, the sandbox the service and the access key its instances sign
// with.
func CredentialScope(r *http.Request) []string {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return nil
	}
	return strings.Split(strings.SplitN(auth[i+len("Credential="):], ",", 2)[0], "/")
}
