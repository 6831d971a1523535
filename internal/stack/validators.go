package stack

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

type attrValue = attr.Value

func stringDefault(s string) defaults.String    { return stringdefault.StaticString(s) }
func float64Default(f float64) defaults.Float64 { return float64default.StaticFloat64(f) }

// nameValidator applies the blueprint's naming rules, which keep every
// derived AWS name inside its limits.
type nameValidator struct{}

func (nameValidator) Description(context.Context) string {
	return fmt.Sprintf("2 to %d lower-case letters, digits and single hyphens, starting with a letter", blueprint.NameMaxLength)
}
func (v nameValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (nameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := blueprint.ValidateName(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid stack name", "The name "+err.Error()+".")
	}
}

// cidrValidator accepts IPv4 and IPv6 CIDR blocks in canonical form.
type cidrValidator struct{}

func (cidrValidator) Description(context.Context) string {
	return "a CIDR block such as 203.0.113.0/24"
}
func (v cidrValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (cidrValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid CIDR block", fmt.Sprintf("%q is not a CIDR block; write it like 203.0.113.0/24.", s))
	case p.Masked() != p:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid CIDR block",
			fmt.Sprintf("%q has host bits set; AWS expects the network address: %s.", s, p.Masked()))
	}
}
