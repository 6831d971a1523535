package stack

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Plan-time checks of the certificate and the image that need AWS
// (read-only calls). Each runs only when its inputs are new or changed, so
// refreshing and planning an unchanged stack costs no extra call.

// certificateIssued is the only ACM status a listener can serve with
// (ACM API reference, CertificateDetail.Status; a PENDING_VALIDATION,
// EXPIRED, REVOKED or FAILED certificate cannot be deployed to a listener).
const certificateIssued = "ISSUED"

// checkCertificate verifies the HTTPS listener's certificate: an ACM
// certificate must be in the load balancer's region (Elastic Load Balancing
// User Guide, "SSL certificates for your Application Load Balancer": request
// or import the certificate in the same Region as the load balancer), exist
// and be ISSUED. An IAM server certificate is global and is not checked here.
func (r *stackResource) checkCertificate(ctx context.Context, arn string, diags *diag.Diagnostics) {
	p := path.Root("listener").AtName("certificate_arn")
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[2] != "acm" {
		return
	}
	region := r.client.Lookup.Region()
	if parts[3] != region {
		diags.AddAttributeError(p, "Certificate in another region",
			fmt.Sprintf("listener.certificate_arn %s is an ACM certificate of %s, but the load balancer is in %s, and a load balancer can only use certificates of its own region. "+
				"Request or import the certificate in %s and use that ARN.", arn, parts[3], region, region))
		return
	}
	cert, found, err := r.client.Lookup.Certificate(ctx, arn)
	switch {
	case err != nil:
		diags.AddAttributeError(p, "Certificate check failed",
			"Could not read listener.certificate_arn "+arn+" from ACM. Check the provider's credentials allow acm:DescribeCertificate.\n\nOriginal Error: "+err.Error())
	case !found:
		diags.AddAttributeError(p, "Certificate not found",
			fmt.Sprintf("listener.certificate_arn: ACM has no certificate %s in %s. Check the ARN, or request or import the certificate in %s.", arn, region, region))
	case cert.Status != certificateIssued:
		diags.AddAttributeError(p, "Certificate not issued",
			fmt.Sprintf("listener.certificate_arn: the certificate %s is %s, not ISSUED: the HTTPS listener cannot serve it. "+
				"Complete its validation (for DNS validation, create the CNAME records ACM shows) and plan again, or use an issued certificate.", arn, cert.Status))
	}
}

// certificateToCheck returns the planned certificate ARN when it is known,
// set and different from the state's.
func certificateToCheck(ctx context.Context, plan stackModelV0, state *stackModelV0) (string, bool) {
	c := certificateOf(ctx, plan.Listener)
	if !knownString(c) || (state != nil && c.Equal(certificateOf(ctx, state.Listener))) {
		return "", false
	}
	return c.ValueString(), true
}

// checkImage refuses an instance type whose processors cannot run the
// image: EC2 rejects such a launch (RunInstances: the instance type's
// ProcessorInfo.SupportedArchitectures must include the image's Architecture,
// EC2 API reference DescribeInstanceTypes and DescribeImages), and every
// zonal group would fail to launch. With instance_types, every type must run
// the image: one architecture for the whole list, the image's. It also
// refuses a root volume smaller than the image's root snapshot
// (checkRootVolume).
func (r *stackResource) checkImage(ctx context.Context, in *instancesModel, launch []string, diags *diag.Diagnostics) {
	image := in.ImageID.ValueString()
	attr := "instance_type"
	if len(launch) > 1 {
		attr = "instance_types"
	}
	p := path.Root("instances").AtName(attr)
	a, err := r.client.Lookup.Image(ctx, image, launch)
	switch {
	case err != nil:
		diags.AddAttributeError(path.Root("instances").AtName("image_id"), "Image check failed",
			"Could not read instances.image_id "+image+" or instances."+attr+" "+strings.Join(launch, ", ")+".\n\nOriginal Error: "+err.Error())
		return
	case !a.ImageFound:
		diags.AddAttributeError(path.Root("instances").AtName("image_id"), "Image not found",
			fmt.Sprintf("instances.image_id: the image %s does not exist in the provider's region (%s) or is not shared with this account. Use an AMI of that region.", image, r.client.Lookup.Region()))
		return
	}
	for _, t := range launch {
		archs := a.InstanceTypes[t]
		switch {
		case len(archs) == 0:
			diags.AddAttributeError(p, "Unknown instance type",
				fmt.Sprintf("instances.%s: EC2 does not know the instance type %s in %s. Use an instance type such as %s.", attr, t, r.client.Lookup.Region(), defaultInstanceType))
		case !slices.Contains(archs, a.Image):
			choose := "an instance type for " + a.Image
			if attr == "instance_types" {
				choose = "instance types for " + a.Image + " only (the image runs on one architecture: every launch of a type of another would fail)"
			}
			diags.AddAttributeError(p, "Instance type cannot run the image",
				fmt.Sprintf("instances.%s: the image %s is built for %s, but %s runs %s. Choose %s (for example t3.small for x86_64, t4g.small for arm64) or an image built for %s.",
					attr, image, a.Image, t, strings.Join(archs, ", "), choose, strings.Join(archs, ", ")))
		}
	}
	checkRootVolume(in, a, diags)
}

