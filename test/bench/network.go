package bench

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// Network is the input both configurations share: a VPC and one subnet in
// each of three zones, made once with the SDK and not counted.
type Network struct {
	VPCID     string   `json:"vpc_id"`
	SubnetIDs []string `json:"subnet_ids"`
}

// CreateNetwork makes a VPC (10.0.0.0/16) with a /20 subnet in each of
// us-east-1a, b and c, directly against endpoint.
func CreateNetwork(ctx context.Context, endpoint string) (Network, error) {
	c := ec2.NewFromConfig(env.AWSConfig(endpoint))
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		return Network{}, fmt.Errorf("creating the benchmark VPC: %w", err)
	}
	n := Network{VPCID: aws.ToString(vpc.Vpc.VpcId)}
	for i, zone := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(zone), CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/20", i*16)),
		})
		if err != nil {
			return Network{}, fmt.Errorf("creating the benchmark subnet in %s: %w", zone, err)
		}
		n.SubnetIDs = append(n.SubnetIDs, aws.ToString(sn.Subnet.SubnetId))
	}
	return n, nil
}
