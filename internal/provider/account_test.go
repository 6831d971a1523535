package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
)

// stsServer answers GetCallerIdentity with account and counts the calls.
func stsServer(t *testing.T, account string) (lookup, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::` + account +
			`:user/ci</Arn><UserId>AIDA</UserId><Account>` + account + `</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`))
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(srv.URL)}
	return lookup{c: cloud.New(cfg, nil), account: &accountCache{}}, &calls
}

// TestCheckAccount: the guards refuse the caller's account with an error on
// the attribute that refuses it, naming the account; no guard, no call.
func TestCheckAccount(t *testing.T) {
	const account = "123456789012"
	for name, tc := range map[string]struct {
		s         settings
		attr, msg string // "" when the account is accepted
		calls     int32
	}{
		"no guard":          {s: settings{}, calls: 0},
		"allowed":           {s: settings{allowedAccounts: []string{"111111111111", account}}, calls: 1},
		"not allowed":       {s: settings{allowedAccounts: []string{"111111111111"}}, attr: "allowed_account_ids", msg: "account " + account + ", which allowed_account_ids (111111111111)", calls: 1},
		"forbidden":         {s: settings{forbiddenAccounts: []string{account}}, attr: "forbidden_account_ids", msg: "account " + account + ", which forbidden_account_ids lists", calls: 1},
		"another forbidden": {s: settings{forbiddenAccounts: []string{"111111111111"}}, calls: 1},
	} {
		t.Run(name, func(t *testing.T) {
			l, calls := stsServer(t, account)
			diags := checkAccount(context.Background(), l, tc.s)
			if tc.attr == "" {
				if diags.HasError() {
					t.Errorf("refused: %v", diags)
				}
			} else {
				if !diags.HasError() {
					t.Fatal("accepted")
				}
				d := diags.Errors()[0]
				if !strings.Contains(d.Detail(), tc.msg) {
					t.Errorf("error %q does not say %q", d.Detail(), tc.msg)
				}
				if withPath, ok := d.(diag.DiagnosticWithPath); !ok || withPath.Path().String() != tc.attr {
					t.Errorf("error %v is not on %s", d, tc.attr)
				}
			}
			if calls.Load() != tc.calls {
				t.Errorf("%d STS calls, want %d", calls.Load(), tc.calls)
			}
			// The account is kept: a second question makes no call.
			if tc.calls > 0 {
				_, _ = l.CallerAccount(context.Background())
				if calls.Load() != tc.calls {
					t.Errorf("%d STS calls after asking again, want %d", calls.Load(), tc.calls)
				}
			}
		})
	}
}