// checkRootVolume refuses a root volume smaller than the image's root
// snapshot. EC2 creates the root volume from that snapshot and refuses a
// smaller size ("InvalidBlockDeviceMapping: Volume of size 20GB is smaller
// than snapshot 'snap-…', expect size >= 30GB"; EC2 API reference,
// EbsBlockDevice VolumeSize: "equal to or larger than the snapshot size"):
// every launch of every zonal group would fail, and the create would wait
// for healthy targets until its timeout. The size is not raised silently to
// the snapshot's: the plan shows the size the instances get, and the user
// chooses it (docs: instances.root_volume_size).
func checkRootVolume(in *instancesModel, a ImageFacts, diags *diag.Diagnostics) {
	size := in.RootVolumeSize
	if size.IsUnknown() || size.IsNull() || a.RootGiB == 0 || size.ValueInt64() >= a.RootGiB {
		return
	}
	diags.AddAttributeError(path.Root("instances").AtName("root_volume_size"), "Root volume smaller than the image's snapshot",
		fmt.Sprintf("instances.root_volume_size is %d GiB, but the root snapshot %s of the image %s is %d GiB: EC2 refuses every launch with "+
			"InvalidBlockDeviceMapping (\"Volume of size %dGB is smaller than snapshot\"). Set instances.root_volume_size = %d or more "+
			"(the default is %d GiB).", size.ValueInt64(), a.RootSnapshot, in.ImageID.ValueString(), a.RootGiB, size.ValueInt64(), a.RootGiB, defaultRootVolumeSize))
}

// imageToCheck returns the launch types when they and the image are known
// and the image, any type or the root volume size is new or changed since
// the state was written.
func imageToCheck(ctx context.Context, in, old *instancesModel) ([]string, bool) {
	if in == nil || !knownString(in.ImageID) {
		return nil, false
	}
	launch, known := launchTypes(ctx, in)
	if !known {
		return nil, false
	}
	changed := old == nil || !in.ImageID.Equal(old.ImageID) || !in.InstanceType.Equal(old.InstanceType) ||
		!in.InstanceTypes.Equal(old.InstanceTypes) || !in.RootVolumeSize.Equal(old.RootVolumeSize)
	return launch, changed
}

// runAWSChecks runs the certificate and image checks that apply to this plan.
func (r *stackResource) runAWSChecks(ctx context.Context, plan stackModelV0, state *stackModelV0, n nested, diags *diag.Diagnostics) {
	if r.client == nil || r.client.Lookup == nil {
		return
	}
	if arn, ok := certificateToCheck(ctx, plan, state); ok {
		r.checkCertificate(ctx, arn, diags)
	}
	var old *instancesModel
	if state != nil {
		_ = unpackObject(ctx, state.Instances, &old)
	}
	if launch, ok := imageToCheck(ctx, n.instances, old); ok {
		r.checkImage(ctx, n.instances, launch, diags)
	}
	if n.instances != nil {
		r.checkNamedAccess(ctx, n.instances, old, diags)
	}
	checkMergedTags(ctx, plan.Tags, r.client.DefaultTags, diags)
}

// checkMergedTags applies the tag rules to what the children really carry:
// the stack's tags merged over the provider's default_tags. ValidateConfig
// already checked the stack's own tags, so only what the defaults add is
// reported here.
func checkMergedTags(ctx context.Context, tags types.Map, defaults map[string]string, diags *diag.Diagnostics) {
	if len(defaults) == 0 || tags.IsUnknown() {
		return
	}
	own := map[string]string{}
	var m map[string]types.String
	if !tags.IsNull() {
		_ = tags.ElementsAs(ctx, &m, false)
	}
	for k, v := range m {
		own[k] = v.ValueString()
	}
	if len(tagProblems(own)) > 0 {
		return // reported by ValidateConfig
	}
	merged := maps.Clone(defaults)
	maps.Copy(merged, own)
	for _, problem := range tagProblems(merged) {
		diags.AddAttributeError(path.Root("tags"), "Tags AWS would refuse",
			"With the provider's default_tags, "+problem+" (in tags or in the provider's default_tags).")
	}
}

// checkNamedAccess verifies that the key pair and the instance profile the
// instances are given by name exist, when new or changed. EC2 accepts a
// launch template naming either without checking; only the launches fail
// (RunInstances: InvalidKeyPair.NotFound, or an invalid IAM instance
// profile), after the stack's other children were created.
func (r *stackResource) checkNamedAccess(ctx context.Context, in, old *instancesModel, diags *diag.Diagnostics) {
	type named struct {
		attr      string
		v, before types.String
		exists    func(context.Context, string) (bool, error)
		what, fix string
	}
	var prevKey, prevProfile types.String
	if old != nil {
		prevKey, prevProfile = old.KeyName, old.InstanceProfileName
	}
	for _, n := range []named{
		{"key_name", in.KeyName, prevKey, r.client.Lookup.KeyPairExists, "EC2 key pair",
			"Create or import the key pair in %s, or remove key_name and use Session Manager."},
		{"instance_profile_name", in.InstanceProfileName, prevProfile, r.client.Lookup.InstanceProfileExists, "IAM instance profile",
			"Create the instance profile first (or check its name), or remove instance_profile_name to let the stack create its own role."},
	} {
		if !knownString(n.v) || n.v.Equal(n.before) {
			continue
		}
		p := path.Root("instances").AtName(n.attr)
		found, err := n.exists(ctx, n.v.ValueString())
		switch {
		case err != nil:
			diags.AddAttributeError(p, "Instance access check failed",
				fmt.Sprintf("Could not look up instances.%s %s.\n\nOriginal Error: %s", n.attr, n.v.ValueString(), err))
		case !found:
			diags.AddAttributeError(p, "Not found: "+n.what,
				fmt.Sprintf("instances.%s: the %s %s does not exist (in %s), so no instance could launch. ", n.attr, n.what, n.v.ValueString(), r.client.Lookup.Region())+
					strings.Replace(n.fix, "%s", r.client.Lookup.Region(), 1))
		}
	}
}
