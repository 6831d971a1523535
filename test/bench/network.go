package bench

import (
	"context"
	"fmt"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// Network is the input both configurations share: a VPC and one subnet in
// each of three zones, made once with the SDK and not counted.
type Network struct {
	VPCID     string   `json:"vpc_id"`
	SubnetIDs []string `json:"subnet_ids"`
}

// CreateNetwork makes a VPC with a /20 subnet in each of us-east-1a, b
// and c, directly against endpoint (env.NetworkOfE).
func CreateNetwork(ctx context.Context, endpoint string) (Network, error) {
	net, err := env.NetworkOfE(ctx, env.AWSConfig(endpoint), env.Layout{SubnetBits: 20})
	if err != nil {
		return Network{}, fmt.Errorf("the benchmark network: %w", err)
	}
	return Network{VPCID: net.VPCID, SubnetIDs: net.App}, nil
}
