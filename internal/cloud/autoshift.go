package cloud

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// autoshifts are the load balancer's practice run configuration and zonal
// autoshift status (zonal_autoshift). ARC holds both on the managed
// resource, which has no tags: the part is the stack's because the load
// balancer is. ARC enables autoshift only for a resource with a practice
// run configuration and deletes the configuration only while autoshift is
// DISABLED (API reference, UpdateZonalAutoshiftConfiguration,
// DeletePracticeRunConfiguration), so create writes the configuration
// first, and delete disables autoshift first.
type autoshifts struct{ *Cloud }

// reasonPracticeConfigurationAbsent is ARC's ConflictException reason for
// a configuration already gone (API reference, ConflictException).
const reasonPracticeConfigurationAbsent = zstypes.ConflictExceptionReasonPracticeConfigurationDoesNotExist

// findManaged reads the load balancer as ARC manages it (GetManagedResource:
// autoshift status and practice run configuration). A load balancer ARC
// does not know yet is ErrNotFound.
func (c autoshifts) findManaged(ctx context.Context, lbARN string) (*arczonalshift.GetManagedResourceOutput, error) {
	out, err := c.arc.GetManagedResource(ctx, &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(lbARN)})
	if err != nil {
		return nil, fmt.Errorf("reading managed resource (%s): %w", arnSuffix(lbARN), asNotFound(err, "managed resource", lbARN, errCodeZSResourceNotFound))
	}
	return out, nil
}

func (c autoshifts) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	return c.update(ctx, p, engine.Observation{}, refs)
}

// update writes the practice run configuration (created, or updated when it
// differs), then the autoshift status when it differs. A load balancer ARC
// has not registered yet (its zonal shift attribute just turned on) is
// retried for zonalShiftRegistrationTimeout, as StartZonalShift is.
func (c autoshifts) update(ctx context.Context, p blueprint.Part, _ engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.AutoshiftProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	lb, err := ref(refs, props.LoadBalancerKey)
	if err != nil {
		return engine.Observation{}, err
	}
	alarm, err := ref(refs, props.AlarmKey)
	if err != nil {
		return engine.Observation{}, err
	}
	var (
		have *arczonalshift.GetManagedResourceOutput
		last error
	)
	wait, cancel := context.WithTimeout(ctx, zonalShiftRegistrationTimeout)
	defer cancel()
	err = retryWhile(wait, "load balancer "+lb.Name+" to be registered with ARC", func(err error) bool {
		return errors.Is(err, ErrNotFound)
	}, func(ctx context.Context) error {
		have, last = c.findManaged(ctx, lb.ARN)
		return last
	})
	switch {
	case errors.Is(last, ErrNotFound):
		return engine.Observation{}, fmt.Errorf("%w (still unknown to ARC after %s): its zonal shift integration (enable_zonal_shift) must be on for zonal_autoshift",
			last, zonalShiftRegistrationTimeout)
	case last != nil:
		return engine.Observation{}, last // ARC's own error, not the wait's
	case err != nil:
		return engine.Observation{}, err
	}
	want := practiceConfig(props, alarm.ARN)
	// made is what a failure from here on returns: once the configuration
	// exists, the engine records it (by the load balancer) for the
	// rollback, which disables autoshift and deletes it.
	made := createdObservation(p, p.Name, lb.ARN, "")
	made.Attrs["load_balancer_arn"] = lb.ARN
	switch {
	case have.PracticeRunConfiguration == nil:
		// A create call (createCall): run to its end when the apply is
		// cancelled, so the configuration it made is recorded.
		_, err = createCall(ctx, c.arc.CreatePracticeRunConfiguration, &arczonalshift.CreatePracticeRunConfigurationInput{ResourceIdentifier: aws.String(lb.ARN),
			OutcomeAlarms: want.OutcomeAlarms, BlockingAlarms: want.BlockingAlarms, BlockedWindows: want.BlockedWindows, BlockedDates: want.BlockedDates})
		if err != nil {
			return engine.Observation{}, fmt.Errorf("creating the practice run configuration of load balancer %s: %w", lb.Name, err)
		}
	case len(practiceDrift(have.PracticeRunConfiguration, want)) > 0:
		// An update replaces each list it carries, an empty one clearing it
		// (API reference, UpdatePracticeRunConfiguration), so every list is
		// sent, empty ones as empty rather than nil.
		_, err = c.arc.UpdatePracticeRunConfiguration(ctx, &arczonalshift.UpdatePracticeRunConfigurationInput{ResourceIdentifier: aws.String(lb.ARN),
			OutcomeAlarms: want.OutcomeAlarms, BlockingAlarms: nonNil(want.BlockingAlarms),
			BlockedWindows: nonNil(want.BlockedWindows), BlockedDates: nonNil(want.BlockedDates)})
		if err != nil {
			return made, fmt.Errorf("updating the practice run configuration of load balancer %s: %w", lb.Name, err)
		}
	}
	if status := autoshiftStatus(props.Enabled); have.ZonalAutoshiftStatus != status {
		if err := c.setStatus(ctx, lb, status); err != nil {
			return made, err
		}
	}
	if have, err = c.findManaged(ctx, lb.ARN); err != nil {
		return made, err
	}
	return autoshiftObservation(p, lb.ARN, alarm.ARN, have), nil
}

