package test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
)

// testNetwork is e2e.Network, deleted with t.
type testNetwork struct{ e2e.Network }

func newTestNetwork(t *testing.T, cfg aws.Config, second byte) testNetwork {
	t.Helper()
	n := e2e.NewNetwork(t, cfg, second)
	t.Cleanup(func() { n.Delete(background(), cfg) })
	return testNetwork{n}
}

func (n testNetwork) vars() map[string]any { return n.Vars() }
