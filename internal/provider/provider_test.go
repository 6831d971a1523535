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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

func TestProviderSchemaIsValid(t *testing.T) {
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
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
