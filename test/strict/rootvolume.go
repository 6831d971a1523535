package strict

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// rootVolumeRule refuses a launch whose root volume is smaller than the
// image's root snapshot, as EC2 does: the root volume is created from that
// snapshot, and a smaller size is refused (EC2 API reference, EbsBlockDevice
// VolumeSize: "you can specify a volume size that is equal to or larger than
// the snapshot size"). RunInstances answers InvalidBlockDeviceMapping
// "Volume of size 10GB is smaller than snapshot 'snap-…', expect size >=
// 15GB"; CreateAutoScalingGroup and UpdateAutoScalingGroup validate the
// launch template they are given and answer ValidationError "You must use a
// valid fully-formed launch template. Volume of size …" (the messages as
// users of RunInstances and of hashicorp/aws's aws_autoscaling_group quote
// them, see README.md). moto launches whatever size is asked.
func rootVolumeRule() *rule {
	return &rule{name: RootVolume,
		before: func(l *Layer, c *call) *apiError {
			switch {
			case c.is("ec2", "RunInstances"):
				if msg := l.rootVolumeProblem(c, c.params.Get("ImageId"), c.list("BlockDeviceMapping", "DeviceName"), c.list("BlockDeviceMapping", "Ebs.VolumeSize"),
					c.params.Get("LaunchTemplate.LaunchTemplateId"), c.params.Get("LaunchTemplate.LaunchTemplateName"), c.params.Get("LaunchTemplate.Version")); msg != "" {
					return errorf(400, "InvalidBlockDeviceMapping", "%s", msg)
				}
			case c.is("autoscaling", "CreateAutoScalingGroup"), c.is("autoscaling", "UpdateAutoScalingGroup"):
				// The template alone, or the one of a mixed instances policy.
				spec := "LaunchTemplate."
				if c.params.Get(spec+"LaunchTemplateId") == "" && c.params.Get(spec+"LaunchTemplateName") == "" {
					spec = "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification."
				}
				id, name := c.params.Get(spec+"LaunchTemplateId"), c.params.Get(spec+"LaunchTemplateName")
				if id == "" && name == "" {
					return nil
				}
				if msg := l.rootVolumeProblem(c, "", nil, nil, id, name, c.params.Get(spec+"Version")); msg != "" {
					return errorf(400, "ValidationError", "You must use a valid fully-formed launch template. %s", msg)
				}
			}
			return nil
		}}
}

// rootVolumeProblem returns EC2's message when the launch's root volume
// (the mapping for the image's root device; a launch template's mappings
// come first, the call's own override them) is smaller than the image's
// root snapshot, or "" when it is not or cannot be told.
func (l *Layer) rootVolumeProblem(c *call, image string, devices, sizes []string, ltID, ltName, version string) string {
	ctx, cancel := sideCtx()
	defer cancel()
	side := l.side.region(c.region).ec2
	size := map[string]int32{}
	if ltID != "" || ltName != "" {
		in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{version}}
		if version == "" {
			in.Versions = []string{"$Default"}
		}
		if ltID != "" {
			in.LaunchTemplateId = aws.String(ltID)
		} else {
			in.LaunchTemplateName = aws.String(ltName)
		}
		out, err := side.DescribeLaunchTemplateVersions(ctx, in)
		if err != nil || len(out.LaunchTemplateVersions) == 0 || out.LaunchTemplateVersions[0].LaunchTemplateData == nil {
			return ""
		}
		data := out.LaunchTemplateVersions[0].LaunchTemplateData
		if image == "" {
			image = aws.ToString(data.ImageId)
		}
		for _, m := range data.BlockDeviceMappings {
			if m.Ebs != nil && m.Ebs.VolumeSize != nil {
				size[aws.ToString(m.DeviceName)] = aws.ToInt32(m.Ebs.VolumeSize)
			}
		}
	}
	for i, d := range devices {
		if i < len(sizes) {
			if n, err := strconv.Atoi(sizes[i]); err == nil {
				size[d] = int32(n)
			}
		}
	}
	if image == "" || len(size) == 0 {
		return ""
	}
	out, err := side.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{image}})
	if err != nil || len(out.Images) == 0 {
		return ""
	}
	img := out.Images[0]
	root := aws.ToString(img.RootDeviceName)
	asked, ok := size[root]
	if !ok {
		return ""
	}
	for _, m := range img.BlockDeviceMappings {
		if aws.ToString(m.DeviceName) != root || m.Ebs == nil {
			continue
		}
		if snap := aws.ToInt32(m.Ebs.VolumeSize); asked < snap {
			return fmt.Sprintf("Volume of size %dGB is smaller than snapshot '%s', expect size >= %dGB", asked, aws.ToString(m.Ebs.SnapshotId), snap)
		}
	}
	return ""
}
