package cloud

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

func TestSamePolicy(t *testing.T) {
	secret := "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"
	db := "arn:aws:rds:us-east-1:123456789012:db:shop"
	readSecretPolicy := func(secret string) string { return databasePolicy(secret, db) }
	for name, tc := range map[string]struct {
		a, b string
		want bool
	}{
		"identical":           {readSecretPolicy(secret), readSecretPolicy(secret), true},
		"url-encoded":         {strings.ReplaceAll(strings.ReplaceAll(readSecretPolicy(secret), "{", "%7B"), ":", "%3A"), readSecretPolicy(secret), true},
		"single action value": {`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`, assumeRolePolicy("ec2.amazonaws.com"), true},
		"actions reordered": {`{"Version":"2012-10-17","Statement":[{"Sid":"ReadDatabaseSecret","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"` + secret + `"},` +
			`{"Sid":"DescribeDatabase","Effect":"Allow","Action":"rds:DescribeDBInstances","Resource":"` + db + `"}]}`,
			readSecretPolicy(secret), true},
		"other database": {databasePolicy(secret, db+"x"), readSecretPolicy(secret), false},
		"other resource": {readSecretPolicy(secret + "x"), readSecretPolicy(secret), false},
		"wider grant":    {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}`, readSecretPolicy(secret), false},
		"not JSON":       {"nope", readSecretPolicy(secret), false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := samePolicy(tc.a, tc.b); got != tc.want {
				t.Errorf("samePolicy = %t, want %t\n a %s\n b %s", got, tc.want, tc.a, tc.b)
			}
		})
	}
}

func TestVersionLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"15.9", "15.10", true},
		{"15.10", "15.9", false},
		{"16.3", "16", false}, // "16" wants any 16.x
		{"15.4", "16", true},
		{"16.3", "16.3", false},
		{"16.4", "16.3", false}, // an automatic minor upgrade is not drift
	} {
		if got := versionLess(tc.a, tc.b); got != tc.want {
			t.Errorf("versionLess(%q, %q) = %t, want %t", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestARNSuffix(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188":   "app/shop/50dc6c495c0c9188",
		"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-1a2b3c/73e2d6bc24d8a067": "targetgroup/shop-1a2b3c/73e2d6bc24d8a067",
	} {
		if got := arnSuffix(arn); got != want {
			t.Errorf("arnSuffix(%s) = %q, want %q", arn, got, want)
		}
	}
}

func TestDesiredRules(t *testing.T) {
	props := blueprint.SecurityGroupProps{
		Ingress: []blueprint.Rule{{Protocol: "tcp", FromPort: 8080, ToPort: 8080, SourceGroupKey: "security_group/alb"}},
		Egress:  []blueprint.Rule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0", "::/0"}}},
	}
	rules, unresolved := desiredRules(props, func(key string) string { return map[string]string{"security_group/alb": "sg-1"}[key] })
	var got []string
	for _, r := range rules {
		got = append(got, r.String())
	}
	want := "egress all traffic to 0.0.0.0/0|egress all traffic to ::/0|ingress tcp 8080 from sg-1"
	if s := strings.Join(slices.Sorted(slices.Values(got)), "|"); s != want || len(unresolved) > 0 {
		t.Errorf("rules %s (unresolved %v), want %s", s, unresolved, want)
	}
	if _, unresolved := desiredRules(props, func(string) string { return "" }); len(unresolved) != 1 {
		t.Errorf("unresolved %v, want the alb group", unresolved)
	}
}

func TestPoll(t *testing.T) {
	t.Run("backs off until done", func(t *testing.T) {
		var calls []time.Time
		err := poll(t.Context(), "thing", func(context.Context) (bool, string, error) {
			calls = append(calls, time.Now())
			return len(calls) == 4, "", nil
		})
		if err != nil || len(calls) != 4 {
			t.Fatalf("poll: %v after %d calls", err, len(calls))
		}
		// Each gap is at least its delay, doubling from pollInitialDelay: a
		// timer never fires early, so a busy machine can only make the gaps
		// longer (comparing the gaps with each other failed when the first
		// timer woke late).
		for i, want := 1, pollInitialDelay; i < len(calls); i, want = i+1, want*2 {
			if gap := calls[i].Sub(calls[i-1]); gap < want {
				t.Errorf("gap %d after %v, want at least %v: exponential backoff from %v", i, gap, want, pollInitialDelay)
			}
		}
	})
	t.Run("deadline names the last state", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		err := poll(ctx, "thing", func(context.Context) (bool, string, error) { return false, "2 of 3 in service", nil })
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "2 of 3 in service") {
			t.Errorf("poll: %v, want deadline error with the last state", err)
		}
	})
	t.Run("check error stops at once", func(t *testing.T) {
		boom := errors.New("boom")
		if err := poll(t.Context(), "thing", func(context.Context) (bool, string, error) { return false, "", boom }); !errors.Is(err, boom) {
			t.Errorf("poll: %v, want boom", err)
		}
	})
}
