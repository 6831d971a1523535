package stack

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ resource.ResourceWithIdentity = (*stackResource)(nil)

// stackIdentity is the resource identity Terraform 1.12+ stores beside the
// state and accepts in an import block:
//
//	import {
//	  to       = hawebapp_stack.app
//	  identity = { name = "fruit-api" }
//	}
//
// A stack is one name in one region: the engine finds every child by the
// name and the hawebapp:stack tag, within the provider's region. Neither
// changes during the stack's life (changing the name replaces the stack),
// as the framework's identity rules require (ResourceWithIdentity). Clients
// without resource identity (OpenTofu, Terraform before 1.12) never send
// nor store it; import by name (the ID) serves them.
type stackIdentity struct {
	Name   types.String `tfsdk:"name"`
	Region types.String `tfsdk:"region"`
}

func (r *stackResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
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

// setIdentity records the identity of the stack named name. The framework
// always hands the resource an identity to fill (it drops it for clients
// that do not support identity), so nil only guards direct calls.
func (r *stackResource) setIdentity(ctx context.Context, name types.String, id *tfsdk.ResourceIdentity) diag.Diagnostics {
	if id == nil {
		return nil
	}
	return id.Set(ctx, stackIdentity{Name: name, Region: types.StringValue(r.client.Lookup.Region())})
}

// importName is the stack name an import asks for: the ID of
// `terraform import` or an import block's id, or the identity's name. An
// identity naming another region than the provider's is refused: the
// provider only sees its own region, and a stack of the same name there
// would be a different stack.
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
	return id.Name.ValueString(), diags
}
