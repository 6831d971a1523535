package sandbox

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/zonalshift"
)

// ARC's zonal autoshift and practice runs in the sandbox. The ARC
// emulator holds them (test/zonalshift/autoshift.go); the sandbox plays
// AWS's part (ARC Developer Guide, "Zonal autoshift" and "Practice runs"):
//   - when a zone is impaired, AWS starts an autoshift away from it for
//     every resource there whose zonal autoshift is ENABLED, and ends it
//     once the zone is healthy again;
//   - during a practice run, ARC watches its outcome alarms and ends the
//     run with outcome FAILED as soon as one is in ALARM; a run that lasts
//     its time SUCCEEDED. The sandbox reads the alarms' state from moto on
//     every reconcile tick (a test sets it with SetAlarmState).
//
// Traffic follows the APPLIED shift only: shiftedZones reads the
// emulator's Active, so the shifted zone's load balancer node leaves the
// DNS answers and its targets get no new requests, as for a zonal shift.
// The sandbox does not start practice runs on ARC's weekly schedule: only
// on request (StartPracticeRun).

// Event kinds of autoshifts and practice runs: IDs are the load balancers.
const (
	EventAutoshift        = "autoshift started"
	EventAutoshiftEnded   = "autoshift ended"
	EventPracticeRun      = "practice run started"
	EventPracticeRunEnded = "practice run ended"
)

// startAutoshift starts ARC's autoshift away from an impaired zone.
func (s *Sandbox) startAutoshift(ctx context.Context, zone string) {
	arns, err := s.zonalShifts.StartAutoshift(ctx, zone)
	if err != nil {
		s.logf("autoshift away from %s: %v", zone, err)
		return
	}
	if len(arns) == 0 {
		return
	}
	s.record(Event{Kind: EventAutoshift, Zone: zone, IDs: arns,
		Reason: "ARC zonal autoshift: AWS detected an impairment in the zone; traffic shifts away for the resources with zonal autoshift ENABLED"})
	s.logf("autoshift away from %s for %s", zone, strings.Join(arns, ", "))
}

// endAutoshift completes the autoshift away from a recovered zone.
func (s *Sandbox) endAutoshift(zone string) {
	if arns := s.zonalShifts.EndAutoshift(zone); len(arns) > 0 {
		s.record(Event{Kind: EventAutoshiftEnded, Zone: zone, IDs: arns, Reason: "ARC zonal autoshift: the zone is healthy again; autoshift COMPLETED"})
		s.logf("autoshift away from %s completed", zone)
	}
}

// watchPracticeRuns fails each running practice run whose outcome alarm is
// in ALARM, and records practice runs starting and ending. Called from the
// reconcile loop only (practiceSeen is its own).
func (s *Sandbox) watchPracticeRuns(ctx context.Context) {
	for _, run := range s.zonalShifts.PracticeRuns() {
		if run.Status == zonalshift.StatusActive {
			if s.practiceSeen[run.ID] == "" {
				s.practiceSeen[run.ID] = run.Status
				s.record(Event{Kind: EventPracticeRun, Zone: run.AwayFromName, IDs: []string{run.Resource},
					Reason: "ARC practice run " + run.ID + " on request: traffic shifts away from the zone"})
			}
			if alarm := s.alarmFiring(ctx, run.Resource); alarm != "" && s.zonalShifts.FailPracticeRun(run.ID) {
				run.Status, run.Outcome = zonalshift.StatusCanceled, zonalshift.OutcomeFailed
				run.Comment = "outcome alarm " + alarm + " in ALARM"
			} else {
				continue
			}
		}
		if prev, ok := s.practiceSeen[run.ID]; ok && prev == zonalshift.StatusActive {
			s.practiceSeen[run.ID] = run.Status
			why := "it ran its time with the outcome alarms not in ALARM"
			switch run.Outcome {
			case zonalshift.OutcomeFailed:
				why = run.Comment + ": ARC ends the practice run"
			case zonalshift.OutcomeInterrupted:
				why = "cancelled by the customer"
			}
			s.record(Event{Kind: EventPracticeRunEnded, Zone: run.AwayFromName, IDs: []string{run.Resource},
				Reason: fmt.Sprintf("ARC practice run %s %s, outcome %s: %s", run.ID, run.Status, run.Outcome, why)})
		}
	}
}

// alarmFiring names the first outcome alarm of the resource's practice run
// configuration that moto has in ALARM, "" for none (or when moto cannot
// say: a run is failed only on an alarm seen firing).
func (s *Sandbox) alarmFiring(ctx context.Context, arn string) string {
	cfg, ok, _ := s.zonalShifts.Practice(arn)
	if !ok {
		return ""
	}
	var names []string
	for _, a := range cfg.OutcomeAlarms {
		if _, name, found := strings.Cut(a.AlarmIdentifier, ":alarm:"); found {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	out, err := s.aws.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names})
	if err != nil {
		s.logf("practice run of %s: reading its outcome alarms: %v", arn, err)
		return ""
	}
	for _, a := range out.MetricAlarms {
		if a.StateValue == cwtypes.StateValueAlarm {
			return *a.AlarmName
		}
	}
	return ""
}
