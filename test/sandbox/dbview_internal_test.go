package sandbox

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// An instance that describes its database sees the local server standing
// in for it, and, before the sandbox has noticed the database, no endpoint
// at all (as RDS shows none while it creates one), never moto's name, which
// nothing answers: an app that took it would never reach the database (seen
// in test/ha as an instance whose /health/db never answered 200).
func TestInstanceDBViewHidesEndpointsNotServedYet(t *testing.T) {
	const answer = `<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances>` +
		`<DBInstance><DBInstanceIdentifier>known</DBInstanceIdentifier><Endpoint><Address>known.rds.example</Address><Port>5432</Port><HostedZoneId>Z1</HostedZoneId></Endpoint></DBInstance>` +
		`<DBInstance><DBInstanceIdentifier>new</DBInstanceIdentifier><Endpoint><Address>new.rds.example</Address><Port>5432</Port><HostedZoneId>Z1</HostedZoneId></Endpoint></DBInstance>` +
		`</DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>`
	moto := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(answer)) }))
	defer moto.Close()
	u, _ := url.Parse(moto.URL)
	s := &Sandbox{rp: httputil.NewSingleHostReverseProxy(u), dbs: map[string]*database{"known": {id: "known", address: "known.rds.example", port: 40001}}}
	rec := httptest.NewRecorder()
	s.serveInstanceDBView(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=DescribeDBInstances")))
	body := rec.Body.String()
	if !strings.Contains(body, "<DBInstanceIdentifier>known</DBInstanceIdentifier><Endpoint><Address>127.0.0.1</Address><Port>40001</Port></Endpoint></DBInstance>") {
		t.Errorf("the database the sandbox serves is not shown at its local address:\n%s", body)
	}
	if strings.Contains(body, "rds.example") {
		t.Errorf("an instance was shown moto's endpoint, which nothing answers:\n%s", body)
	}
	if !strings.Contains(body, "<DBInstanceIdentifier>new</DBInstanceIdentifier></DBInstance>") {
		t.Errorf("the database not served yet should have no endpoint:\n%s", body)
	}
}
