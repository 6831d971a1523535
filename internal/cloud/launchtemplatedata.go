package cloud

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// templateRequest builds the template data from the part and its
// dependencies, without API calls. device is the image's root device name.
func templateRequest(p blueprint.Part, props blueprint.LaunchTemplateProps, refs engine.Refs, region, device string) (*ec2types.RequestLaunchTemplateData, error) {
	sg, err := ref(refs, props.SecurityGroupKey)
	if err != nil {
		return nil, err
	}
	userData, err := renderUserData(p, props, refs, region)
	if err != nil {
		return nil, err
	}
	profile := &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String(props.InstanceProfileName)}
	if props.InstanceProfileName == "" {
		role, err := ref(refs, props.RoleKey)
		if err != nil {
			return nil, err
		}
		profile = &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Arn: aws.String(role.Attrs["profile_arn"])}
	}
	tokens := ec2types.LaunchTemplateHttpTokensStateOptional
	if props.RequireIMDSv2 {
		tokens = ec2types.LaunchTemplateHttpTokensStateRequired
	}
	ebs := &ec2types.LaunchTemplateEbsBlockDeviceRequest{VolumeType: ec2types.VolumeTypeGp3, Encrypted: aws.Bool(props.RootVolumeEncrypted), DeleteOnTermination: aws.Bool(true)}
	if props.RootVolumeSize > 0 {
		ebs.VolumeSize = aws.Int32(props.RootVolumeSize)
	}
	data := &ec2types.RequestLaunchTemplateData{
		ImageId: aws.String(props.ImageID), InstanceType: ec2types.InstanceType(props.InstanceType),
		UserData:           aws.String(base64.StdEncoding.EncodeToString([]byte(userData))),
		IamInstanceProfile: profile,
		MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{
			HttpTokens: tokens, HttpEndpoint: ec2types.LaunchTemplateInstanceMetadataEndpointStateEnabled, HttpPutResponseHopLimit: aws.Int32(cmp.Or(props.MetadataHopLimit, blueprint.DefaultMetadataHopLimit)),
		},
		NetworkInterfaces: []ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{
			DeviceIndex: aws.Int32(0), AssociatePublicIpAddress: aws.Bool(props.AssociatePublicIP), Groups: []string{sg.ID}, DeleteOnTermination: aws.Bool(true),
		}},
		BlockDeviceMappings: []ec2types.LaunchTemplateBlockDeviceMappingRequest{{DeviceName: aws.String(device), Ebs: ebs}},
		TagSpecifications: []ec2types.LaunchTemplateTagSpecificationRequest{
			{ResourceType: ec2types.ResourceTypeInstance, Tags: ec2Tags(p.Tags)},
			{ResourceType: ec2types.ResourceTypeVolume, Tags: ec2Tags(p.Tags)},
		},
	}
	if props.KeyName != "" {
		data.KeyName = aws.String(props.KeyName)
	}
	return data, nil
}

// templateData is the part of a template version that hawebapp sets, in a
// form both the request and the response flatten to, so they compare.
type templateData struct {
	image, instanceType, userData, profile, keyName, sg, tokens string
	publicIP, encrypted                                         bool
	volumeSize, hopLimit                                        int32
	volumeType                                                  string
	stackTag                                                    string
}

func flattenRequestData(d *ec2types.RequestLaunchTemplateData) templateData {
	t := templateData{image: aws.ToString(d.ImageId), instanceType: string(d.InstanceType), userData: decodeUserData(d.UserData), keyName: aws.ToString(d.KeyName)}
	if d.IamInstanceProfile != nil {
		t.profile = cmp.Or(aws.ToString(d.IamInstanceProfile.Arn), aws.ToString(d.IamInstanceProfile.Name))
	}
	if d.MetadataOptions != nil {
		t.tokens, t.hopLimit = string(d.MetadataOptions.HttpTokens), aws.ToInt32(d.MetadataOptions.HttpPutResponseHopLimit)
	}
	if len(d.NetworkInterfaces) > 0 {
		t.sg, t.publicIP = strings.Join(d.NetworkInterfaces[0].Groups, ","), aws.ToBool(d.NetworkInterfaces[0].AssociatePublicIpAddress)
	}
	if len(d.BlockDeviceMappings) > 0 && d.BlockDeviceMappings[0].Ebs != nil {
		e := d.BlockDeviceMappings[0].Ebs
		t.encrypted, t.volumeSize, t.volumeType = aws.ToBool(e.Encrypted), aws.ToInt32(e.VolumeSize), string(e.VolumeType)
	}
	for _, s := range d.TagSpecifications {
		if s.ResourceType == ec2types.ResourceTypeInstance {
			t.stackTag = fromEC2Tags(s.Tags)[blueprint.TagStack]
		}
	}
	return t
}

func flattenResponseData(d *ec2types.ResponseLaunchTemplateData) templateData {
	return flattenRequestData(asRequestData(d))
}

// asRequestData converts a version's data (nil: empty) to the request form: the response
// mirrors the request field by field, and converting through JSON keeps one
// reader of template data instead of two that must agree.
func asRequestData(d *ec2types.ResponseLaunchTemplateData) *ec2types.RequestLaunchTemplateData {
	var req ec2types.RequestLaunchTemplateData
	if b, err := json.Marshal(d); err == nil {
		_ = json.Unmarshal(b, &req)
	}
	return &req
}

