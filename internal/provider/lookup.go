package provider

import (
	"context"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/stack"
)

// lookup adapts the cloud's read-only network queries to the resource's
// Lookup interface, keeping the stack package free of AWS types.
type lookup struct{ c *cloud.Cloud }

func (l lookup) Subnets(ctx context.Context, ids []string) ([]stack.Subnet, error) {
	found, err := l.c.DescribeSubnets(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]stack.Subnet, len(found))
	for i, s := range found {
		out[i] = stack.Subnet{ID: s.ID, VPCID: s.VPCID, Zone: s.Zone}
	}
	return out, nil
}

func (l lookup) VPCCIDRs(ctx context.Context, vpcID string) ([]string, error) {
	return l.c.VPCCIDRs(ctx, vpcID)
}

func (l lookup) ZonesOffering(ctx context.Context, instanceType string, zones []string) (map[string]bool, error) {
	return l.c.ZonesOffering(ctx, instanceType, zones)
}
