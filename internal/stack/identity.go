package stack

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ resource.ResourceWithIdentity        = (*stackResource)(nil)
	_ resource.ResourceWithUpgradeIdentity = (*stackResource)(nil)
)

// stackIdentity is the resource identity Terraform 1.12+ stores beside the
// state and accepts in an import block:
//
//	import {
//	  to       = hawebapp_stack.app
//	  identity = { name = "fruit-api" }
//	}
//
// A stack is one name in one region of one account: the engine finds every
// child by the name and the hawebapp:stack tag, within the provider's
// region and account. hashicorp/aws's regional identities have the same
// shape (the resource's own key required, account_id and region optional
// for import). None of them changes during the stack's life (changing the
// name replaces the stack), as the framework's identity rules require
// (ResourceWithIdentity). Clients without resource identity (OpenTofu,
// Terraform before 1.12) never send nor store it; import by name (the ID)
// serves them.
type stackIdentity struct {
	Name      types.String `tfsdk:"name"`
	Region    types.String `tfsdk:"region"`
	AccountID types.String `tfsdk:"account_id"`
}

// identityVersion 1 added account_id; UpgradeIdentity brings version 0
// identities (0.1.0: name and region) up to it.
const identityVersion = 1

func (r *stackResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	s := identitySchemaV0()
	s.Version = identityVersion
	s.Attributes["account_id"] = identityschema.StringAttribute{
		OptionalForImport: true,
		Description: "The AWS account the stack is in. Defaults to the provider's account; " +
			"an identity naming another account is refused (import it through a provider with that account's credentials).",
	}
	resp.IdentitySchema = s
}

func identitySchemaV0() identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"name": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "The stack's name (the name attribute).",
			},
			"region": identityschema.StringAttribute{
				OptionalForImport: true,
				Description: "The AWS region the stack is in. Defaults to the provider's region; " +
					"a stack in another region is imported through a provider configured for that region.",
			},
		},
	}
}

// UpgradeIdentity fills account_id into an identity 0.1.0 stored: the
// provider's account, which is the account the stack was read in.
func (r *stackResource) UpgradeIdentity(context.Context) map[int64]resource.IdentityUpgrader {
	v0 := identitySchemaV0()
	return map[int64]resource.IdentityUpgrader{
		0: {
			PriorSchema: &v0,
			IdentityUpgrader: func(ctx context.Context, req resource.UpgradeIdentityRequest, resp *resource.UpgradeIdentityResponse) {
				var prior struct {
					Name   types.String `tfsdk:"name"`
					Region types.String `tfsdk:"region"`
				}
				resp.Diagnostics.Append(req.Identity.Get(ctx, &prior)...)
				if resp.Diagnostics.HasError() {
					return
				}
				if r.client == nil { // Terraform configures the provider first; guard against a caller that did not
					resp.Diagnostics.AddError("Cannot upgrade the stack's identity", "The provider is not configured, so its account is unknown.")
					return
				}
				account, err := r.client.Lookup.CallerAccount(ctx)
				if err != nil {
					resp.Diagnostics.AddError("Cannot upgrade the stack's identity",
						"The identity gained account_id; the provider reads its account from STS, which failed: "+err.Error())
					return
				}
				resp.Diagnostics.Append(resp.Identity.Set(ctx, stackIdentity{Name: prior.Name, Region: prior.Region,
					AccountID: types.StringValue(account)})...)
			},
		},
	}
}

// setIdentity records the identity of the stack named name. The account is
// the one in the ARNs of the stack's children (m, when it has any): the
// account the stack is in, at no call; otherwise the provider's. The
// framework always hands the resource an identity to fill (it drops it for
// clients that do not support identity), so nil only guards direct calls.
func (r *stackResource) setIdentity(ctx context.Context, name types.String, m *stackModelV0, id *tfsdk.ResourceIdentity) diag.Diagnostics {
	var diags diag.Diagnostics
	if id == nil {
		return diags
	}
	account := ""
	if m != nil {
		for _, arn := range []types.String{m.LoadBalancerARN, m.TargetGroupARN, m.InstanceRoleARN} {
			if account = accountOfARN(arn.ValueString()); account != "" {
				break
			}
		}
	}
	if account == "" {
		var err error
		if account, err = r.client.Lookup.CallerAccount(ctx); err != nil {
			diags.AddError("Cannot read the AWS account", "The stack's identity names its account, and STS did not say which: "+err.Error())
			return diags
		}
	}
	return id.Set(ctx, stackIdentity{Name: name, Region: types.StringValue(r.client.Lookup.Region()), AccountID: types.StringValue(account)})
}

// accountOfARN is the account field of an ARN
// (arn:partition:service:region:account:resource), or "".
func accountOfARN(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 6 || f[0] != "arn" {
		return ""
	}
	return f[4]
}

// importName is the stack name an import asks for: the ID of
// `terraform import` or an import block's id, or the identity's name. An
// identity naming another region or account than the provider's is
// refused: the provider only sees its own region and account, and a stack
// of the same name there would be a different stack.
func (r *stackResource) importName(ctx context.Context, req resource.ImportStateRequest) (string, diag.Diagnostics) {
	if req.ID != "" || req.Identity == nil || req.Identity.Raw.IsNull() {
		return req.ID, nil
	}
	var id stackIdentity
	diags := req.Identity.Get(ctx, &id)
	if diags.HasError() {
		return "", diags
	}
	if region := r.client.Lookup.Region(); !id.Region.IsNull() && id.Region.ValueString() != region {
		diags.AddError("Stack identity names another region",
			"The identity asks for region "+id.Region.ValueString()+" but this provider manages region "+region+
				". Import the stack through a provider configured for "+id.Region.ValueString()+" (a provider alias), or drop region from the identity.")
		return "", diags
	}
	if want := id.AccountID.ValueString(); want != "" {
		account, err := r.client.Lookup.CallerAccount(ctx)
		if err != nil {
			diags.AddError("Cannot read the AWS account", "The identity names account "+want+
				", and STS did not say which account the provider's credentials are for: "+err.Error())
			return "", diags
		}
		if account != want {
			diags.AddError("Stack identity names another account",
				"The identity asks for AWS account "+want+" but this provider's credentials are for account "+account+
					". Import the stack through a provider with credentials for "+want+" (a provider alias with its profile or assume_role), or drop account_id from the identity.")
			return "", diags
		}
	}
	return id.Name.ValueString(), diags
}
