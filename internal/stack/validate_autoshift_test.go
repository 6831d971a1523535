package stack_test

import (
	"fmt"
	"strings"
)

// autoshiftInvalidCases are zonal_autoshift configurations the plan
// refuses: ARC's own rules for a practice run configuration, and autoshift
// on a load balancer whose zonal shift integration is off.
func autoshiftInvalidCases() map[string]invalidCase {
	autoshift := func(body string) func(a *stackArgs) {
		return func(a *stackArgs) { a.extra = "zonal_autoshift = " + body }
	}
	dates := make([]string, 16)
	for i := range dates {
		dates[i] = fmt.Sprintf("%q", fmt.Sprintf("2027-01-%02d", i+1))
	}
	return map[string]invalidCase{
		"AutoshiftZonalShiftOff": {func(a *stackArgs) { a.extra = "enable_zonal_shift = false\n  zonal_autoshift = {}" }, "enable_zonal_shift",
			`Zonal shift is off[\s\S]*zonal_autoshift needs[\s\S]*set\s+enable_zonal_shift = true`},
		"AutoshiftWindowAcrossDays": {autoshift(`{ blocked_windows = ["Mon:22:00-Tue:02:00"] }`), "zonal_autoshift.blocked_windows[0]",
			`Invalid blocked window[\s\S]*must start and end on the same day[\s\S]*Split it into one window per day`},
		"AutoshiftWindowFormat": {autoshift(`{ blocked_windows = ["Monday 9-17"] }`), "zonal_autoshift.blocked_windows[0]",
			`Invalid blocked window[\s\S]*is not DAY:HH:MM-DAY:HH:MM[\s\S]*Write it like Mon:09:00-Mon:17:00`},
		"AutoshiftDate": {autoshift(`{ blocked_dates = ["2027-02-30"] }`), "zonal_autoshift.blocked_dates[0]",
			`Invalid blocked date[\s\S]*is not a date as YYYY-MM-DD[\s\S]*Write it like`},
		"AutoshiftTooManyDates": {autoshift(`{ blocked_dates = [` + strings.Join(dates, ", ") + `] }`), "zonal_autoshift.blocked_dates",
			`list must contain at most 15 elements`},
		"AutoshiftBlockingAlarm": {autoshift(`{ blocking_alarm_arns = ["my-alarm"] }`), "zonal_autoshift.blocking_alarm_arns[0]",
			`must be a CloudWatch alarm ARN`},
	}
}
