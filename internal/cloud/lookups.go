package cloud

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Read-only lookups the stack resource makes at plan time (ModifyPlan) to
// check what needs AWS: subnet zones, the VPC's CIDR, instance type offerings
// and architectures, the image's architecture, the certificate's status.

// SubnetInfo is a subnet's VPC and availability zone.
type SubnetInfo struct{ ID, VPCID, Zone string }

// DescribeSubnets describes the subnets in one call, in the order given. It
// filters by ID rather than asking for IDs, so one missing subnet does not
// hide the others, and the error names every missing one.
func (c *Cloud) DescribeSubnets(ctx context.Context, ids []string) ([]SubnetInfo, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	byID := map[string]SubnetInfo{}
	pages := ec2.NewDescribeSubnetsPaginator(c.ec2, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("subnet-id"), Values: ids},
	}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing subnets %s: %w", strings.Join(ids, ", "), err)
		}
		for _, s := range page.Subnets {
			id := aws.ToString(s.SubnetId)
			byID[id] = SubnetInfo{ID: id, VPCID: aws.ToString(s.VpcId), Zone: aws.ToString(s.AvailabilityZone)}
		}
	}
	var out []SubnetInfo
	var missing []string
	for _, id := range ids {
		s, ok := byID[id]
		if !ok {
			if !slices.Contains(missing, id) {
				missing = append(missing, id)
			}
			continue
		}
		out = append(out, s)
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("subnets %s in region %s: %w", strings.Join(missing, ", "), c.region, ErrNotFound)
	}
	return out, nil
}

// VPCCIDRs returns the VPC's IPv4 CIDR blocks: the primary one first, then
// every secondary block whose association is "associated" (a block being
// associated or disassociated holds no subnet to reach; EC2 API reference,
// VpcCidrBlockState).
func (c *Cloud) VPCCIDRs(ctx context.Context, vpcID string) ([]string, error) {
	out, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	if err != nil {
		return nil, fmt.Errorf("describing VPC (%s): %w", vpcID, asNotFound(err, "VPC", vpcID, errCodeInvalidVPCNotFound))
	}
	if len(out.Vpcs) == 0 {
		return nil, notFound("VPC", vpcID)
	}
	vpc := out.Vpcs[0]
	cidrs := []string{aws.ToString(vpc.CidrBlock)}
	for _, a := range vpc.CidrBlockAssociationSet {
		cidr := aws.ToString(a.CidrBlock)
		if a.CidrBlockState != nil && a.CidrBlockState.State == ec2types.VpcCidrBlockStateCodeAssociated && !slices.Contains(cidrs, cidr) {
			cidrs = append(cidrs, cidr)
		}
	}
	return cidrs, nil
}

// TypeOfferings reports, by instance type then zone, whether each type is
// offered in each zone, with one paged DescribeInstanceTypeOfferings call
// (location type availability-zone, filtered by instance-type and location;
// a filter takes several values, and a type EC2 does not know is simply
// offered nowhere).
func (c *Cloud) TypeOfferings(ctx context.Context, instanceTypes, zones []string) (map[string]map[string]bool, error) {
	offered := map[string]map[string]bool{}
	for _, t := range instanceTypes {
		offered[t] = map[string]bool{}
	}
	if len(zones) == 0 || len(instanceTypes) == 0 {
		return offered, nil
	}
	pages := ec2.NewDescribeInstanceTypeOfferingsPaginator(c.ec2, &ec2.DescribeInstanceTypeOfferingsInput{
		LocationType: ec2types.LocationTypeAvailabilityZone,
		Filters: []ec2types.Filter{
			{Name: aws.String("instance-type"), Values: instanceTypes},
			{Name: aws.String("location"), Values: zones},
		},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing offerings of %s: %w", strings.Join(instanceTypes, ", "), err)
		}
		for _, o := range page.InstanceTypeOfferings {
			if byZone, ok := offered[string(o.InstanceType)]; ok && slices.Contains(zones, aws.ToString(o.Location)) {
				byZone[aws.ToString(o.Location)] = true
			}
		}
	}
	return offered, nil
}

