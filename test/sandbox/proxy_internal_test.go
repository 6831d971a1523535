package sandbox

import (
	"net/http"
	"strings"
	"testing"
)

func TestProtocolParsing(t *testing.T) {
	auth := "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=x"
	cases := []struct {
		name, target, ctype, body, query string
		service, action                  string
	}{
		{name: "query form", ctype: "application/x-www-form-urlencoded; charset=utf-8", body: "Action=DescribeTargetHealth&Version=2015-12-01",
			service: "elasticloadbalancing", action: "DescribeTargetHealth"},
		{name: "json target", target: "secretsmanager.GetSecretValue", ctype: "application/x-amz-json-1.1", body: "{}",
			service: "elasticloadbalancing", action: "GetSecretValue"},
		{name: "query string", query: "?Action=DescribeInstances", service: "elasticloadbalancing", action: "DescribeInstances"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", "http://x/"+c.query, strings.NewReader(c.body))
			r.Header.Set("Authorization", auth)
			if c.target != "" {
				r.Header.Set("X-Amz-Target", c.target)
			}
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			if got := serviceOf(r); got != c.service {
				t.Errorf("service %q, want %q", got, c.service)
			}
			if got := actionOf(r, []byte(c.body)); got != c.action {
				t.Errorf("action %q, want %q", got, c.action)
			}
		})
	}
}

func TestMatcher(t *testing.T) {
	cases := []struct {
		matcher string
		code    int
		want    bool
	}{
		{"200", 200, true}, {"200", 204, false}, {"200,202", 202, true}, {"200-299", 250, true}, {"200-299", 301, false}, {"", 200, true},
	}
	for _, c := range cases {
		if got := matches(c.matcher, c.code); got != c.want {
			t.Errorf("matches(%q, %d) = %v, want %v", c.matcher, c.code, got, c.want)
		}
	}
}

func TestUserDataVariables(t *testing.T) {
	s := &Sandbox{opts: Options{Region: "us-east-1"}, dbs: map[string]*database{"db1": {id: "db1", address: "db1.abc.us-east-1.rds.amazonaws.com", port: 45678}}}
	s.Endpoint = "http://127.0.0.1:1"
	ud := "#!/bin/bash\ncat > /etc/hawebapp/env <<'HAWEBAPP_ENV'\nHAWEBAPP_DB_ENDPOINT=db1.abc.us-east-1.rds.amazonaws.com\nHAWEBAPP_DB_PORT=5432\nexport HAWEBAPP_DB_NAME=\"fruits\"\nHAWEBAPP_ENV\n"
	s.dir = t.TempDir()
	envs, err := s.instanceEnv(ud, "i-1", "us-east-1a")
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(envs, "\n")
	for _, want := range []string{"HAWEBAPP_DB_ENDPOINT=127.0.0.1", "HAWEBAPP_DB_PORT=45678", "HAWEBAPP_DB_NAME=fruits", "INSTANCE_ID=i-1",
		"AVAILABILITY_ZONE=us-east-1a", "AWS_ENDPOINT_URL=http://127.0.0.1:1", "HAWEBAPP_REGION=us-east-1"} {
		if !strings.Contains(env, want) {
			t.Errorf("instance env lacks %s:\n%s", want, env)
		}
	}
}
