package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// RootHeader opens the Terraform roots the suites write for one
// hawebapp_stack: the provider requirement and the variables every such
// root takes (the stack's name and the network NewNetwork makes). A root
// appends its own variables, the resource and its outputs.
const RootHeader = `
terraform {
  required_providers {
    hawebapp = { source = "hawebapp/hawebapp" }
  }
}

provider "hawebapp" {}

variable "name" { type = string }
variable "vpc_id" { type = string }
variable "app_subnet_ids" { type = list(string) }
variable "lb_subnet_ids" { type = list(string) }
`

// Network is a VPC with an application and a load balancer subnet in each
// of three zones, made with the SDK (no hashicorp/aws in the roots: its
// start-up alone costs seconds a command).
type Network struct {
	VPCID   string
	App, LB []string
}

// NewNetwork makes a Network in 10.<second>.0.0/16; second keeps suites
// that share an endpoint apart. It does not delete it: see Delete.
func NewNetwork(t *testing.T, cfg aws.Config, second byte) Network {
	t.Helper()
	ctx := t.Context()
	c := ec2.NewFromConfig(cfg)
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(fmt.Sprintf("10.%d.0.0/16", second))})
	if err != nil {
		t.Fatalf("creating the test VPC: %v", err)
	}
	n := Network{VPCID: aws.ToString(vpc.Vpc.VpcId)}
	for i, zone := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		for j, list := range []*[]string{&n.App, &n.LB} {
			sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(zone),
				CidrBlock: aws.String(fmt.Sprintf("10.%d.%d.0/24", second, 10*j+i))})
			if err != nil {
				t.Fatalf("creating a test subnet: %v", err)
			}
			*list = append(*list, aws.ToString(sn.Subnet.SubnetId))
		}
	}
	return n
}

// Delete deletes the subnets and the VPC, best effort: a cleanup that runs
// after the stack is gone (or failed to go, which the leak checks report).
func (n Network) Delete(ctx context.Context, cfg aws.Config) {
	c := ec2.NewFromConfig(cfg)
	for _, id := range append(append([]string{}, n.App...), n.LB...) {
		_, _ = c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(id)})
	}
	_, _ = c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(n.VPCID)})
}

// Vars are the root variables RootHeader declares for the network.
func (n Network) Vars() map[string]any {
	return map[string]any{"vpc_id": n.VPCID, "app_subnet_ids": n.App, "lb_subnet_ids": n.LB}
}
