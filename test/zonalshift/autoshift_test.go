package zonalshift_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/zonalshift"
)

const outcomeAlarm = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:stack-outcome"

func alarms(arns ...string) []zstypes.ControlCondition {
	var out []zstypes.ControlCondition
	for _, a := range arns {
		out = append(out, zstypes.ControlCondition{Type: zstypes.ControlConditionTypeCloudwatch, AlarmIdentifier: aws.String(a)})
	}
	return out
}

func conflictReason(err error) zstypes.ConflictExceptionReason {
	var ce *zstypes.ConflictException
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return ""
}

// TestPracticeRunAndAutoshiftLifecycle: the order ARC imposes (a
// configuration before autoshift, autoshift off before deleting the
// configuration), an update that replaces only what it carries, and
// GetManagedResource reporting both, all through the SDK's client.
func TestPracticeRunAndAutoshiftLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	arn := e.loadBalancer(t, "zs-practice", true)
	enable := func(status zstypes.ZonalAutoshiftStatus) error {
		_, err := e.arc.UpdateZonalAutoshiftConfiguration(ctx, &arczonalshift.UpdateZonalAutoshiftConfigurationInput{
			ResourceIdentifier: aws.String(arn), ZonalAutoshiftStatus: status})
		return err
	}
	if err := enable(zstypes.ZonalAutoshiftStatusEnabled); conflictReason(err) != zstypes.ConflictExceptionReasonPracticeConfigurationDoesNotExist {
		t.Fatalf("enabling autoshift with no practice run configuration: %v, want ConflictException PracticeConfigurationDoesNotExist", err)
	}
	created, err := e.arc.CreatePracticeRunConfiguration(ctx, &arczonalshift.CreatePracticeRunConfigurationInput{ResourceIdentifier: aws.String(arn),
		OutcomeAlarms: alarms(outcomeAlarm), BlockedWindows: []string{"Mon:00:00-Mon:08:00"}, BlockedDates: []string{"2026-12-24"}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.Arn) != arn || created.ZonalAutoshiftStatus != zstypes.ZonalAutoshiftStatusDisabled ||
		!slices.Equal(created.PracticeRunConfiguration.BlockedWindows, []string{"Mon:00:00-Mon:08:00"}) {
		t.Fatalf("created: %+v", created)
	}
	_, err = e.arc.CreatePracticeRunConfiguration(ctx, &arczonalshift.CreatePracticeRunConfigurationInput{ResourceIdentifier: aws.String(arn), OutcomeAlarms: alarms(outcomeAlarm)})
	if conflictReason(err) != zstypes.ConflictExceptionReasonPracticeConfigurationAlreadyExists {
		t.Fatalf("second configuration: %v, want ConflictException PracticeConfigurationAlreadyExists", err)
	}
	if err := enable(zstypes.ZonalAutoshiftStatusEnabled); err != nil {
		t.Fatalf("enabling autoshift: %v", err)
	}
	// An update carrying only the windows keeps the dates and the alarm; an
	// empty list clears.
	if _, err := e.arc.UpdatePracticeRunConfiguration(ctx, &arczonalshift.UpdatePracticeRunConfigurationInput{ResourceIdentifier: aws.String(arn),
		BlockedWindows: []string{"Sat:00:00-Sat:23:59", "Sun:00:00-Sun:06:00"}}); err != nil {
		t.Fatal(err)
	}
	mr, err := e.arc.GetManagedResource(ctx, &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	pc := mr.PracticeRunConfiguration
	if mr.ZonalAutoshiftStatus != zstypes.ZonalAutoshiftStatusEnabled || pc == nil ||
		!slices.Equal(pc.BlockedWindows, []string{"Sat:00:00-Sat:23:59", "Sun:00:00-Sun:06:00"}) || !slices.Equal(pc.BlockedDates, []string{"2026-12-24"}) ||
		len(pc.OutcomeAlarms) != 1 || aws.ToString(pc.OutcomeAlarms[0].AlarmIdentifier) != outcomeAlarm {
		t.Fatalf("managed resource after update: status %s, configuration %+v", mr.ZonalAutoshiftStatus, pc)
	}
	if _, err := e.arc.UpdatePracticeRunConfiguration(ctx, &arczonalshift.UpdatePracticeRunConfigurationInput{ResourceIdentifier: aws.String(arn),
		BlockedDates: []string{}}); err != nil {
		t.Fatal(err)
	}
	if c, ok, _ := e.em.Practice(arn); !ok || len(c.BlockedDates) != 0 || len(c.BlockedWindows) != 2 {
		t.Fatalf("after clearing the dates: %+v", c)
	}
	list, err := e.arc.ListManagedResources(ctx, &arczonalshift.ListManagedResourcesInput{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list.Items, func(s zstypes.ManagedResourceSummary) bool { return aws.ToString(s.Arn) == arn })
	if i < 0 || list.Items[i].ZonalAutoshiftStatus != zstypes.ZonalAutoshiftStatusEnabled || list.Items[i].PracticeRunStatus != zstypes.ZonalAutoshiftStatusEnabled {
		t.Fatalf("ListManagedResources: %+v", list.Items)
	}
	del := &arczonalshift.DeletePracticeRunConfigurationInput{ResourceIdentifier: aws.String(arn)}
	if _, err := e.arc.DeletePracticeRunConfiguration(ctx, del); conflictReason(err) != zstypes.ConflictExceptionReasonAutoshiftEnabled {
		t.Fatalf("deleting the configuration while autoshift is on: %v, want ConflictException AutoShiftEnabled", err)
	}
	if err := enable(zstypes.ZonalAutoshiftStatusDisabled); err != nil {
		t.Fatal(err)
	}
	if _, err := e.arc.DeletePracticeRunConfiguration(ctx, del); err != nil {
		t.Fatal(err)
	}
	var nf *zstypes.ResourceNotFoundException
	if _, err := e.arc.DeletePracticeRunConfiguration(ctx, del); !errors.As(err, &nf) {
		t.Fatalf("deleting it again: %v, want ResourceNotFoundException", err)
	}
	mr, err = e.arc.GetManagedResource(ctx, &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(arn)})
	if err != nil || mr.PracticeRunConfiguration != nil || mr.ZonalAutoshiftStatus != zstypes.ZonalAutoshiftStatusDisabled {
		t.Fatalf("managed resource after delete: %v %+v", err, mr)
	}
}

// TestPracticeRunRefusesWhatAWSRefuses: the configuration's shapes and the
// resource it needs.
func TestPracticeRunRefusesWhatAWSRefuses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	off, on := e.offAndOn(t, "zs-practice")
	var nf *zstypes.ResourceNotFoundException
	if _, err := e.arc.CreatePracticeRunConfiguration(ctx, &arczonalshift.CreatePracticeRunConfigurationInput{ResourceIdentifier: aws.String(off),
		OutcomeAlarms: alarms(outcomeAlarm)}); !errors.As(err, &nf) {
		t.Errorf("configuration of a load balancer with zonal shift off: %v, want ResourceNotFoundException", err)
	}
	if _, err := e.arc.UpdatePracticeRunConfiguration(ctx, &arczonalshift.UpdatePracticeRunConfigurationInput{ResourceIdentifier: aws.String(on),
		BlockedDates: []string{"2026-12-24"}}); !errors.As(err, &nf) {
		t.Errorf("update with no configuration: %v, want ResourceNotFoundException", err)
	}
	cases := map[string]struct {
		in   arczonalshift.CreatePracticeRunConfigurationInput
		want zstypes.ValidationExceptionReason
	}{
		"window over two days":   {arczonalshift.CreatePracticeRunConfigurationInput{BlockedWindows: []string{"Mon:22:00-Tue:02:00"}}, zstypes.ValidationExceptionReasonInvalidPracticeBlocker},
		"window backwards":       {arczonalshift.CreatePracticeRunConfigurationInput{BlockedWindows: []string{"Mon:08:00-Mon:07:00"}}, zstypes.ValidationExceptionReasonInvalidPracticeBlocker},
		"window upper-case days": {arczonalshift.CreatePracticeRunConfigurationInput{BlockedWindows: []string{"MON:00:00-MON:08:00"}}, zstypes.ValidationExceptionReasonInvalidPracticeBlocker},
		"date not YYYY-MM-DD":    {arczonalshift.CreatePracticeRunConfigurationInput{BlockedDates: []string{"24/12/2026"}}, zstypes.ValidationExceptionReasonInvalidPracticeBlocker},
		"sixteen dates": {arczonalshift.CreatePracticeRunConfigurationInput{BlockedDates: []string{"2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04",
			"2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08", "2027-01-09", "2027-01-10", "2027-01-11", "2027-01-12", "2027-01-13", "2027-01-14",
			"2027-01-15", "2027-01-16"}}, zstypes.ValidationExceptionReasonInvalidPracticeBlocker},
		"both kinds of window": {arczonalshift.CreatePracticeRunConfigurationInput{BlockedWindows: []string{"Mon:00:00-Mon:08:00"},
			AllowedWindows: []string{"Wed:12:00-Wed:17:00"}}, zstypes.ValidationExceptionReasonConflictingPracticeWindows},
		"alarm not an ARN": {arczonalshift.CreatePracticeRunConfigurationInput{OutcomeAlarms: alarms("stack-outcome")}, zstypes.ValidationExceptionReasonInvalidAlarmCondition},
	}
	var ve *zstypes.ValidationException
	for name, c := range cases {
		c.in.ResourceIdentifier = aws.String(on)
		if c.in.OutcomeAlarms == nil {
			c.in.OutcomeAlarms = alarms(outcomeAlarm)
		}
		if _, err := e.arc.CreatePracticeRunConfiguration(ctx, &c.in); !errors.As(err, &ve) || ve.Reason != c.want {
			t.Errorf("%s: %v, want ValidationException %s", name, err, c.want)
		}
	}
	if _, ok, _ := e.em.Practice(on); ok {
		t.Errorf("a refused configuration was stored")
	}
}

