package stack

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// accountLookup answers the region and the caller's account; the other
// questions are not asked by the code under test (the nil embedded
// interface would panic if they were).
type accountLookup struct {
	Lookup
	account string
	err     error
}

func (l accountLookup) Region() string { return "eu-west-1" }
func (l accountLookup) CallerAccount(context.Context) (string, error) {
	return l.account, l.err
}

// v0Identity is an identity as 0.1.0 stored it: name and region.
func v0Identity(t *testing.T) *tfsdk.ResourceIdentity {
	t.Helper()
	s := identitySchemaV0()
	typ := s.Type().TerraformType(context.Background())
	return &tfsdk.ResourceIdentity{Schema: s, Raw: tftypes.NewValue(typ, map[string]tftypes.Value{
		"name": tftypes.NewValue(tftypes.String, "fruit-api"), "region": tftypes.NewValue(tftypes.String, "eu-west-1")})}
}

func upgradeV0(t *testing.T, l Lookup) (stackIdentity, resource.UpgradeIdentityResponse) {
	t.Helper()
	ctx := context.Background()
	r := &stackResource{client: &Client{Lookup: l}}
	var sch resource.IdentitySchemaResponse
	r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &sch)
	up, ok := r.UpgradeIdentity(ctx)[0]
	if !ok || up.PriorSchema == nil {
		t.Fatal("no upgrader with a prior schema for identity version 0")
	}
	resp := resource.UpgradeIdentityResponse{Identity: &tfsdk.ResourceIdentity{Schema: sch.IdentitySchema}}
	up.IdentityUpgrader(ctx, resource.UpgradeIdentityRequest{Identity: v0Identity(t)}, &resp)
	var got stackIdentity
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.Identity.Get(ctx, &got)...)
	}
	return got, resp
}

// TestUpgradeIdentityV0 brings a 0.1.0 identity (name, region) to version
// 1: name and region kept, account_id the provider's account, which is what
// Read then writes, so the upgraded identity does not change on refresh.
func TestUpgradeIdentityV0(t *testing.T) {
	got, resp := upgradeV0(t, accountLookup{account: "123456789012"})
	for _, d := range resp.Diagnostics {
		t.Errorf("diagnostic: %s: %s", d.Summary(), d.Detail())
	}
	if got.Name.ValueString() != "fruit-api" || got.Region.ValueString() != "eu-west-1" || got.AccountID.ValueString() != "123456789012" {
		t.Errorf("upgraded identity %+v, want fruit-api, eu-west-1, 123456789012", got)
	}
}

// TestUpgradeIdentityV0WithoutAccount: when STS fails the upgrade fails
// with the reason, and never stores an identity without its account.
func TestUpgradeIdentityV0WithoutAccount(t *testing.T) {
	_, resp := upgradeV0(t, accountLookup{err: errors.New("ExpiredToken")})
	if !resp.Diagnostics.HasError() {
		t.Fatal("upgrade succeeded without an account")
	}
	if d := resp.Diagnostics.Errors()[0].Detail(); !contains(d, "ExpiredToken") {
		t.Errorf("error %q does not give STS's reason", d)
	}
}

func TestAccountOfARN(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188": "123456789012",
		"arn:aws:iam::210987654321:role/web-app":                                                    "210987654321",
		"fruit-api":                                                                                 "",
		"":                                                                                          "",
	} {
		if got := accountOfARN(in); got != want {
			t.Errorf("accountOfARN(%q) = %q, want %q", in, got, want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
