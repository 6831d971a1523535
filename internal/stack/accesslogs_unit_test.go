package stack

import (
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

func TestBucketNameProblem(t *testing.T) {
	for name, bad := range map[string]bool{
		"fruit-api-lb-logs": false, "logs.example.com": false, "abc": false,
		"ab": true, "Fruit": true, "fruit_logs": true, "-fruit": true, "fruit-": true, "a..b": true, "192.168.5.4": true,
		"xn--fruit": true, "sthree-logs": true, "amzn-s3-demo-logs": true, "logs-s3alias": true, "logs--ol-s3": true,
		"arn:aws:s3:::logs": true, "s3://logs": true,
	} {
		if got := bucketNameProblem(name) != ""; got != bad {
			t.Errorf("%q: refused %t, want %t (%s)", name, got, bad, bucketNameProblem(name))
		}
	}
}

// TestSecretRotationObject: import writes RDS's default as null, days as
// days, and a schedule that is only "rate(N days)" as its days.
func TestSecretRotationObject(t *testing.T) {
	cases := map[string]struct {
		in         *blueprint.SecretRotationSpec
		null       bool
		days, expr string
	}{
		"None":          {nil, true, "", ""},
		"RDSDefault":    {&blueprint.SecretRotationSpec{AutomaticallyAfterDays: 7}, true, "", ""},
		"DefaultAsRate": {&blueprint.SecretRotationSpec{AutomaticallyAfterDays: 7, ScheduleExpression: "rate(7 days)"}, true, "", ""},
		"Days":          {&blueprint.SecretRotationSpec{AutomaticallyAfterDays: 30}, false, "30", ""},
		"RateDays":      {&blueprint.SecretRotationSpec{AutomaticallyAfterDays: 10, ScheduleExpression: "rate(10 days)", Duration: "3h"}, false, "10", ""},
		"Cron":          {&blueprint.SecretRotationSpec{ScheduleExpression: "cron(0 4 ? * SUN *)"}, false, "", "cron(0 4 ? * SUN *)"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := secretRotationObject(tc.in)
			if o.IsNull() != tc.null {
				t.Fatalf("null %t, want %t: %v", o.IsNull(), tc.null, o)
			}
			if tc.null {
				return
			}
			days, expr := o.Attributes()["automatically_after_days"].String(), o.Attributes()["schedule_expression"].String()
			if tc.days == "" && days != "<null>" || tc.days != "" && days != tc.days {
				t.Errorf("days %s, want %q", days, tc.days)
			}
			if tc.expr == "" && expr != "<null>" || tc.expr != "" && expr != `"`+tc.expr+`"` {
				t.Errorf("expression %s, want %q", expr, tc.expr)
			}
		})
	}
}
