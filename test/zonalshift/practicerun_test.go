package zonalshift_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
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
	off := e.loadBalancer(t, "zs-practice-off", false)
	on := e.loadBalancer(t, "zs-practice-on", true)
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
