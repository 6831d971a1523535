package cloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// The launch template. A change never edits a version: it adds one, makes it
// the default, and reports its number in Attrs["version"], which the Auto
// Scaling groups pin (never $Latest or $Default, so a rollout is explicit).
type launchTemplates struct{ *Cloud }

// latestVersion is the symbolic version DescribeLaunchTemplateVersions resolves.
const latestVersion = "$Latest"

// defaultRootDevice is used when the image cannot be described (its root
// device name is what the root volume mapping must name).
const defaultRootDevice = "/dev/xvda"

func (c launchTemplates) findLaunchTemplateByName(ctx context.Context, name string) (*ec2types.LaunchTemplate, error) {
	out, err := c.ec2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{name}})
	if err != nil {
		return nil, fmt.Errorf("reading launch template (%s): %w", name, asNotFound(err, "launch template", name, errCodeInvalidLaunchTemplateNotFound, errCodeInvalidLaunchTemplateID))
	}
	if len(out.LaunchTemplates) == 0 {
		return nil, notFound("launch template", name)
	}
	return &out.LaunchTemplates[0], nil
}

// findLaunchTemplateVersion reads one version ("$Latest" or a number) by template name.
func findLaunchTemplateVersion(ctx context.Context, client *ec2.Client, name, version string) (*ec2types.LaunchTemplateVersion, error) {
	out, err := client.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String(name), Versions: []string{version}})
	if err != nil {
		return nil, fmt.Errorf("reading launch template (%s) version %s: %w", name, version,
			asNotFound(err, "launch template", name, errCodeInvalidLaunchTemplateNotFound, errCodeInvalidLaunchTemplateID))
	}
	if len(out.LaunchTemplateVersions) == 0 {
		return nil, notFound("launch template", name)
	}
	return &out.LaunchTemplateVersions[0], nil
}

func (c launchTemplates) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.LaunchTemplateProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	lt, err := c.findLaunchTemplateByName(ctx, p.Name)
	switch {
	case err == nil:
		if err := checkOwned(p, "launch template", p.Name, fromEC2Tags(lt.Tags)); err != nil {
			return engine.Observation{}, err
		}
		return c.update(ctx, p, engine.Observation{}, refs)
	case !errors.Is(err, ErrNotFound):
		return engine.Observation{}, err
	}
	data, err := c.desiredData(ctx, p, props, refs)
	if err != nil {
		return engine.Observation{}, err
	}
	var out *ec2.CreateLaunchTemplateOutput
	err = retryProfilePropagation(ctx, "creating launch template "+p.Name, func(ctx context.Context) (err error) {
		out, err = createCall(ctx, c.ec2.CreateLaunchTemplate, &ec2.CreateLaunchTemplateInput{
			LaunchTemplateName: aws.String(p.Name), LaunchTemplateData: data,
			VersionDescription: aws.String("hawebapp"), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeLaunchTemplate, p.Tags),
		})
		return err
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("creating launch template (%s): %w", p.Name, err)
	}
	lt = out.LaunchTemplate
	o := newObservation(p, p.Name, aws.ToString(lt.LaunchTemplateId), "", p.Tags)
	o.Attrs["version"] = strconv.FormatInt(aws.ToInt64(lt.LatestVersionNumber), 10)
	o.Props = launchTemplateProps(data, refs)
	return o, nil
}

