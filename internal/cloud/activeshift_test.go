package cloud

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/google/go-cmp/cmp"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// TestActiveShift: the state names the one shift ARC applies and who
// started it; shifts ARC does not apply (a practice run under a customer's
// shift) are not named.
func TestActiveShift(t *testing.T) {
	expiry := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	applied, notApplied := zstypes.AppliedStatusApplied, zstypes.AppliedStatusNotApplied
	shift := func(st zstypes.AppliedStatus, typ zstypes.ShiftType, comment string) zstypes.ZonalShiftInResource {
		return zstypes.ZonalShiftInResource{AppliedStatus: st, ShiftType: typ, AwayFrom: aws.String("use1-az2"), Comment: aws.String(comment), ExpiryTime: &expiry}
	}
	for name, c := range map[string]struct {
		have arczonalshift.GetManagedResourceOutput
		want map[string]string
	}{
		"none": {arczonalshift.GetManagedResourceOutput{}, map[string]string{}},
		"the stack's evacuation": {arczonalshift.GetManagedResourceOutput{ZonalShifts: []zstypes.ZonalShiftInResource{
			shift(applied, zstypes.ShiftTypeZonalShift, blueprint.ZonalShiftComment("web", "us-east-1b"))}},
			map[string]string{"active_shift_started_by": ShiftByStack, "active_shift_away_from": "use1-az2", "active_shift_expires_at": "2026-12-08T01:00:00Z"}},
		"another stack's comment is a customer's": {arczonalshift.GetManagedResourceOutput{ZonalShifts: []zstypes.ZonalShiftInResource{
			shift(applied, zstypes.ShiftTypeZonalShift, blueprint.ZonalShiftComment("web-2", "us-east-1b"))}},
			map[string]string{"active_shift_started_by": ShiftByCustomer, "active_shift_away_from": "use1-az2", "active_shift_expires_at": "2026-12-08T01:00:00Z"}},
		"a practice run under a customer's shift": {arczonalshift.GetManagedResourceOutput{ZonalShifts: []zstypes.ZonalShiftInResource{
			{AppliedStatus: notApplied, ShiftType: zstypes.ShiftTypePracticeRun, AwayFrom: aws.String("use1-az4"), PracticeRunOutcome: zstypes.PracticeRunOutcomePending},
			shift(applied, zstypes.ShiftTypeZonalShift, "ops")}},
			map[string]string{"active_shift_started_by": ShiftByCustomer, "active_shift_away_from": "use1-az2", "active_shift_expires_at": "2026-12-08T01:00:00Z"}},
		"a practice run": {arczonalshift.GetManagedResourceOutput{ZonalShifts: []zstypes.ZonalShiftInResource{
			{AppliedStatus: applied, ShiftType: zstypes.ShiftTypePracticeRun, AwayFrom: aws.String("use1-az4"), PracticeRunOutcome: zstypes.PracticeRunOutcomePending}}},
			map[string]string{"active_shift_started_by": ShiftByPracticeRun, "active_shift_away_from": "use1-az4", "practice_run_outcome": "PENDING"}},
		"an autoshift": {arczonalshift.GetManagedResourceOutput{Autoshifts: []zstypes.AutoshiftInResource{
			{AppliedStatus: zstypes.AutoshiftAppliedStatusApplied, AwayFrom: aws.String("use1-az6")}}},
			map[string]string{"active_shift_started_by": ShiftByZonalAutoshift, "active_shift_away_from": "use1-az6"}},
	} {
		t.Run(name, func(t *testing.T) {
			got := map[string]string{}
			setActiveShift(got, "web", &c.have)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("attributes (-want +got):\n%s", diff)
			}
		})
	}
}
