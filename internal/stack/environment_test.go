package stack

import (
	"context"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

type fakePrivate map[string][]byte

func (f fakePrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return f[key], nil
}
func (f fakePrivate) SetKey(_ context.Context, key string, v []byte) diag.Diagnostics {
	f[key] = v
	return nil
}

// TestEnvironmentKeepsEveryVPCBlock: the VPC's blocks survive the round trip
// through private state, and a state written when only the primary block was
// kept still reads.
func TestEnvironmentKeepsEveryVPCBlock(t *testing.T) {
	ctx := context.Background()
	private := fakePrivate{}
	want := []string{"10.0.0.0/16", "100.64.0.0/16"}
	if d := savePrivate(ctx, private, environment{vpcCIDRs: want}); d.HasError() {
		t.Fatal(d)
	}
	env, d := environmentFromState(ctx, stackModelV0{}, private)
	if d.HasError() || !slices.Equal(env.vpcCIDRs, want) {
		t.Errorf("blocks %q (%v), want %q", env.vpcCIDRs, d, want)
	}
	old := fakePrivate{privateKeyVPCCIDR: []byte(`"10.0.0.0/16"`)}
	if env, _ := environmentFromState(ctx, stackModelV0{}, old); !slices.Equal(env.vpcCIDRs, want[:1]) {
		t.Errorf("from an older state: %q, want %q", env.vpcCIDRs, want[:1])
	}
}
