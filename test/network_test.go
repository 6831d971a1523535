package test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// testNetwork is a VPC with an app and a load balancer subnet in each of
// three zones, made with the SDK (no hashicorp/aws in the root: its start-up
// alone costs seconds a command). Deleted with t.
type testNetwork struct {
	vpcID   string
	app, lb []string
}

func newTestNetwork(t *testing.T, cfg aws.Config, second byte) testNetwork {
	t.Helper()
	ctx := t.Context()
	c := ec2.NewFromConfig(cfg)
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(fmt.Sprintf("10.%d.0.0/16", second))})
	if err != nil {
		t.Fatal(err)
	}
	n := testNetwork{vpcID: aws.ToString(vpc.Vpc.VpcId)}
	for i, zone := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		for j, list := range []*[]string{&n.app, &n.lb} {
			sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(zone),
				CidrBlock: aws.String(fmt.Sprintf("10.%d.%d.0/24", second, 10*j+i))})
			if err != nil {
				t.Fatal(err)
			}
			*list = append(*list, aws.ToString(sn.Subnet.SubnetId))
		}
	}
	t.Cleanup(func() {
		for _, id := range append(append([]string{}, n.app...), n.lb...) {
			_, _ = c.DeleteSubnet(background(), &ec2.DeleteSubnetInput{SubnetId: aws.String(id)})
		}
		_, _ = c.DeleteVpc(background(), &ec2.DeleteVpcInput{VpcId: aws.String(n.vpcID)})
	})
	return n
}

func (n testNetwork) vars() map[string]any {
	return map[string]any{"vpc_id": n.vpcID, "app_subnet_ids": n.app, "lb_subnet_ids": n.lb}
}
