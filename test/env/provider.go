package env

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// ProviderServer is the protocol-6 server factory makes, for the tests that
// talk to the provider as Terraform does but with no CLI; t fails at once
// when the server cannot be made.
func ProviderServer(t testing.TB, factory func() (tfprotov6.ProviderServer, error)) tfprotov6.ProviderServer {
	t.Helper()
	srv, err := factory()
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// NoDiagnostics fails t (going on) with each diagnostic a provider call
// answered, what naming the call.
func NoDiagnostics(t testing.TB, what string, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	for _, d := range diags {
		t.Errorf("%s diagnostic: %s: %s", what, d.Summary, d.Detail)
	}
}