func (c autoshifts) setStatus(ctx context.Context, lb engine.Observation, status zstypes.ZonalAutoshiftStatus) error {
	_, err := c.arc.UpdateZonalAutoshiftConfiguration(ctx, &arczonalshift.UpdateZonalAutoshiftConfigurationInput{
		ResourceIdentifier: aws.String(lb.ARN), ZonalAutoshiftStatus: status})
	if err != nil {
		return fmt.Errorf("setting zonal autoshift of load balancer %s to %s: %w", lb.Name, status, err)
	}
	return nil
}

// delete disables autoshift, then deletes the practice run configuration;
// a load balancer ARC no longer knows (deleted) has neither.
func (c autoshifts) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	lbARN := cur.Attrs["load_balancer_arn"]
	if lbARN == "" {
		return nil // never created: nothing names the load balancer
	}
	lb := engine.Observation{ARN: lbARN, Name: arnSuffix(lbARN)}
	have, err := c.findManaged(ctx, lbARN)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if have.ZonalAutoshiftStatus == zstypes.ZonalAutoshiftStatusEnabled {
		if err := c.setStatus(ctx, lb, zstypes.ZonalAutoshiftStatusDisabled); err != nil {
			return err
		}
	}
	if have.PracticeRunConfiguration == nil {
		return nil
	}
	_, err = c.arc.DeletePracticeRunConfiguration(ctx, &arczonalshift.DeletePracticeRunConfigurationInput{ResourceIdentifier: aws.String(lbARN)})
	var ce *zstypes.ConflictException
	if errors.As(err, &ce) && ce.Reason == reasonPracticeConfigurationAbsent || isCode(err, errCodeZSResourceNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting the practice run configuration of load balancer %s: %w", lb.Name, err)
	}
	return nil
}

func autoshiftStatus(enabled bool) zstypes.ZonalAutoshiftStatus {
	if enabled {
		return zstypes.ZonalAutoshiftStatusEnabled
	}
	return zstypes.ZonalAutoshiftStatusDisabled
}

func practiceConfig(props blueprint.AutoshiftProps, alarmARN string) zstypes.PracticeRunConfiguration {
	cfg := zstypes.PracticeRunConfiguration{
		OutcomeAlarms:  []zstypes.ControlCondition{{AlarmIdentifier: aws.String(alarmARN), Type: zstypes.ControlConditionTypeCloudwatch}},
		BlockedWindows: props.BlockedWindows, BlockedDates: props.BlockedDates,
	}
	for _, a := range props.BlockingAlarmARNs {
		cfg.BlockingAlarms = append(cfg.BlockingAlarms, zstypes.ControlCondition{AlarmIdentifier: aws.String(a), Type: zstypes.ControlConditionTypeCloudwatch})
	}
	return cfg
}

func alarmARNs(cs []zstypes.ControlCondition) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, aws.ToString(c.AlarmIdentifier))
	}
	return out
}

// practiceDrift compares the configuration ARC holds with the wanted one;
// lists compare in order, as ARC keeps them.
func practiceDrift(have *zstypes.PracticeRunConfiguration, want zstypes.PracticeRunConfiguration) []string {
	if have == nil {
		return []string{"no practice run configuration"}
	}
	var d []string
	diff := func(what string, h, w []string) {
		if !slices.Equal(h, w) && (len(h) > 0 || len(w) > 0) {
			d = append(d, fmt.Sprintf("practice run %s %q, want %q", what, h, w))
		}
	}
	diff("outcome alarms", alarmARNs(have.OutcomeAlarms), alarmARNs(want.OutcomeAlarms))
	diff("blocking alarms", alarmARNs(have.BlockingAlarms), alarmARNs(want.BlockingAlarms))
	diff("blocked windows", have.BlockedWindows, want.BlockedWindows)
	diff("blocked dates", have.BlockedDates, want.BlockedDates)
	return d
}

