package stack

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type diagnostics = diag.Diagnostics

// privateSetter and privateGetter are the parts of the framework's private
// state the resource uses (its concrete type lives in an internal package).
type (
	privateSetter interface {
		SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
	}
	privateGetter interface {
		GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	}
)

// privateKeyVPCCIDR stores the VPC's CIDR blocks, which bound the load
// balancer's egress, so a refresh needs no extra API call to rebuild the
// blueprint. Older states hold the primary block alone, as a JSON string.
const privateKeyVPCCIDR = "vpc_cidr"

func savePrivate(ctx context.Context, p privateSetter, env environment) diag.Diagnostics {
	if p == nil {
		return nil
	}
	b, _ := json.Marshal(env.vpcCIDRs)
	return p.SetKey(ctx, privateKeyVPCCIDR, b)
}

// lookupEnvironment asks AWS (read-only) for the zones of the app subnets and
// the VPC's CIDR blocks.
func (r *stackResource) lookupEnvironment(ctx context.Context, m stackModelV0) (environment, error) {
	ids, _ := stringsOf(ctx, m.AppSubnetIDs)
	subnets, err := r.client.Lookup.Subnets(ctx, ids)
	if err != nil {
		return environment{}, err
	}
	zoneOf := map[string]string{}
	for _, s := range subnets {
		zoneOf[s.ID] = s.Zone
	}
	env := environment{}
	for _, id := range ids {
		env.zones = append(env.zones, zoneOf[id])
	}
	env.vpcCIDRs, err = r.client.Lookup.VPCCIDRs(ctx, m.VPCID.ValueString())
	return env, err
}

// environmentFromState rebuilds the environment from what Create recorded.
func environmentFromState(ctx context.Context, m stackModelV0, private privateGetter) (environment, diag.Diagnostics) {
	var env environment
	var diags diag.Diagnostics
	if zones, known := stringsOf(ctx, m.Zones); known {
		env.zones = zones
	}
	if private != nil {
		b, d := private.GetKey(ctx, privateKeyVPCCIDR)
		diags.Append(d...)
		if len(b) > 0 && json.Unmarshal(b, &env.vpcCIDRs) != nil {
			var primary string // written before secondary blocks counted
			if json.Unmarshal(b, &primary) == nil && primary != "" {
				env.vpcCIDRs = []string{primary}
			}
		}
	}
	return env, diags
}

// environmentComplete reports whether Read can rebuild the blueprint without AWS.
func (e environment) complete(appSubnets int) bool {
	return len(e.vpcCIDRs) > 0 && len(e.zones) == appSubnets && !slicesContainsEmpty(e.zones)
}

func slicesContainsEmpty(s []string) bool {
	for _, v := range s {
		if v == "" {
			return true
		}
	}
	return false
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func knownString(s types.String) bool { return !s.IsNull() && !s.IsUnknown() }

// first and rest split the VPC's blocks into the primary and the secondary ones.
func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func rest(s []string) []string {
	if len(s) < 2 {
		return nil
	}
	return s[1:]
}