// configure gives a load balancer a practice run configuration and sets
// its zonal autoshift status.
func (e env) configure(t *testing.T, arn string, status zstypes.ZonalAutoshiftStatus) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.arc.CreatePracticeRunConfiguration(ctx, &arczonalshift.CreatePracticeRunConfigurationInput{ResourceIdentifier: aws.String(arn),
		OutcomeAlarms: alarms(outcomeAlarm)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.arc.UpdateZonalAutoshiftConfiguration(ctx, &arczonalshift.UpdateZonalAutoshiftConfigurationInput{
		ResourceIdentifier: aws.String(arn), ZonalAutoshiftStatus: status}); err != nil {
		t.Fatal(err)
	}
}

func (e env) managed(t *testing.T, arn string) *arczonalshift.GetManagedResourceOutput {
	t.Helper()
	mr, err := e.arc.GetManagedResource(context.Background(), &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return mr
}

// practiceRuns lists a resource's practice runs of a status.
func (e env) practiceRuns(t *testing.T, arn string, status zstypes.ZonalShiftStatus) []zstypes.ZonalShiftSummary {
	t.Helper()
	list, err := e.arc.ListZonalShifts(context.Background(), &arczonalshift.ListZonalShiftsInput{ResourceIdentifier: aws.String(arn), Status: status})
	if err != nil {
		t.Fatal(err)
	}
	var out []zstypes.ZonalShiftSummary
	for _, s := range list.Items {
		if s.ShiftType == zstypes.ShiftTypePracticeRun {
			out = append(out, s)
		}
	}
	return out
}

// TestPracticeRunOnRequest: a practice run started on request shifts the
// resource's traffic (appliedWeights) as a PRACTICE_RUN with outcome
// PENDING, ends SUCCEEDED at its 30 minutes, INTERRUPTED when cancelled,
// FAILED when its outcome alarm's watcher fails it; one at a time, and
// only with a configuration.
func TestPracticeRunOnRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	arn := e.loadBalancer(t, "zs-prun", true)
	az := e.zoneID(t, "us-east-1b")
	start := func() (*arczonalshift.StartPracticeRunOutput, error) {
		return e.arc.StartPracticeRun(ctx, &arczonalshift.StartPracticeRunInput{ResourceIdentifier: aws.String(arn), AwayFrom: aws.String(az), Comment: aws.String("practice")})
	}
	if _, err := start(); conflictReason(err) != zstypes.ConflictExceptionReasonPracticeConfigurationDoesNotExist {
		t.Fatalf("practice run without a configuration: %v, want ConflictException PracticeConfigurationDoesNotExist", err)
	}
	e.configure(t, arn, zstypes.ZonalAutoshiftStatusDisabled)
	run, err := start()
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != zstypes.ZonalShiftStatusActive || !aws.ToTime(run.ExpiryTime).Equal(aws.ToTime(run.StartTime).Add(30*time.Minute)) {
		t.Fatalf("started practice run: %+v, want ACTIVE for 30 minutes", run)
	}
	if _, err := start(); conflictReason(err) != zstypes.ConflictExceptionReasonZonalShiftAlreadyExists {
		t.Fatalf("second practice run: %v, want ConflictException ZonalShiftAlreadyExists", err)
	}
	if got := e.practiceRuns(t, arn, ""); len(got) != 1 || got[0].PracticeRunOutcome != zstypes.PracticeRunOutcomePending {
		t.Fatalf("active practice runs: %+v, want one PENDING", got)
	}
	mr := e.managed(t, arn)
	if mr.AppliedWeights[az] != 0 || len(mr.ZonalShifts) != 1 || mr.ZonalShifts[0].ShiftType != zstypes.ShiftTypePracticeRun ||
		mr.ZonalShifts[0].AppliedStatus != zstypes.AppliedStatusApplied {
		t.Fatalf("managed resource during the practice run: weights %v shifts %+v", mr.AppliedWeights, mr.ZonalShifts)
	}
	e.clock.Add(30 * time.Minute)
	if got := e.practiceRuns(t, arn, zstypes.ZonalShiftStatusExpired); len(got) != 1 || got[0].PracticeRunOutcome != zstypes.PracticeRunOutcomeSucceeded {
		t.Fatalf("practice run after 30 minutes: %+v, want EXPIRED SUCCEEDED", got)
	}
	if mr := e.managed(t, arn); mr.AppliedWeights[az] != 1 {
		t.Fatalf("weights after the practice run: %v", mr.AppliedWeights)
	}

	run, err = start()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.arc.CancelPracticeRun(ctx, &arczonalshift.CancelPracticeRunInput{ZonalShiftId: run.ZonalShiftId}); err != nil {
		t.Fatal(err)
	}
	run, err = start()
	if err != nil {
		t.Fatal(err)
	}
	if !e.em.FailPracticeRun(aws.ToString(run.ZonalShiftId)) {
		t.Fatal("FailPracticeRun found no active practice run")
	}
	var outcomes []zstypes.PracticeRunOutcome
	for _, s := range e.practiceRuns(t, arn, zstypes.ZonalShiftStatusCanceled) {
		outcomes = append(outcomes, s.PracticeRunOutcome)
	}
	if !slices.Equal(outcomes, []zstypes.PracticeRunOutcome{zstypes.PracticeRunOutcomeInterrupted, zstypes.PracticeRunOutcomeFailed}) {
		t.Fatalf("cancelled practice runs' outcomes %v, want [INTERRUPTED FAILED]", outcomes)
	}

	// CancelPracticeRun refuses a customer's zonal shift.
	zs, err := e.arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(arn), AwayFrom: aws.String(az),
		ExpiresIn: aws.String("1h"), Comment: aws.String("customer")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.arc.CancelPracticeRun(ctx, &arczonalshift.CancelPracticeRunInput{ZonalShiftId: zs.ZonalShiftId})
	var ve *zstypes.ValidationException
	if !errors.As(err, &ve) || ve.Reason != zstypes.ValidationExceptionReasonUnsupportedPracticeCancelShiftType {
		t.Fatalf("CancelPracticeRun of a zonal shift: %v, want ValidationException UnsupportedPracticeCancelShiftType", err)
	}
}

// TestAutoshiftPrecedence: an autoshift applies only to the resources in
// the zone whose zonal autoshift is ENABLED; on a resource a customer's
// zonal shift wins over it and it over a practice run (only the winner is
// APPLIED, moves the weights and is what the data plane acts on); it
// completes when ended, and a practice run is refused while it is active.
func TestAutoshiftPrecedence(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	on := e.loadBalancer(t, "zs-auto-on", true)
	off := e.loadBalancer(t, "zs-auto-off", true)
	e.configure(t, on, zstypes.ZonalAutoshiftStatusEnabled)
	e.configure(t, off, zstypes.ZonalAutoshiftStatusDisabled)
	a, b := e.zoneID(t, "us-east-1a"), e.zoneID(t, "us-east-1b")
	practice, err := e.arc.StartPracticeRun(ctx, &arczonalshift.StartPracticeRunInput{ResourceIdentifier: aws.String(on), AwayFrom: aws.String(a), Comment: aws.String("practice")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.em.StartAutoshift(ctx, "us-east-1b")
	if err != nil || !slices.Equal(got, []string{on}) {
		t.Fatalf("autoshift applies to %v (%v), want only the ENABLED %s", got, err, on)
	}
	list, err := e.arc.ListAutoshifts(ctx, &arczonalshift.ListAutoshiftsInput{})
	if err != nil || len(list.Items) != 1 || aws.ToString(list.Items[0].AwayFrom) != b || list.Items[0].Status != zstypes.AutoshiftExecutionStatusActive {
		t.Fatalf("ListAutoshifts: %v %+v, want one ACTIVE away from %s", err, list, b)
	}
	if mr := e.managed(t, off); len(mr.Autoshifts) != 0 || mr.AppliedWeights[b] != 1 {
		t.Fatalf("the DISABLED resource: autoshifts %+v weights %v, want none", mr.Autoshifts, mr.AppliedWeights)
	}
	// applied reads who is APPLIED on the ENABLED resource.
	applied := func() (autoshift zstypes.AutoshiftAppliedStatus, shifts map[zstypes.ShiftType]zstypes.AppliedStatus, weights map[string]float32) {
		mr := e.managed(t, on)
		if len(mr.Autoshifts) == 1 {
			autoshift = mr.Autoshifts[0].AppliedStatus
		}
		shifts = map[zstypes.ShiftType]zstypes.AppliedStatus{}
		for _, s := range mr.ZonalShifts {
			shifts[s.ShiftType] = s.AppliedStatus
		}
		return autoshift, shifts, mr.AppliedWeights
	}
	as, shifts, w := applied()
	if as != zstypes.AutoshiftAppliedStatusApplied || shifts[zstypes.ShiftTypePracticeRun] != zstypes.AppliedStatusNotApplied || w[a] != 1 || w[b] != 0 {
		t.Fatalf("autoshift over practice run: autoshift %s shifts %v weights %v", as, shifts, w)
	}
	_, err = e.arc.StartPracticeRun(ctx, &arczonalshift.StartPracticeRunInput{ResourceIdentifier: aws.String(on), AwayFrom: aws.String(a), Comment: aws.String("again")})
	if conflictReason(err) != zstypes.ConflictExceptionReasonZonalAutoshiftActive {
		t.Fatalf("practice run during an autoshift: %v, want ConflictException ZonalAutoshiftActive", err)
	}

	// A customer's shift is accepted during the autoshift and wins.
	zs, err := e.arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(on), AwayFrom: aws.String(a),
		ExpiresIn: aws.String("1h"), Comment: aws.String("customer")})
	if err != nil {
		t.Fatalf("customer shift during an autoshift: %v", err)
	}
	as, shifts, w = applied()
	if as != zstypes.AutoshiftAppliedStatusNotApplied || shifts[zstypes.ShiftTypeZonalShift] != zstypes.AppliedStatusApplied ||
		shifts[zstypes.ShiftTypePracticeRun] != zstypes.AppliedStatusNotApplied || w[a] != 0 || w[b] != 1 {
		t.Fatalf("customer over autoshift: autoshift %s shifts %v weights %v", as, shifts, w)
	}
	if act := e.em.Active(); len(act) != 1 || act[0].ID != aws.ToString(zs.ZonalShiftId) {
		t.Fatalf("data plane acts on %+v, want only the customer's shift", act)
	}
	if _, err := e.arc.CancelZonalShift(ctx, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: zs.ZonalShiftId}); err != nil {
		t.Fatal(err)
	}
	if act := e.em.Active(); len(act) != 1 || act[0].Type != zonalshift.TypeAutoshift || act[0].AwayFromName != "us-east-1b" {
		t.Fatalf("after the customer's shift, data plane acts on %+v, want the autoshift away from us-east-1b", act)
	}

	// The autoshift completes; the practice run applies again.
	if ended := e.em.EndAutoshift("us-east-1b"); !slices.Equal(ended, []string{on}) {
		t.Fatalf("EndAutoshift: %v", ended)
	}
	done, err := e.arc.ListAutoshifts(ctx, &arczonalshift.ListAutoshiftsInput{Status: zstypes.AutoshiftExecutionStatusCompleted})
	if err != nil || len(done.Items) != 1 || done.Items[0].EndTime == nil {
		t.Fatalf("completed autoshifts: %v %+v", err, done)
	}
	as, shifts, w = applied()
	if as != "" || shifts[zstypes.ShiftTypePracticeRun] != zstypes.AppliedStatusApplied || w[a] != 0 || w[b] != 1 {
		t.Fatalf("after the autoshift: autoshift %q shifts %v weights %v", as, shifts, w)
	}
	if act := e.em.Active(); len(act) != 1 || act[0].ID != aws.ToString(practice.ZonalShiftId) {
		t.Fatalf("data plane acts on %+v, want the practice run", act)
	}
}
