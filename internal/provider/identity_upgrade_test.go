package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestUpgradeIdentityFromV010 runs the identity upgrade as Terraform does,
// over the plugin protocol: a provider configured against an STS stand-in,
// then UpgradeResourceIdentity with the JSON 0.1.0 stored (version 0: name
// and region). The upgraded identity keeps both and gains the account STS
// names.
func TestUpgradeIdentityFromV010(t *testing.T) {
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::210987654321:user/ci</Arn>` +
			`<UserId>AIDA</UserId><Account>210987654321</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`))
	}))
	defer sts.Close()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": t.TempDir() + "/none", "AWS_ENDPOINT_URL": ""} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	// The provider block { region = "eu-west-1", endpoint = <the stand-in> }.
	var sch provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &sch)
	typ := sch.Schema.Type().TerraformType(ctx).(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	vals["region"] = tftypes.NewValue(tftypes.String, "eu-west-1")
	vals["endpoint"] = tftypes.NewValue(tftypes.String, sts.URL)
	cfg, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		t.Fatal(err)
	}
	conf, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range conf.Diagnostics {
		t.Fatalf("configure: %s: %s", d.Summary, d.Detail)
	}

	resp, err := srv.UpgradeResourceIdentity(ctx, &tfprotov6.UpgradeResourceIdentityRequest{TypeName: "hawebapp_stack", Version: 0,
		RawIdentity: &tfprotov6.RawState{JSON: []byte(`{"name":"fruit-api","region":"eu-west-1"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Fatalf("upgrade: %s: %s", d.Summary, d.Detail)
	}
	ids, err := srv.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	idType := ids.IdentitySchemas["hawebapp_stack"].ValueType()
	got, err := resp.UpgradedIdentity.IdentityData.Unmarshal(idType)
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := got.As(&attrs); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range []string{"name", "region", "account_id"} {
		var s string
		if err := attrs[k].As(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, k+"="+s)
	}
	if want := "name=fruit-api region=eu-west-1 account_id=210987654321"; strings.Join(out, " ") != want {
		t.Errorf("upgraded identity %v, want %s", out, want)
	}
}