// autoshiftObservation describes the managed resource: drift is a
// configuration or status other than the blueprint's, such as autoshift
// disabled outside Terraform. A shift AWS started (an autoshift or a
// practice run) is not drift: the part does not own shifts.
func autoshiftObservation(p blueprint.Part, lbARN, alarmARN string, have *arczonalshift.GetManagedResourceOutput) engine.Observation {
	o := newObservation(p, p.Name, lbARN, "", nil)
	o.Attrs["load_balancer_arn"] = lbARN
	o.Attrs["status"] = string(have.ZonalAutoshiftStatus)
	got := blueprint.AutoshiftProps{LoadBalancerKey: blueprint.KeyLoadBalancer, AlarmKey: blueprint.KeyOutcomeAlarm}
	got.Enabled = have.ZonalAutoshiftStatus == zstypes.ZonalAutoshiftStatusEnabled
	if cfg := have.PracticeRunConfiguration; cfg != nil {
		got.BlockedWindows, got.BlockedDates, got.BlockingAlarmARNs = cfg.BlockedWindows, cfg.BlockedDates, alarmARNs(cfg.BlockingAlarms)
		o.Attrs["practice_run"] = "configured"
	}
	o.Props = got
	setActiveShift(o.Attrs, p.Tags[blueprint.TagStack], have)
	props, ok := p.Props.(blueprint.AutoshiftProps)
	if !ok {
		return o
	}
	if want := autoshiftStatus(props.Enabled); have.ZonalAutoshiftStatus != want {
		o.Drift = append(o.Drift, fmt.Sprintf("zonal autoshift %s, want %s", have.ZonalAutoshiftStatus, want))
	}
	o.Drift = append(o.Drift, practiceDrift(have.PracticeRunConfiguration, practiceConfig(props, alarmARN))...)
	return o
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// autoshiftExtras adds zonal_autoshift's children that no part matched
// (the block was removed, or import reads them): the alarm, found by the
// name the state recorded, and the practice run configuration of the
// stack's load balancer. The engine deletes them, configuration first.
func (f *found) autoshiftExtras(stack string, out map[string]engine.Observation) {
	orphan := func(kind blueprint.Kind, key, name string) blueprint.Part {
		return blueprint.Part{Kind: kind, Key: key, Name: name, Tags: map[string]string{blueprint.TagStack: stack, blueprint.TagPart: key}}
	}
	if _, seen := out[blueprint.KeyOutcomeAlarm]; !seen && f.alarm != nil {
		out[blueprint.KeyOutcomeAlarm] = alarmObservation(orphan(blueprint.KindOutcomeAlarm, blueprint.KeyOutcomeAlarm, aws.ToString(f.alarm.AlarmName)), f.alarm, "")
	}
	lb, lbOK := out[blueprint.KeyLoadBalancer]
	if _, seen := out[blueprint.KeyAutoshift]; !seen && lbOK && f.managed != nil && f.managed.PracticeRunConfiguration != nil {
		alarm := out[blueprint.KeyOutcomeAlarm]
		out[blueprint.KeyAutoshift] = autoshiftObservation(orphan(blueprint.KindAutoshift, blueprint.KeyAutoshift, lb.Name), lb.ARN, alarm.ARN, f.managed)
	}
}

// readAutoshift reads the load balancer's autoshift status and practice run
// configuration, one GetManagedResource, only when the blueprint has
// zonal_autoshift or the state still records its alarm (it was just
// removed): other stacks pay no call for it.
func (f *found) readAutoshift(ctx context.Context, c *Cloud, byKind map[blueprint.Kind][]blueprint.Part) error {
	if f.loadBalancer == nil || (len(byKind[blueprint.KindAutoshift]) == 0 && f.knownAlarm == "") {
		return nil
	}
	m, err := autoshifts{c}.findManaged(ctx, aws.ToString(f.loadBalancer.LoadBalancerArn))
	switch {
	case err == nil:
		f.managed = m
	case !errors.Is(err, ErrNotFound):
		return err
	}
	return nil
}
