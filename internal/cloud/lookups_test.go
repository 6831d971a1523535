package cloud

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// TestPlanTimeLookups reads a certificate's status, an image's architecture
// and an instance type's architectures, and maps "not found" answers to
// ErrNotFound.
func TestPlanTimeLookups(t *testing.T) {
	ctx := t.Context()
	cfg := testConfig(t, nil)
	c := New(cfg, nil)

	req, err := acm.NewFromConfig(cfg).RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("lookups.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(req.CertificateArn)
	t.Cleanup(func() {
		_, _ = acm.NewFromConfig(cfg).DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
	})
	if status, err := c.CertificateStatus(ctx, arn); err != nil || status != "PENDING_VALIDATION" {
		t.Errorf("CertificateStatus of a requested certificate = %q, %v; want PENDING_VALIDATION", status, err)
	}
	missing := arn[:len(arn)-36] + "00000000-0000-0000-0000-000000000000"
	if _, err := c.CertificateStatus(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("CertificateStatus of %s: %v, want ErrNotFound", missing, err)
	}

	for image, want := range map[string]string{"ami-12c6146b": "x86_64", "ami-0e9271c829888680e": "arm64"} {
		got, err := c.Image(ctx, image)
		if err != nil || got.Architecture != want {
			t.Errorf("Image(%s).Architecture = %q, %v; want %q", image, got.Architecture, err, want)
		}
		// moto's images carry a 15 GiB root snapshot on their root device.
		if got.RootDevice == "" || got.RootGiB != 15 || !strings.HasPrefix(got.RootSnapshot, "snap-") {
			t.Errorf("Image(%s) root = %s %s %d GiB; want the root device's 15 GiB snapshot", image, got.RootDevice, got.RootSnapshot, got.RootGiB)
		}
	}
	if _, err := c.Image(ctx, "ami-0123456789abcdef0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing image: %v, want ErrNotFound", err)
	}
	for typ, want := range map[string]string{"t3.small": "x86_64", "t4g.small": "arm64"} {
		if got, err := c.InstanceTypeArchitectures(ctx, typ); err != nil || !slices.Contains(got, want) {
			t.Errorf("InstanceTypeArchitectures(%s) = %v, %v; want it to include %s", typ, got, err, want)
		}
	}
}

// TestLookups reads subnets, a VPC's associated CIDR blocks and the zones
// that offer instance types, and maps "not found" answers to ErrNotFound.
func TestLookups(t *testing.T) {
	ctx := t.Context()
	cfg, n := testNetwork(t)
	c := New(cfg, nil)
	ids := []string{appSubnets(n)[2].ID, appSubnets(n)[0].ID}
	got, err := c.DescribeSubnets(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (SubnetInfo{ID: ids[0], VPCID: n.VPCID, Zone: zones[2]}) || got[1].Zone != zones[0] {
		t.Errorf("DescribeSubnets = %+v", got)
	}
	_, err = c.DescribeSubnets(ctx, append(ids, "subnet-0123456789abcdef0"))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "subnet-0123456789abcdef0") {
		t.Errorf("missing subnet: %v, want ErrNotFound naming it", err)
	}
	// A secondary block counts once associated; one disassociated does not.
	ec2c := ec2.NewFromConfig(cfg)
	secondary := "100.64.0.0/16"
	if _, err := ec2c.AssociateVpcCidrBlock(ctx, &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(n.VPCID), CidrBlock: aws.String(secondary)}); err != nil {
		t.Fatal(err)
	}
	gone, err := ec2c.AssociateVpcCidrBlock(ctx, &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(n.VPCID), CidrBlock: aws.String("100.65.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ec2c.DisassociateVpcCidrBlock(ctx, &ec2.DisassociateVpcCidrBlockInput{AssociationId: gone.CidrBlockAssociation.AssociationId}); err != nil {
		t.Fatal(err)
	}
	if cidrs, err := c.VPCCIDRs(ctx, n.VPCID); err != nil || !slices.Equal(cidrs, []string{n.CIDR, secondary}) {
		t.Errorf("VPCCIDRs = %q, %v; want %q", cidrs, err, []string{n.CIDR, secondary})
	}
	if _, err := c.VPCCIDRs(ctx, "vpc-0123456789abcdef0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing VPC: %v, want ErrNotFound", err)
	}
	offered, err := c.TypeOfferings(ctx, []string{"t3.small", "t4g.small", "x9.nothing"}, zones)
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range zones {
		if !offered["t3.small"][z] || !offered["t4g.small"][z] {
			t.Errorf("t3.small or t4g.small not offered in %s: %v", z, offered)
		}
		if offered["x9.nothing"][z] {
			t.Errorf("an unknown type is offered in %s: %v", z, offered)
		}
	}
	if c.Region() != "us-east-1" {
		t.Errorf("Region = %q", c.Region())
	}
}
