package cloud

import (
	"encoding/json"
	"net/url"
	"slices"
)

// IAM returns policy documents URL-encoded and in whatever JSON shape they
// were written with ("Action": "x" and "Action": ["x"] mean the same); these
// helpers compare them by meaning, so formatting is never drift.

// policyDocument is the JSON of an IAM policy.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string            `json:"Sid,omitempty"`
	Effect    string            `json:"Effect"`
	Principal map[string]string `json:"Principal,omitempty"`
	Action    []string          `json:"Action"`
	Resource  []string          `json:"Resource,omitempty"`
}

func (d policyDocument) String() string {
	b, _ := json.Marshal(d)
	return string(b)
}

// assumeRolePolicy lets the service (ec2.amazonaws.com) assume the role.
func assumeRolePolicy(service string) string {
	return policyDocument{Version: "2012-10-17", Statement: []policyStatement{{
		Effect: "Allow", Principal: map[string]string{"Service": service}, Action: []string{"sts:AssumeRole"},
	}}}.String()
}

// databasePolicy lets the instances describe exactly one database, to learn
// its endpoint and secret at boot, and read exactly its secret, nothing else.
// DescribeDBInstances takes a db resource ARN (Service Authorization
// Reference, "Actions, resources, and condition keys for Amazon RDS"), so the
// grant names that one instance rather than "*".
func databasePolicy(secretARN, dbARN string) string {
	return policyDocument{Version: "2012-10-17", Statement: []policyStatement{
		{
			Sid: "ReadDatabaseSecret", Effect: "Allow",
			Action:   []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"},
			Resource: []string{secretARN},
		},
		{
			Sid: "DescribeDatabase", Effect: "Allow",
			Action:   []string{"rds:DescribeDBInstances"},
			Resource: []string{dbARN},
		},
	}}.String()
}

// samePolicy reports whether two policy documents (either may be URL-encoded)
// grant the same thing.
func samePolicy(a, b string) bool {
	na, errA := normalizePolicy(a)
	nb, errB := normalizePolicy(b)
	return errA == nil && errB == nil && na == nb
}

func normalizePolicy(doc string) (string, error) {
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return "", err
	}
	b, err := json.Marshal(canonical("", v))
	return string(b), err
}

// listKeys are the policy elements that accept one value or a list.
var listKeys = map[string]bool{"Statement": true, "Action": true, "NotAction": true, "Resource": true,
	"NotResource": true, "Service": true, "AWS": true, "Federated": true}

// canonical wraps single values of list elements in a list and sorts lists,
// so equivalent documents marshal identically (maps marshal key-sorted).
func canonical(key string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		if listKeys[key] {
			return canonical(key, []any{t})
		}
		out := map[string]any{}
		for k, x := range t {
			if k == "Sid" {
				continue // a label, not a grant
			}
			out[k] = canonical(k, x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = canonical("", x)
		}
		slices.SortFunc(out, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return slices.Compare(ja, jb)
		})
		return out
	case string:
		if listKeys[key] {
			return []any{t}
		}
	}
	return v
}
