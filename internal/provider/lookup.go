package provider

import (
	"context"
	"errors"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/stack"
)

// lookup adapts the cloud's read-only network queries to the resource's
// Lookup interface, keeping the stack package free of AWS types.
type lookup struct {
	c       *cloud.Cloud
	account *accountCache
}

// CallerAccount is the account of the provider's credentials, asked of STS
// once per provider instance.
func (l lookup) CallerAccount(ctx context.Context) (string, error) {
	return l.account.get(ctx, l.c.CallerAccount)
}

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

func (l lookup) Offerings(ctx context.Context, instanceTypes, zones []string) (map[string]map[string]bool, error) {
	return l.c.TypeOfferings(ctx, instanceTypes, zones)
}

// Certificate reports an ACM certificate's status; found is false when ACM
// does not know the ARN in the provider's region.
func (l lookup) Certificate(ctx context.Context, arn string) (stack.Certificate, bool, error) {
	status, err := l.c.CertificateStatus(ctx, arn)
	if errors.Is(err, cloud.ErrNotFound) {
		return stack.Certificate{}, false, nil
	}
	return stack.Certificate{Status: status}, err == nil, err
}

// Image reports the image's architecture and root snapshot (found is false
// for an unknown image) and the architectures each instance type supports
// (none for a type EC2 does not know).
func (l lookup) Image(ctx context.Context, imageID string, instanceTypes []string) (stack.ImageFacts, error) {
	var a stack.ImageFacts
	img, err := l.c.Image(ctx, imageID)
	switch {
	case errors.Is(err, cloud.ErrNotFound):
		return a, nil
	case err != nil:
		return a, err
	}
	a.ImageFound, a.Image, a.RootSnapshot, a.RootGiB = true, img.Architecture, img.RootSnapshot, int64(img.RootGiB)
	a.InstanceTypes = map[string][]string{}
	for _, t := range instanceTypes {
		archs, err := l.c.InstanceTypeArchitectures(ctx, t)
		switch {
		case errors.Is(err, cloud.ErrNotFound):
			archs = nil
		case err != nil:
			return a, err
		}
		a.InstanceTypes[t] = archs
	}
	return a, nil
}

func (l lookup) KeyPairExists(ctx context.Context, name string) (bool, error) {
	return l.c.KeyPairExists(ctx, name)
}

func (l lookup) InstanceProfileExists(ctx context.Context, name string) (bool, error) {
	return l.c.InstanceProfileExists(ctx, name)
}

// DatabasePlacement reads where the stack's database runs; found is false
// when there is no instance of that identifier.
func (l lookup) DatabasePlacement(ctx context.Context, identifier string) (stack.DatabasePlacement, bool, error) {
	p, err := l.c.DBInstancePlacement(ctx, identifier)
	if errors.Is(err, cloud.ErrNotFound) {
		return stack.DatabasePlacement{}, false, nil
	}
	return stack.DatabasePlacement{Zones: p.Zones, SubnetsByZone: p.SubnetsByZone}, err == nil, err
}

// Region is the provider's region, which an ACM certificate must share with
// the load balancer.
func (l lookup) Region() string { return l.c.Region() }
