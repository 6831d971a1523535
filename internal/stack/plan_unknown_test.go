package stack

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestWarnLateChecks: the plan names the arguments whose checks wait for
// apply, and says nothing when every value is known.
func TestWarnLateChecks(t *testing.T) {
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"name": tftypes.String, "app_subnet_ids": tftypes.List{ElementType: tftypes.String},
		"capacity": tftypes.Object{AttributeTypes: map[string]tftypes.Type{"min": tftypes.Number}},
	}}
	capacity := func(min tftypes.Value) tftypes.Value {
		return tftypes.NewValue(typ.AttributeTypes["capacity"], map[string]tftypes.Value{"min": min})
	}
	config := func(subnet, min tftypes.Value) tfsdk.Config {
		return tfsdk.Config{Raw: tftypes.NewValue(typ, map[string]tftypes.Value{
			"name":           tftypes.NewValue(tftypes.String, "web"),
			"app_subnet_ids": tftypes.NewValue(typ.AttributeTypes["app_subnet_ids"], []tftypes.Value{tftypes.NewValue(tftypes.String, "subnet-1"), subnet}),
			"capacity":       capacity(min),
		})}
	}
	known := tftypes.NewValue(tftypes.String, "subnet-2")
	late := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)

	var diags diag.Diagnostics
	warnLateChecks(context.Background(), config(known, tftypes.NewValue(tftypes.Number, 3)), &diags)
	if len(diags) != 0 {
		t.Errorf("all values known, got %v", diags)
	}
	warnLateChecks(context.Background(), config(late, tftypes.NewValue(tftypes.Number, tftypes.UnknownValue)), &diags)
	if len(diags) != 1 || diags.HasError() {
		t.Fatalf("want one warning, got %v", diags)
	}
	if d := diags[0].Detail(); !strings.Contains(d, "only known at apply: app_subnet_ids, capacity.") || !strings.Contains(d, "before this stack makes any change in AWS") {
		t.Errorf("warning detail %q", d)
	}
}
