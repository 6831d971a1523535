package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestProviderSchemaIsValid(t *testing.T) {
	server := env.ProviderServer(t, providerserver.NewProtocol6WithError(New("test")()))
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	env.NoDiagnostics(t, "schema", resp.Diagnostics)
	if _, ok := resp.ResourceSchemas["hawebapp_stack"]; !ok {
		t.Error("hawebapp_stack is not registered")
	}
	var p provider.Provider = New("test")()
	var meta provider.MetadataResponse
	p.Metadata(context.Background(), provider.MetadataRequest{}, &meta)
	if meta.TypeName != "hawebapp" || meta.Version != "test" {
		t.Errorf("metadata %+v", meta)
	}
}

// TestAWSConfigFromSharedFilesEndpointAndUserAgent builds the SDK config the
// way Configure does: the profile's region comes from a shared config file,
// calls go to the configured endpoint, carry hawebapp's user agent, and a
// throttled call is retried.
func TestAWSConfigFromSharedFilesEndpointAndUserAgent(t *testing.T) {
	dir := t.TempDir()
	configFile := filepath.Join(dir, "config")
	credsFile := filepath.Join(dir, "credentials")
	must(t, os.WriteFile(configFile, []byte("[profile shop]\nregion = eu-west-3\n"), 0o600))
	must(t, os.WriteFile(credsFile, []byte("[shop]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n"), 0o600))
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}

	var attempts atomic.Int32
	var userAgent atomic.Value
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		userAgent.Store(r.Header.Get("User-Agent"))
		if attempts.Add(1) < 3 {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>`))
			return
		}
		_, _ = w.Write([]byte(`<DescribeVpcsResponse><vpcSet/></DescribeVpcsResponse>`))
	}))
	defer server.Close()

	cfg, err := loadAWSConfig(context.Background(), settings{
		profile: "shop", configFiles: []string{configFile}, credFiles: []string{credsFile},
		endpoint: server.URL, maxAttempts: 5, retryMode: aws.RetryModeStandard,
	}, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-3" {
		t.Errorf("region %q, want the profile's eu-west-3", cfg.Region)
	}
	if _, err := ec2.NewFromConfig(cfg).DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("call through the endpoint: %v", err)
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("%d attempts, want 3 (two throttled, then success)", n)
	}
	if ua, _ := userAgent.Load().(string); !strings.Contains(ua, "hawebapp/1.2.3") {
		t.Errorf("user agent %q does not name hawebapp and its version", ua)
	}
}

func TestAWSConfigNeedsARegion(t *testing.T) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	_, err := loadAWSConfig(context.Background(), settings{maxAttempts: 3}, "test")
	if err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("err = %v, want one asking for a region", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// throttleErr is what a throttled EC2 call answers.
const throttleErr = `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors></Response>`

// TestRetryerOutlastsSustainedThrottling throttles every call 14 times before
// answering: 168 throttled attempts in all, far more than the SDK's default
// retry quota (500 tokens at 5 a retry) allows, so without newRetryer's
// unlimited quota the later calls fail with "retry quota exceeded".
func TestRetryerOutlastsSustainedThrottling(t *testing.T) {
	const calls, throttledPerCall = 12, 14
	var attempts atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n := attempts.Add(1); n%(throttledPerCall+1) != 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(throttleErr))
			return
		}
		_, _ = w.Write([]byte(`<DescribeVpcsResponse><vpcSet/></DescribeVpcsResponse>`))
	}))
	defer server.Close()
	// A tiny backoff keeps the test fast; the production cap is checked below.
	s := settings{maxAttempts: defaultMaxAttempts, maxBackoff: time.Millisecond, retryMode: aws.RetryModeStandard}
	client := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(server.URL),
		Credentials: aws.AnonymousCredentials{}, Retryer: newRetryer(s)})
	for i := range calls {
		if _, err := client.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{}); err != nil {
			t.Fatalf("call %d after %d attempts: %v", i+1, attempts.Load(), err)
		}
	}
	if n := attempts.Load(); n != calls*(throttledPerCall+1) {
		t.Errorf("%d attempts, want %d", n, calls*(throttledPerCall+1))
	}
}

// TestRetryerBackoffAndQuota checks both retry modes through the retryer's
// own answers: no retry token is ever refused, and a late attempt waits the
// 300 s AWS-suited cap (the SDK's default cap is 20 s).
func TestRetryerBackoffAndQuota(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	for _, mode := range []aws.RetryMode{aws.RetryModeStandard, aws.RetryModeAdaptive} {
		t.Run(string(mode), func(t *testing.T) {
			s := settings{maxAttempts: defaultMaxAttempts, maxBackoff: defaultMaxBackoff, retryMode: mode}
			r, ok := newRetryer(s).(aws.RetryerV2)
			if !ok {
				t.Fatalf("retryer %T is not an aws.RetryerV2", r)
			}
			if !r.IsErrorRetryable(throttled) || r.MaxAttempts() != defaultMaxAttempts {
				t.Errorf("throttling retryable %t, max attempts %d", r.IsErrorRetryable(throttled), r.MaxAttempts())
			}
			for i := range 1000 { // 5000 tokens' worth of retries
				if _, err := r.GetRetryToken(context.Background(), throttled); err != nil {
					t.Fatalf("retry %d refused: %v", i+1, err)
				}
			}
			if d, err := r.RetryDelay(20, throttled); err != nil || d != defaultMaxBackoff {
				t.Errorf("delay before attempt 20: %v (%v), want %v", d, err, defaultMaxBackoff)
			}
		})
	}
}

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
	srv := env.ProviderServer(t, providerserver.NewProtocol6WithError(New("test")()))
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