// CertificateStatus returns an ACM certificate's status (ISSUED,
// PENDING_VALIDATION, EXPIRED ...) with one DescribeCertificate call, or
// ErrNotFound. The caller checks the ARN's region first: ACM answers only
// for certificates of the client's region (AWS ACM API reference,
// DescribeCertificate: ResourceNotFoundException, InvalidArnException).
func (c *Cloud) CertificateStatus(ctx context.Context, arn string) (string, error) {
	out, err := c.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	var nf *acmtypes.ResourceNotFoundException
	var bad *acmtypes.InvalidArnException
	switch {
	case errors.As(err, &nf), errors.As(err, &bad):
		return "", fmt.Errorf("certificate %s in region %s: %w", arn, c.region, ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("describing certificate (%s): %w", arn, err)
	case out.Certificate == nil:
		return "", notFound("certificate", arn)
	}
	return string(out.Certificate.Status), nil
}

// ImageInfo is what the plan-time checks need of an AMI: its architecture
// and its root volume's snapshot (the root device's mapping), whose size is
// the least a launch may give the root volume.
type ImageInfo struct {
	Architecture string
	RootDevice   string
	RootSnapshot string
	RootGiB      int32 // 0 when the image names no EBS root mapping (instance store)
}

// Image describes an AMI in one DescribeImages call, or ErrNotFound when the
// image does not exist or is not visible to the account (AWS EC2 API
// reference, DescribeImages: InvalidAMIID.NotFound and InvalidAMIID.Malformed;
// an unknown ID may also give an empty list). The root volume is the
// BlockDeviceMappings entry whose DeviceName is the image's RootDeviceName
// (EC2 API reference, Image and EbsBlockDevice: "If you specify a snapshot,
// the default is the snapshot size. You can specify a volume size that is
// equal to or larger than the snapshot size").
func (c *Cloud) Image(ctx context.Context, imageID string) (ImageInfo, error) {
	out, err := c.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{imageID}})
	if err != nil {
		return ImageInfo{}, fmt.Errorf("describing image (%s): %w", imageID, asNotFound(err, "image", imageID, errCodeInvalidImageNotFound, errCodeInvalidImageMalformed))
	}
	if len(out.Images) == 0 {
		return ImageInfo{}, notFound("image", imageID)
	}
	img := out.Images[0]
	info := ImageInfo{Architecture: string(img.Architecture), RootDevice: aws.ToString(img.RootDeviceName)}
	for _, m := range img.BlockDeviceMappings {
		if aws.ToString(m.DeviceName) == info.RootDevice && m.Ebs != nil {
			info.RootSnapshot, info.RootGiB = aws.ToString(m.Ebs.SnapshotId), aws.ToInt32(m.Ebs.VolumeSize)
		}
	}
	return info, nil
}

// InstanceTypeArchitectures returns the architectures an instance type's
// processors support, or ErrNotFound for a type EC2 does not know
// (DescribeInstanceTypes: InvalidInstanceType).
func (c *Cloud) InstanceTypeArchitectures(ctx context.Context, instanceType string) ([]string, error) {
	out, err := c.ec2.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []ec2types.InstanceType{ec2types.InstanceType(instanceType)}})
	if err != nil {
		return nil, fmt.Errorf("describing instance type (%s): %w", instanceType, asNotFound(err, "instance type", instanceType, "InvalidInstanceType"))
	}
	if len(out.InstanceTypes) == 0 || out.InstanceTypes[0].ProcessorInfo == nil {
		return nil, notFound("instance type", instanceType)
	}
	var archs []string
	for _, a := range out.InstanceTypes[0].ProcessorInfo.SupportedArchitectures {
		archs = append(archs, string(a))
	}
	return archs, nil
}
