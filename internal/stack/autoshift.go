package stack

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// zonal_autoshift: ARC zonal autoshift of the load balancer, with the
// practice run configuration AWS requires for it and the stack's own
// outcome alarm (blueprint/autoshift.go). hashicorp/aws's
// aws_arczonalshift_zonal_autoshift_configuration (terraform-provider-aws
// #37120, #46114) sets the same two on any resource but takes the outcome
// alarm from its user; here the stack makes it from its own settings.

type autoshiftModel struct {
	Enabled           types.Bool `tfsdk:"enabled"`
	BlockedWindows    types.List `tfsdk:"blocked_windows"`
	BlockedDates      types.List `tfsdk:"blocked_dates"`
	BlockingAlarmARNs types.List `tfsdk:"blocking_alarm_arns"`
}

var autoshiftTypes = map[string]attr.Type{
	"enabled": types.BoolType, "blocked_windows": types.ListType{ElemType: types.StringType},
	"blocked_dates": types.ListType{ElemType: types.StringType}, "blocking_alarm_arns": types.ListType{ElemType: types.StringType},
}

// ARC API reference, PracticeRunConfiguration and
// CreatePracticeRunConfiguration: at most 15 blocked windows, each
// DAY:HH:MM-DAY:HH:MM in UTC starting and ending on the same day; at most
// 15 blocked dates as YYYY-MM-DD; at most 10 blocking alarms, CloudWatch
// alarm ARNs.
const (
	maxBlockedWindows = 15
	maxBlockedDates   = 15
	maxBlockingAlarms = 10
)

