package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The session length STS accepts for AssumeRole (STS API reference,
// AssumeRole, DurationSeconds: 900 s up to the role's maximum, at most
// 12 hours); hashicorp/aws validates its `duration` against the same range.
const (
	minRoleDuration = 15 * time.Minute
	maxRoleDuration = 12 * time.Hour
)

type assumeRoleModel struct {
	RoleARN           types.String `tfsdk:"role_arn"`
	SessionName       types.String `tfsdk:"session_name"`
	ExternalID        types.String `tfsdk:"external_id"`
	Duration          types.String `tfsdk:"duration"`
	Policy            types.String `tfsdk:"policy"`
	PolicyARNs        types.Set    `tfsdk:"policy_arns"`
	SourceIdentity    types.String `tfsdk:"source_identity"`
	Tags              types.Map    `tfsdk:"tags"`
	TransitiveTagKeys types.Set    `tfsdk:"transitive_tag_keys"`
}

// assumeRoleFrom reads the assume_role block (a list of at most one).
func assumeRoleFrom(ctx context.Context, block types.List, out *assumeRole) diag.Diagnostics {
	var blocks []assumeRoleModel
	diags := block.ElementsAs(ctx, &blocks, false)
	if len(blocks) == 0 || diags.HasError() {
		return diags
	}
	ar := blocks[0]
	*out = assumeRole{arn: ar.RoleARN.ValueString(), sessionName: ar.SessionName.ValueString(),
		externalID: ar.ExternalID.ValueString(), policy: ar.Policy.ValueString(), sourceIdentity: ar.SourceIdentity.ValueString()}
	diags.Append(ar.PolicyARNs.ElementsAs(ctx, &out.policyARNs, false)...)
	diags.Append(ar.TransitiveTagKeys.ElementsAs(ctx, &out.transitiveTagKeys, false)...)
	diags.Append(ar.Tags.ElementsAs(ctx, &out.tags, false)...)
	if d := ar.Duration.ValueString(); d != "" {
		dur, err := time.ParseDuration(d)
		if err != nil || dur < minRoleDuration || dur > maxRoleDuration {
			diags.AddAttributeError(path.Root("assume_role").AtListIndex(0).AtName("duration"), "Invalid duration",
				fmt.Sprintf("%q is not a session length STS accepts: write a duration between 15m and 12h, such as 1h or 45m.", d))
		}
		out.duration = dur
	}
	return diags
}

// apply sets the AssumeRole call's options from the block.
func (r assumeRole) apply(o *stscreds.AssumeRoleOptions) {
	o.RoleSessionName = "hawebapp"
	if r.sessionName != "" {
		o.RoleSessionName = r.sessionName
	}
	if r.externalID != "" {
		o.ExternalID = aws.String(r.externalID)
	}
	if r.duration > 0 {
		o.Duration = r.duration
	}
	if r.policy != "" {
		o.Policy = aws.String(r.policy)
	}
	for _, a := range r.policyARNs {
		o.PolicyARNs = append(o.PolicyARNs, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
	}
	if r.sourceIdentity != "" {
		o.SourceIdentity = aws.String(r.sourceIdentity)
	}
	for _, k := range slices.Sorted(maps.Keys(r.tags)) {
		o.Tags = append(o.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(r.tags[k])})
	}
	o.TransitiveTagKeys = r.transitiveTagKeys
}
