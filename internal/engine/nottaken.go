package engine

import (
	"strings"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// NotTakenError is an apply whose calls all succeeded while AWS reports, for
// some children, a setting other than the one asked for: the service (or
// the partition, or an emulator) accepted the call and dropped the setting.
// Each entry names the child and the setting as Differences does: what AWS
// reports, then ", want" what was asked. Failing here, rather than recording
// the difference as drift, keeps Terraform from failing later with
// "Provider produced inconsistent result after apply" (the plan promised no
// drift), which names neither the child nor the setting; hashicorp/aws
// likewise fails an apply whose read-back differs, naming the attribute.
type NotTakenError struct{ Settings []string }

func (e *NotTakenError) Error() string {
	return "AWS accepted every call but reports settings other than those asked for (as found, then what was asked): " +
		strings.Join(e.Settings, "; ")
}

// notTaken checks the children as the apply left them: after a successful
// reconcile every desired part must be up to date, since a part with drift
// was updated (or created) just now.
func notTaken(bp blueprint.Blueprint, observed map[string]Observation) error {
	var settings []string
	for _, p := range bp.Parts {
		o, ok := observed[p.Key]
		if !ok || o.Name != p.Name {
			continue // not made by this apply's plan (an unfinished replace reports its own error)
		}
		for _, d := range o.Drift {
			settings = append(settings, p.Key+" ("+p.Name+"): "+d)
		}
	}
	if len(settings) == 0 {
		return nil
	}
	return &NotTakenError{Settings: settings}
}