var (
	reBlockedWindow = regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]-(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]$`)
	reAlarmARN      = regexp.MustCompile(`^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:.+$`)
)

func autoshiftAttribute() schema.Attribute {
	strs := func(desc string, vs ...validator.List) schema.Attribute {
		return schema.ListAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: desc, Validators: vs}
	}
	return schema.SingleNestedAttribute{Optional: true,
		MarkdownDescription: "ARC zonal autoshift of the load balancer: AWS shifts its traffic away from a zone it finds impaired, and runs weekly practice runs. " +
			"The stack creates the practice run configuration AWS requires, whose outcome alarm is the stack's own CloudWatch alarm (`autoshift_alarm_arn`) " +
			"on the load balancer's `HTTPCode_ELB_5XX_Count`: in ALARM when every minute of `ceil(health_check.unhealthy_threshold × health_check.interval / 60)` " +
			"minutes (at least one) has a 5xx the load balancer answered itself, no request at all counting as OK. " +
			"Needs `enable_zonal_shift = true`. A refresh reads it back with two calls (ARC GetManagedResource, CloudWatch DescribeAlarms), only when set; " +
			"autoshift disabled outside Terraform shows as `drift`. A shift AWS starts (an autoshift or a practice run) is not drift. " +
			"Removing the block disables autoshift, then deletes the practice run configuration and the alarm.",
		Attributes: map[string]schema.Attribute{
			"enabled": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Autoshift status: `true` (ENABLED, the default) or `false` (DISABLED, keeping the practice run configuration and the alarm)."},
			"blocked_windows": strs("Weekly windows, in UTC, when no practice run starts, as `DAY:HH:MM-DAY:HH:MM` starting and ending on the same day, such as `Mon:09:00-Mon:17:00`; at most 15.",
				listvalidator.SizeAtMost(maxBlockedWindows), uniqueValues{}, listvalidator.ValueStringsAre(blockedWindowValidator{})),
			"blocked_dates": strs("Dates when no practice run starts, as `YYYY-MM-DD`, such as `2026-12-24`; at most 15.",
				listvalidator.SizeAtMost(maxBlockedDates), uniqueValues{}, listvalidator.ValueStringsAre(blockedDateValidator{})),
			"blocking_alarm_arns": strs("ARNs of CloudWatch alarms that keep a practice run from starting while they are in ALARM; at most 10.",
				listvalidator.SizeAtMost(maxBlockingAlarms), uniqueValues{},
				listvalidator.ValueStringsAre(stringvalidator.RegexMatches(reAlarmARN, "must be a CloudWatch alarm ARN such as arn:aws:cloudwatch:us-east-1:123456789012:alarm:name"))),
		}}
}

// blockedWindowValidator checks a window's format and that it starts and
// ends on one day, start before end.
type blockedWindowValidator struct{}

func (blockedWindowValidator) Description(context.Context) string {
	return "a window of one day as DAY:HH:MM-DAY:HH:MM, such as Mon:09:00-Mon:17:00"
}
func (v blockedWindowValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (blockedWindowValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	w := req.ConfigValue.ValueString()
	m := reBlockedWindow.FindStringSubmatch(w)
	switch {
	case m == nil:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid blocked window",
			fmt.Sprintf("%s: %q is not DAY:HH:MM-DAY:HH:MM (UTC). Write it like Mon:09:00-Mon:17:00.", req.Path, w))
	case m[1] != m[3] || w[4:9] >= w[14:19]:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid blocked window",
			fmt.Sprintf("%s: %q must start and end on the same day, start before end (ARC's rule). Split it into one window per day, such as %s:%s-%s:23:59 and the next day's.",
				req.Path, w, m[1], w[4:9], m[1]))
	}
}

// blockedDateValidator checks a date is YYYY-MM-DD and exists.
type blockedDateValidator struct{}

func (blockedDateValidator) Description(context.Context) string { return "a date as YYYY-MM-DD" }
func (v blockedDateValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (blockedDateValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d := req.ConfigValue.ValueString()
	if _, err := time.Parse(time.DateOnly, d); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid blocked date",
			fmt.Sprintf("%s: %q is not a date as YYYY-MM-DD. Write it like 2026-12-24.", req.Path, d))
	}
}

// autoshiftSpec reads the attribute (nil: not managed).
func autoshiftSpec(ctx context.Context, o types.Object) *blueprint.AutoshiftSpec {
	var m *autoshiftModel
	if unpackObject(ctx, o, &m).HasError() || m == nil {
		return nil
	}
	s := &blueprint.AutoshiftSpec{Enabled: m.Enabled.IsNull() || m.Enabled.ValueBool()}
	s.BlockedWindows, _ = stringsOf(ctx, m.BlockedWindows)
	s.BlockedDates, _ = stringsOf(ctx, m.BlockedDates)
	s.BlockingAlarmARNs, _ = stringsOf(ctx, m.BlockingAlarmARNs)
	return s
}

// autoshiftObject writes what ARC holds back into the attribute on import;
// empty lists are null, as a configuration that leaves them out reads.
func autoshiftObject(s *blueprint.AutoshiftSpec) types.Object {
	if s == nil {
		return types.ObjectNull(autoshiftTypes)
	}
	list := func(v []string) types.List {
		if len(v) == 0 {
			return types.ListNull(types.StringType)
		}
		return stringList(v)
	}
	return types.ObjectValueMust(autoshiftTypes, map[string]attr.Value{"enabled": types.BoolValue(s.Enabled),
		"blocked_windows": list(s.BlockedWindows), "blocked_dates": list(s.BlockedDates), "blocking_alarm_arns": list(s.BlockingAlarmARNs)})
}

// validateAutoshift refuses autoshift on a load balancer whose zonal shift
// integration is off: ARC manages only load balancers with it on, so
// neither the practice run configuration nor autoshift could be set.
func validateAutoshift(m stackModelV0, resp *resource.ValidateConfigResponse) {
	if m.ZonalAutoshift.IsNull() || m.ZonalAutoshift.IsUnknown() || m.EnableZonalShift.IsUnknown() || m.EnableZonalShift.IsNull() {
		return
	}
	if !m.EnableZonalShift.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("zonal_autoshift"), "Zonal shift is off",
			"zonal_autoshift needs the load balancer's ARC zonal shift integration, which enable_zonal_shift = false turns off: "+
				"set enable_zonal_shift = true (the default), or remove zonal_autoshift.")
	}
}