// launchTemplateProps reads template data back: the user data decoded as
// stored (rendered, header included), the instance profile by name, the
// instances' port from the rendered HAWEBAPP_PORT variable.
func launchTemplateProps(d *ec2types.RequestLaunchTemplateData, refs engine.Refs) blueprint.LaunchTemplateProps {
	found := blueprint.LaunchTemplateProps{ImageID: aws.ToString(d.ImageId), InstanceType: string(d.InstanceType),
		UserData: decodeUserData(d.UserData), KeyName: aws.ToString(d.KeyName)}
	vars := userDataVars(found.UserData)
	found.Port = atoi32(vars[blueprint.VarPort])
	found.DBInstance, found.DBPort, found.DBName = vars[blueprint.VarDBInstance], atoi32(vars[blueprint.VarDBPort]), vars[blueprint.VarDBName]
	if prof := d.IamInstanceProfile; prof != nil {
		arn := aws.ToString(prof.Arn)
		found.InstanceProfileName = aws.ToString(prof.Name)
		if i := strings.LastIndex(arn, "/"); found.InstanceProfileName == "" && i >= 0 {
			found.InstanceProfileName = arn[i+1:]
		}
		found.RoleKey = refKey(refs, blueprint.KindInstanceRole, func(o engine.Observation) bool {
			return (arn != "" && o.Attrs["profile_arn"] == arn) || o.Attrs["profile_name"] == found.InstanceProfileName
		})
	}
	sgs := d.SecurityGroupIds
	if len(d.NetworkInterfaces) > 0 {
		sgs = d.NetworkInterfaces[0].Groups
		found.AssociatePublicIP = aws.ToBool(d.NetworkInterfaces[0].AssociatePublicIpAddress)
	}
	found.SecurityGroupKey = refKeyByID(refs, blueprint.KindSecurityGroup, firstOr(sgs))
	if len(d.BlockDeviceMappings) > 0 && d.BlockDeviceMappings[0].Ebs != nil {
		e := d.BlockDeviceMappings[0].Ebs
		found.RootVolumeSize, found.RootVolumeEncrypted = aws.ToInt32(e.VolumeSize), aws.ToBool(e.Encrypted)
	}
	if md := d.MetadataOptions; md != nil {
		found.RequireIMDSv2 = md.HttpTokens == ec2types.LaunchTemplateHttpTokensStateRequired
		found.MetadataHopLimit = aws.ToInt32(md.HttpPutResponseHopLimit)
	}
	return found
}

func decodeUserData(s *string) string {
	b, err := base64.StdEncoding.DecodeString(aws.ToString(s))
	if err != nil {
		return aws.ToString(s)
	}
	return string(b)
}

// launchTemplateDataDrift words how the found version differs from the wanted data.
func launchTemplateDataDrift(have, want templateData) []string {
	var drift []string
	str := func(what, h, w string) {
		if h != w {
			drift = append(drift, fmt.Sprintf("%s %q, want %q", what, h, w))
		}
	}
	str("image", have.image, want.image)
	str("instance type", have.instanceType, want.instanceType)
	if have.userData != want.userData {
		drift = append(drift, "user data differs")
	}
	str("instance profile", have.profile, want.profile)
	str("key pair", have.keyName, want.keyName)
	str("security group", have.sg, want.sg)
	str("metadata tokens", have.tokens, want.tokens)
	str("root volume type", have.volumeType, want.volumeType)
	if have.publicIP != want.publicIP {
		drift = append(drift, fmt.Sprintf("public IP %t, want %t", have.publicIP, want.publicIP))
	}
	if have.encrypted != want.encrypted {
		drift = append(drift, fmt.Sprintf("root volume encrypted %t, want %t", have.encrypted, want.encrypted))
	}
	if have.hopLimit != want.hopLimit {
		drift = append(drift, fmt.Sprintf("metadata hop limit %d, want %d", have.hopLimit, want.hopLimit))
	}
	if have.volumeSize != want.volumeSize {
		drift = append(drift, fmt.Sprintf("root volume %d GiB, want %d", have.volumeSize, want.volumeSize))
	}
	str("instance tag "+blueprint.TagStack, have.stackTag, want.stackTag)
	return drift
}

// launchTemplateObservation reads the template from its $Latest version, as
// Observe gets it in one call. The version's instance tags stand in for the
// template's own (which that call does not return): a version without this
// stack's tag is not ours, and Create will then check the template's tags.
// Attrs["version"] is set only when $Latest is what the part wants.
func launchTemplateObservation(p blueprint.Part, v *ec2types.LaunchTemplateVersion, refs engine.Refs, region string) engine.Observation {
	o := newObservation(p, aws.ToString(v.LaunchTemplateName), aws.ToString(v.LaunchTemplateId), "", nil)
	have := flattenResponseData(v.LaunchTemplateData)
	o.Tags = map[string]string{blueprint.TagStack: have.stackTag}
	o.Props = launchTemplateProps(asRequestData(v.LaunchTemplateData), refs)
	props, ok := p.Props.(blueprint.LaunchTemplateProps)
	if !ok {
		return o
	}
	want, err := observedWant(p, props, refs, region)
	if err != nil {
		o.Drift = append(o.Drift, err.Error())
		return o
	}
	// The root device name needs a DescribeImages call: Observe leaves it
	// out of the comparison (flatten does not compare device names).
	o.Drift = launchTemplateDataDrift(have, want)
	if len(o.Drift) == 0 {
		o.Attrs["version"] = strconv.FormatInt(aws.ToInt64(v.VersionNumber), 10)
	}
	return o
}

// observedWant is the wanted data for Observe: templateRequest with no
// root device name, which flatten does not compare anyway.
func observedWant(p blueprint.Part, props blueprint.LaunchTemplateProps, refs engine.Refs, region string) (templateData, error) {
	req, err := templateRequest(p, props, refs, region, "")
	if err != nil {
		return templateData{}, err
	}
	return flattenRequestData(req), nil
}
