package env

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// Zones are the three zones of Region the suites spread a stack over.
var Zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// Net is a VPC made for a test, with an application subnet per zone
// entry (App[i] in Zones[i]) and, when asked for, a load balancer subnet
// per entry (LB[i], also in Zones[i]).
type Net struct {
	VPCID string
	CIDR  string
	Zones []string
	App   []string
	LB    []string
}

// Layout says what NetworkOf makes.
type Layout struct {
	// Zones gets one subnet each (a zone may repeat); Zones when empty.
	Zones []string
	// LB adds a load balancer subnet per entry of Zones, as the
	// hawebapp_stack resource takes them (app_subnet_ids, lb_subnet_ids).
	LB bool
	// SubnetBits is the subnets' prefix length: 24 when 0, at least 20.
	SubnetBits int
}

// nextSecond numbers this process's networks, so that two networks of one
// emulator never share a /16 (some tests read the VPC's CIDR back, and a
// stack's security group rules name it).
var nextSecond atomic.Uint32

// Network makes a Net with an application subnet in each of zones (Zones
// when none is given), failing t on error, and deletes it when t ends
// (best effort: after the test's own cleanups, which destroy what it put
// in the network).
func Network(t testing.TB, cfg aws.Config, zones ...string) Net {
	t.Helper()
	return NetworkOf(t, cfg, Layout{Zones: zones})
}

// NetworkE is Network returning the error; the caller deletes the Net.
func NetworkE(ctx context.Context, cfg aws.Config, zones ...string) (Net, error) {
	return NetworkOfE(ctx, cfg, Layout{Zones: zones})
}

// StackNetwork is the network of one hawebapp_stack: an application and a
// load balancer subnet in each of Zones, deleted when t ends.
func StackNetwork(t testing.TB, cfg aws.Config) Net {
	t.Helper()
	return NetworkOf(t, cfg, Layout{LB: true})
}

// NetworkOf makes the Net l describes, failing t on error, and deletes it
// when t ends.
func NetworkOf(t testing.TB, cfg aws.Config, l Layout) Net {
	t.Helper()
	n, err := NetworkOfE(t.Context(), cfg, l)
	if err != nil {
		t.Fatal(err)
	}
	// t's context is over by the time cleanups run.
	t.Cleanup(func() { n.Delete(context.Background(), cfg) })
	return n
}

// NetworkOfE makes the Net l describes in the next free 10.N.0.0/16; the
// caller deletes it (Delete).
func NetworkOfE(ctx context.Context, cfg aws.Config, l Layout) (Net, error) {
	zones := l.Zones
	if len(zones) == 0 {
		zones = Zones
	}
	bits := l.SubnetBits
	if bits == 0 {
		bits = 24
	}
	tiers := 1
	if l.LB {
		tiers = 2
	}
	// Subnet k of a /bits size starts at 10.N.(k<<(24-bits)).0.
	step := 1 << max(0, 24-bits)
	if bits < 20 || bits > 24 || len(zones)*tiers*step > 256 {
		return Net{}, fmt.Errorf("no room in a /16 for %d subnets of /%d", len(zones)*tiers, bits)
	}
	second := (nextSecond.Add(1) - 1) % 256
	c := ec2.NewFromConfig(cfg)
	n := Net{CIDR: fmt.Sprintf("10.%d.0.0/16", second), Zones: zones}
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(n.CIDR)})
	if err != nil {
		return Net{}, fmt.Errorf("creating the test VPC %s: %w", n.CIDR, err)
	}
	n.VPCID = aws.ToString(vpc.Vpc.VpcId)
	lists := []*[]string{&n.App, &n.LB}[:tiers]
	for k := range len(zones) * tiers {
		zone, list := zones[k/tiers], lists[k%tiers]
		id, err := createSubnet(ctx, c, n.VPCID, zone, fmt.Sprintf("10.%d.%d.0/%d", second, k*step, bits))
		if err != nil {
			return Net{}, fmt.Errorf("creating a test subnet in %s: %w", zone, err)
		}
		*list = append(*list, id)
	}
	return n, nil
}

// createSubnet makes the subnet cidr of vpc in zone. CreateSubnet takes no
// client token, so when the SDK sends it again after an answer that never
// came (a reset, a 5xx from a busy emulator) the second attempt meets the
// first one's subnet (InvalidSubnet.Conflict); that subnet, found by its
// VPC, CIDR and zone, is the one asked for.
func createSubnet(ctx context.Context, c *ec2.Client, vpc, zone, cidr string) (string, error) {
	sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), AvailabilityZone: aws.String(zone),
		CidrBlock: aws.String(cidr)})
	if err == nil {
		return aws.ToString(sn.Subnet.SubnetId), nil
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSubnet.Conflict" {
		return "", err
	}
	out, derr := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}},
		{Name: aws.String("cidr-block"), Values: []string{cidr}},
		{Name: aws.String("availability-zone"), Values: []string{zone}},
	}})
	if derr != nil || len(out.Subnets) != 1 {
		return "", err
	}
	return aws.ToString(out.Subnets[0].SubnetId), nil
}

// Subnets are the application and load balancer subnets.
func (n Net) Subnets() []string {
	return append(append([]string{}, n.App...), n.LB...)
}

// Delete deletes the subnets and the VPC, best effort: a cleanup that runs
// after the stack is gone (or failed to go, which "nothing left" reports).
func (n Net) Delete(ctx context.Context, cfg aws.Config) {
	c := ec2.NewFromConfig(cfg)
	for _, id := range n.Subnets() {
		_, _ = c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(id)})
	}
	_, _ = c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(n.VPCID)})
}

// Block is the /24 at 10.N.third.0 of the VPC's 10.N.0.0/16, for a test
// that adds a subnet of its own; Network's subnets take the lowest blocks.
func (n Net) Block(third int) string {
	return strings.Replace(n.CIDR, ".0.0/16", fmt.Sprintf(".%d.0/24", third), 1)
}