// update adds a version only when the desired data differs from $Latest,
// and makes the matching version the default.
func (c launchTemplates) update(ctx context.Context, p blueprint.Part, _ engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.LaunchTemplateProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	lt, err := c.findLaunchTemplateByName(ctx, p.Name)
	if err != nil {
		return engine.Observation{}, err
	}
	id := aws.ToString(lt.LaunchTemplateId)
	latest, err := findLaunchTemplateVersion(ctx, c.ec2, p.Name, latestVersion)
	if err != nil {
		return engine.Observation{}, err
	}
	want, err := c.desiredData(ctx, p, props, refs)
	if err != nil {
		return engine.Observation{}, err
	}
	version, found := aws.ToInt64(latest.VersionNumber), asRequestData(latest.LaunchTemplateData)
	if len(launchTemplateDataDrift(flattenRequestData(found), flattenRequestData(want))) > 0 {
		var out *ec2.CreateLaunchTemplateVersionOutput
		err := retryProfilePropagation(ctx, "creating launch template "+p.Name+" version", func(ctx context.Context) (err error) {
			out, err = c.ec2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{
				LaunchTemplateId: aws.String(id), LaunchTemplateData: want, VersionDescription: aws.String("hawebapp"),
			})
			return err
		})
		if err != nil {
			return engine.Observation{}, fmt.Errorf("creating launch template (%s) version: %w", p.Name, err)
		}
		version, found = aws.ToInt64(out.LaunchTemplateVersion.VersionNumber), want
	}
	if aws.ToInt64(lt.DefaultVersionNumber) != version {
		_, err := c.ec2.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: aws.String(id), DefaultVersion: aws.String(strconv.FormatInt(version, 10))})
		if err != nil {
			return engine.Observation{}, fmt.Errorf("setting default version of launch template (%s): %w", p.Name, err)
		}
	}
	if missing := missingTags(p.Tags, fromEC2Tags(lt.Tags)); len(missing) > 0 {
		if _, err := c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(missing)}); err != nil {
			return engine.Observation{}, fmt.Errorf("tagging launch template (%s): %w", p.Name, err)
		}
	}
	o := newObservation(p, p.Name, id, "", p.Tags)
	o.Attrs["version"] = strconv.FormatInt(version, 10)
	o.Props = launchTemplateProps(found, refs)
	return o, nil
}

func (c launchTemplates) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	in := &ec2.DeleteLaunchTemplateInput{LaunchTemplateName: aws.String(cmp.Or(cur.Name, p.Name))}
	if cur.ID != "" {
		in = &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: aws.String(cur.ID)}
	}
	_, err := c.ec2.DeleteLaunchTemplate(ctx, in)
	if err != nil && !isCode(err, errCodeInvalidLaunchTemplateNotFound, errCodeInvalidLaunchTemplateID) {
		return fmt.Errorf("deleting launch template (%s): %w", cmp.Or(cur.Name, p.Name), err)
	}
	return nil
}

// rootDevice is the image's root device name, which the root volume mapping
// must use to resize and encrypt the root volume rather than add a second one.
func (c launchTemplates) rootDevice(ctx context.Context, imageID string) (string, error) {
	out, err := c.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{imageID}})
	switch {
	case isCode(err, errCodeInvalidImageNotFound, errCodeInvalidImageMalformed):
		return "", fmt.Errorf("image %s: %w", imageID, ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("reading image (%s): %w", imageID, err)
	case len(out.Images) == 0 || out.Images[0].RootDeviceName == nil:
		return defaultRootDevice, nil
	}
	return aws.ToString(out.Images[0].RootDeviceName), nil
}

// desiredData is the template data the part and its dependencies call for.
func (c launchTemplates) desiredData(ctx context.Context, p blueprint.Part, props blueprint.LaunchTemplateProps, refs engine.Refs) (*ec2types.RequestLaunchTemplateData, error) {
	device, err := c.rootDevice(ctx, props.ImageID)
	if err != nil {
		return nil, err
	}
	return templateRequest(p, props, refs, c.region, device)
}

// renderUserData hands the instances the stack's facts as variables.
func renderUserData(p blueprint.Part, props blueprint.LaunchTemplateProps, refs engine.Refs, region string) (string, error) {
	vars := map[string]string{
		blueprint.VarStack:  p.Tags[blueprint.TagStack],
		blueprint.VarRegion: region,
		blueprint.VarPort:   strconv.Itoa(int(props.Port)),
	}
	if props.DBInstance != "" {
		// The identifier, not the endpoint: the template does not wait for
		// the database (the instances look it up at boot).
		vars[blueprint.VarDBInstance] = props.DBInstance
		vars[blueprint.VarDBPort] = strconv.Itoa(int(props.DBPort))
		vars[blueprint.VarDBName] = props.DBName
	}
	return blueprint.RenderUserData(props.UserData, vars), nil
}

// retryProfilePropagation retries while IAM has not yet propagated a new
// instance profile. AWS words it, for example:
// "ValidationError: You must use a valid fully-formed launch template. Value
// (arn:aws:iam::123456789012:instance-profile/x) for parameter
// iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN" and
// "InvalidParameterValue: Value (x) for parameter iamInstanceProfile.name is
// invalid. Invalid IAM Instance Profile name".
func retryProfilePropagation(ctx context.Context, what string, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, iamPropagationTimeout)
	defer cancel()
	return retryWhile(ctx, what, func(err error) bool {
		return (isCode(err, errCodeValidationError, errCodeInvalidParameterValue)) &&
			strings.Contains(strings.ToLower(errMessage(err)), "invalid iam instance profile")
	}, fn)
}
