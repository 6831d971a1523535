package stack

import (
	"context"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// warnLateChecks tells the user which arguments are only known at apply:
// the checks on them could not run in this plan. Terraform plans the
// resource again during apply, with every value known, and validates the
// configuration (ValidateResourceConfig) and calls ModifyPlan before it
// calls Create or Update, so the same checks then refuse a bad value
// before the stack makes any change in AWS (TestAccStack_applyTimeValidation).
func warnLateChecks(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	late := unknownArguments(config.Raw)
	if len(late) == 0 {
		return
	}
	diags.AddWarning("Some checks wait for apply",
		"These arguments are only known at apply: "+strings.Join(late, ", ")+". The checks on them (subnets, zones, image, certificate "+
			"and the rules between arguments) could not run in this plan; they run during apply, before this stack makes any change in AWS, "+
			"and an invalid value then fails the apply with nothing of the stack created or changed.")
}

// unknownArguments lists the top-level arguments whose value is not wholly
// known yet.
func unknownArguments(raw tftypes.Value) []string {
	var attrs map[string]tftypes.Value
	if raw.IsNull() || !raw.IsKnown() || raw.As(&attrs) != nil {
		return nil
	}
	var out []string
	for name, v := range attrs {
		if name != "timeouts" && !v.IsFullyKnown() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
