package cloud

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// Who started the shift that moves the load balancer's traffic now, as the
// state shows it (active_shift_started_by).
const (
	ShiftByStack          = "stack" // evacuate_zones
	ShiftByCustomer       = "customer"
	ShiftByZonalAutoshift = "zonal_autoshift"
	ShiftByPracticeRun    = "practice_run"
	ShiftByFISExperiment  = "fis_experiment"
)

// setActiveShift records the shift ARC applies to the load balancer, read
// from the GetManagedResource that zonal_autoshift already makes: of the
// shifts on a resource only one is APPLIED (a customer's zonal shift before
// an autoshift, an autoshift before a practice run: ARC developer guide,
// "Zonal autoshift"), so the attributes name at most one. A shift AWS
// started is recorded, never drift: the stack does not own it.
func setActiveShift(attrs map[string]string, stack string, have *arczonalshift.GetManagedResourceOutput) {
	for _, z := range have.ZonalShifts {
		if z.AppliedStatus != zstypes.AppliedStatusApplied {
			continue
		}
		attrs["active_shift_away_from"] = aws.ToString(z.AwayFrom)
		attrs["active_shift_started_by"] = shiftStarter(z.ShiftType, aws.ToString(z.Comment), stack)
		if z.ExpiryTime != nil {
			attrs["active_shift_expires_at"] = z.ExpiryTime.UTC().Format(time.RFC3339)
		}
		if z.PracticeRunOutcome != "" {
			attrs["practice_run_outcome"] = string(z.PracticeRunOutcome)
		}
		return
	}
	for _, a := range have.Autoshifts {
		if a.AppliedStatus == zstypes.AutoshiftAppliedStatusApplied {
			attrs["active_shift_away_from"] = aws.ToString(a.AwayFrom)
			attrs["active_shift_started_by"] = ShiftByZonalAutoshift
			return
		}
	}
}

// shiftStarter names who started a zonal shift: its type, and for a
// customer's shift whether its comment is one the stack writes
// (blueprint.ZonalShiftComment).
func shiftStarter(t zstypes.ShiftType, comment, stack string) string {
	switch t {
	case zstypes.ShiftTypePracticeRun:
		return ShiftByPracticeRun
	case zstypes.ShiftTypeZonalAutoshift:
		return ShiftByZonalAutoshift
	case zstypes.ShiftTypeFisExperiment:
		return ShiftByFISExperiment
	}
	if stack != "" && strings.HasPrefix(comment, strings.TrimSuffix(blueprint.ZonalShiftComment(stack, ""), " ")) {
		return ShiftByStack
	}
	return ShiftByCustomer
}
