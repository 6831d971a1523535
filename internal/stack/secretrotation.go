package stack

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// database.secret_rotation: the rotation schedule of the master user secret
// RDS manages, as hashicorp/aws's aws_secretsmanager_secret_rotation takes
// it (rotation_rules: automatically_after_days or schedule_expression, and
// duration), since that is what its users write.

type secretRotationModel struct {
	AutomaticallyAfterDays types.Int64  `tfsdk:"automatically_after_days"`
	ScheduleExpression     types.String `tfsdk:"schedule_expression"`
	Duration               types.String `tfsdk:"duration"`
}

var secretRotationTypes = map[string]attr.Type{
	"automatically_after_days": types.Int64Type, "schedule_expression": types.StringType, "duration": types.StringType,
}

// Secrets Manager API reference, RotationRulesType: ScheduleExpression is
// rate() or cron(), 1 to 256 characters; Duration is hours, "[0-9h]+"
// (2 to 3 characters), from 1h to 24h.
var (
	reSchedule = regexp.MustCompile(`^(rate\([0-9]+ (hour|hours|day|days)\)|cron\(.+\))$`)
	reDuration = regexp.MustCompile(`^([1-9]|1[0-9]|2[0-4])h$`)
)

func secretRotationAttribute() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true,
		MarkdownDescription: "Rotation schedule of the master user secret (`db_secret_arn`), which RDS rotates every 7 days unless told otherwise. " +
			"Set exactly one of `automatically_after_days` and `schedule_expression`, as in hashicorp/aws's `aws_secretsmanager_secret_rotation` `rotation_rules`. " +
			"The stack sets it with Secrets Manager's RotateSecret without rotating at once (the password changes at the next scheduled rotation, not at apply). " +
			"A refresh reads it back (one more Secrets Manager call, only when this is set); removing it leaves the secret's schedule as it is.",
		Attributes: map[string]schema.Attribute{
			"automatically_after_days": schema.Int64Attribute{Optional: true,
				MarkdownDescription: "Days between rotations, 1 to 1000. Conflicts with `schedule_expression`.",
				Validators: []validator.Int64{int64validator.Between(1, 1000),
					int64validator.ConflictsWith(path.MatchRelative().AtParent().AtName("schedule_expression"))}},
			"schedule_expression": schema.StringAttribute{Optional: true,
				MarkdownDescription: "A `rate()` or `cron()` expression, such as `rate(10 days)` or `cron(0 4 ? * SUN *)` (UTC). Conflicts with `automatically_after_days`.",
				Validators: []validator.String{stringvalidator.LengthBetween(1, 256),
					stringvalidator.RegexMatches(reSchedule, "must be a rate() or cron() expression such as rate(10 days) or cron(0 4 ? * SUN *)")}},
			"duration": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Length of the rotation window in hours, `1h` to `24h`, such as `3h`. Defaults to Secrets Manager's: the rest of the UTC day for a schedule in days.",
				Validators:          []validator.String{stringvalidator.RegexMatches(reDuration, "must be hours from 1h to 24h, such as 3h")}},
		}}
}

// secretRotationSpec reads the attribute (nil: not managed).
func secretRotationSpec(ctx context.Context, o types.Object) *blueprint.SecretRotationSpec {
	var m *secretRotationModel
	if unpackObject(ctx, o, &m).HasError() || m == nil {
		return nil
	}
	return &blueprint.SecretRotationSpec{AutomaticallyAfterDays: int32(m.AutomaticallyAfterDays.ValueInt64()),
		ScheduleExpression: m.ScheduleExpression.ValueString(), Duration: m.Duration.ValueString()}
}

// secretRotationObject writes a schedule AWS reports back into the
// attribute on import: null for RDS's default (the stack was made without
// one, or with one equal to it), else the expression, or the days when the
// expression is only "rate(N days)".
func secretRotationObject(r *blueprint.SecretRotationSpec) types.Object {
	if r == nil || r.IsDefault() || (r.ScheduleExpression == "" && r.AutomaticallyAfterDays == 0) {
		return types.ObjectNull(secretRotationTypes)
	}
	days, expr := types.Int64Null(), optString(r.ScheduleExpression)
	if r.ScheduleExpression == "" || r.ScheduleExpression == fmt.Sprintf("rate(%d days)", r.AutomaticallyAfterDays) {
		days, expr = types.Int64Value(int64(r.AutomaticallyAfterDays)), types.StringNull()
	}
	return types.ObjectValueMust(secretRotationTypes, map[string]attr.Value{
		"automatically_after_days": days, "schedule_expression": expr, "duration": optString(r.Duration)})
}

// validateSecretRotation refuses a schedule with neither days nor an
// expression: RotateSecret would have no schedule to set.
func validateSecretRotation(ctx context.Context, o types.Object, resp *resource.ValidateConfigResponse) {
	var m *secretRotationModel
	if unpackObject(ctx, o, &m).HasError() || m == nil {
		return
	}
	if m.AutomaticallyAfterDays.IsNull() && m.ScheduleExpression.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("database").AtName("secret_rotation"), "Secret rotation without a schedule",
			"database.secret_rotation sets no schedule. Set automatically_after_days (such as 30) or schedule_expression (such as \"rate(30 days)\"), or remove secret_rotation to keep RDS's 7 days.")
	}
}
