package cloud

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	proxy "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
	"github.com/hawebapp/terraform-provider-hawebapp/test/zonalshift"
)

// countSuffix counts the calls of an operation, whatever the service ID
// the SDK gives it.
func countSuffix(calls []string, op string) int {
	return len(slices.DeleteFunc(slices.Clone(calls), func(c string) bool { return !strings.HasSuffix(c, "."+op) }))
}

// TestAutoshift creates the load balancer, the outcome alarm and the
// practice run configuration with autoshift in the order a stack does,
// right after the zonal shift attribute is turned on (the ARC emulator
// keeps the load balancer unknown for registrationDelay), and checks: a
// refresh reads both with exactly RefreshCallsAutoshift calls and none for
// a stack without them; autoshift disabled outside is drift an update
// repairs; with the block removed, the alarm the state recorded and the
// configuration are found as orphans; deleting them, configuration first
// (autoshift disabled before it), leaves neither.
func TestAutoshift(t *testing.T) {
	arc, err := zonalshift.Start(endpoint, endpoint, zonalshift.Options{RegistrationDelay: registrationDelay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(arc.Stop)
	counter := &callCounter{}
	cfg := testConfig(t, counter)
	endpoints := map[string]string{}
	for _, s := range Services {
		endpoints[s] = arc.URL
	}
	c := New(cfg, endpoints)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	spec := fullSpec("autoshift", env.Network(t, testConfig(t, nil)))
	spec.EnableZonalShift = true
	spec.Autoshift = &blueprint.AutoshiftSpec{Enabled: true, BlockedWindows: []string{"Mon:09:00-Mon:17:00"}, BlockedDates: []string{"2027-01-01"}}
	full := blueprint.Build(spec)
	keys := []string{blueprint.KeyALBSecurityGroup, blueprint.KeyLoadBalancer, blueprint.KeyOutcomeAlarm, blueprint.KeyAutoshift}
	bp := full
	bp.Parts = slices.DeleteFunc(slices.Clone(full.Parts), func(p blueprint.Part) bool { return !slices.Contains(keys, p.Key) })
	refs := createInOrder(ctx, t, c, bp, keys, nil)
	lbARN, alarmARN := refs[blueprint.KeyLoadBalancer].ARN, refs[blueprint.KeyOutcomeAlarm].ARN
	if p, _ := bp.Part(blueprint.KeyOutcomeAlarm); p.Props.(blueprint.OutcomeAlarmProps).EvaluationPeriods != 1 {
		t.Errorf("evaluation periods %d, want 1 (3 × 15 s rounded up to minutes)", p.Props.(blueprint.OutcomeAlarmProps).EvaluationPeriods)
	}

	counter.reset()
	observeClean(t, c, bp)
	calls := counter.calls()
	if got := countSuffix(calls, "GetManagedResource") + countSuffix(calls, "DescribeAlarms"); got != RefreshCallsAutoshift {
		t.Errorf("refresh made %d GetManagedResource and DescribeAlarms calls, want %d: %v", got, RefreshCallsAutoshift, calls)
	}
	without := bp
	without.Parts = slices.DeleteFunc(slices.Clone(bp.Parts), func(p blueprint.Part) bool {
		return p.Kind == blueprint.KindAutoshift || p.Kind == blueprint.KindOutcomeAlarm
	})
	counter.reset()
	if _, err := c.Observe(ctx, without); err != nil {
		t.Fatal(err)
	}
	if n := countSuffix(counter.calls(), "GetManagedResource") + countSuffix(counter.calls(), "DescribeAlarms"); n != 0 {
		t.Errorf("refresh without zonal_autoshift made %d of its calls, want 0: %v", n, counter.calls())
	}

	arcClient := arczonalshift.NewFromConfig(cfg, func(o *arczonalshift.Options) { o.BaseEndpoint = aws.String(arc.URL) })
	if _, err := arcClient.UpdateZonalAutoshiftConfiguration(ctx, &arczonalshift.UpdateZonalAutoshiftConfigurationInput{
		ResourceIdentifier: aws.String(lbARN), ZonalAutoshiftStatus: zstypes.ZonalAutoshiftStatusDisabled}); err != nil {
		t.Fatal(err)
	}
	drifted, err := c.Observe(ctx, bp)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(drifted[blueprint.KeyAutoshift].Drift, "; "); got != "zonal autoshift DISABLED, want ENABLED" {
		t.Errorf("drift %q, want autoshift DISABLED", got)
	}

	// An update repairs it, so the delete below meets autoshift ENABLED,
	// which ARC refuses to delete the configuration under.
	part, _ := bp.Part(blueprint.KeyAutoshift)
	if _, err := c.Update(ctx, part, drifted[blueprint.KeyAutoshift], refs); err != nil {
		t.Fatal(err)
	}
	observeClean(t, c, bp)

	// The block removed: Observe finds both by the alarm the state recorded.
	without.Known = map[string]string{blueprint.KeyOutcomeAlarm: alarmARN}
	orphans, err := c.Observe(ctx, without)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{blueprint.KeyAutoshift, blueprint.KeyOutcomeAlarm} {
		o, ok := orphans[key]
		if !ok {
			t.Fatalf("%s not found with the block removed", key)
		}
		if err := c.Delete(ctx, blueprint.Part{Kind: o.Kind, Key: o.Key, Name: o.Name}, o); err != nil {
			t.Fatalf("deleting %s: %v", key, err)
		}
	}
	managed, err := arcClient.GetManagedResource(ctx, &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(lbARN)})
	if err != nil {
		t.Fatal(err)
	}
	if managed.PracticeRunConfiguration != nil || managed.ZonalAutoshiftStatus == zstypes.ZonalAutoshiftStatusEnabled {
		t.Errorf("after delete: autoshift %s, practice run configuration %v", managed.ZonalAutoshiftStatus, managed.PracticeRunConfiguration)
	}
	alarms, err := c.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{refs[blueprint.KeyOutcomeAlarm].Name}})
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms.MetricAlarms) != 0 {
		t.Errorf("alarm %s left after delete", refs[blueprint.KeyOutcomeAlarm].Name)
	}
}

// TestAutoshiftDrift compares what ARC holds with the wanted configuration
// and status: each difference is drift, lists in ARC's order, an absent and
// an empty list alike.
func TestAutoshiftDrift(t *testing.T) {
	const lb, alarm = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-autoshift-outcome"
	want := blueprint.AutoshiftProps{LoadBalancerKey: blueprint.KeyLoadBalancer, AlarmKey: blueprint.KeyOutcomeAlarm,
		AutoshiftSpec: blueprint.AutoshiftSpec{Enabled: true, BlockedWindows: []string{"Mon:09:00-Mon:17:00", "Tue:09:00-Tue:17:00"}}}
	p := blueprint.Part{Kind: blueprint.KindAutoshift, Key: blueprint.KeyAutoshift, Name: "web", Props: want}
	same := func() *arczonalshift.GetManagedResourceOutput {
		cfg := practiceConfig(want, alarm)
		return &arczonalshift.GetManagedResourceOutput{ZonalAutoshiftStatus: zstypes.ZonalAutoshiftStatusEnabled, PracticeRunConfiguration: &cfg}
	}
	cases := map[string]struct {
		change func(*arczonalshift.GetManagedResourceOutput)
		drift  string
	}{
		"Same":           {func(*arczonalshift.GetManagedResourceOutput) {}, ""},
		"EmptyDatesList": {func(o *arczonalshift.GetManagedResourceOutput) { o.PracticeRunConfiguration.BlockedDates = []string{} }, ""},
		"Disabled": {func(o *arczonalshift.GetManagedResourceOutput) {
			o.ZonalAutoshiftStatus = zstypes.ZonalAutoshiftStatusDisabled
		},
			"zonal autoshift DISABLED, want ENABLED"},
		"WindowsReordered": {func(o *arczonalshift.GetManagedResourceOutput) {
			o.PracticeRunConfiguration.BlockedWindows = []string{"Tue:09:00-Tue:17:00", "Mon:09:00-Mon:17:00"}
		}, "practice run blocked windows"},
		"OtherOutcomeAlarm": {func(o *arczonalshift.GetManagedResourceOutput) {
			o.PracticeRunConfiguration.OutcomeAlarms[0].AlarmIdentifier = aws.String(alarm + "-other")
		}, "practice run outcome alarms"},
		"BlockingAlarmAdded": {func(o *arczonalshift.GetManagedResourceOutput) {
			o.PracticeRunConfiguration.BlockingAlarms = []zstypes.ControlCondition{{AlarmIdentifier: aws.String(alarm), Type: zstypes.ControlConditionTypeCloudwatch}}
		}, "practice run blocking alarms"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			have := same()
			tc.change(have)
			got := strings.Join(autoshiftObservation(p, lb, alarm, have).Drift, "; ")
			if (tc.drift == "") != (got == "") || !strings.Contains(got, tc.drift) {
				t.Errorf("drift %q, want %q", got, tc.drift)
			}
		})
	}
}

// TestOutcomeAlarmDrift: the alarm as PutMetricAlarm writes it is no drift;
// any setting changed outside is.
func TestOutcomeAlarmDrift(t *testing.T) {
	const suffix = "app/web/1"
	props := blueprint.OutcomeAlarmProps{LoadBalancerKey: blueprint.KeyLoadBalancer, EvaluationPeriods: 2}
	p := blueprint.Part{Kind: blueprint.KindOutcomeAlarm, Key: blueprint.KeyOutcomeAlarm, Name: "web-autoshift-outcome", Props: props,
		Tags: map[string]string{blueprint.TagStack: "web"}}
	written := func() *cwtypes.MetricAlarm {
		in := outcomeAlarmInput(p, props, suffix)
		return &cwtypes.MetricAlarm{AlarmName: in.AlarmName, AlarmArn: aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-autoshift-outcome"),
			Namespace: in.Namespace, MetricName: in.MetricName, Dimensions: in.Dimensions, Statistic: in.Statistic, Period: in.Period,
			EvaluationPeriods: in.EvaluationPeriods, DatapointsToAlarm: in.DatapointsToAlarm, Threshold: in.Threshold,
			ComparisonOperator: in.ComparisonOperator, TreatMissingData: in.TreatMissingData}
	}
	if d := alarmObservation(p, written(), suffix).Drift; len(d) != 0 {
		t.Errorf("alarm as written: drift %q", d)
	}
	for name, change := range map[string]func(*cwtypes.MetricAlarm){
		"Threshold":         func(a *cwtypes.MetricAlarm) { a.Threshold = aws.Float64(10) },
		"EvaluationPeriods": func(a *cwtypes.MetricAlarm) { a.EvaluationPeriods = aws.Int32(5) },
		"Metric":            func(a *cwtypes.MetricAlarm) { a.MetricName = aws.String("HTTPCode_Target_5XX_Count") },
		"OtherLoadBalancer": func(a *cwtypes.MetricAlarm) { a.Dimensions[0].Value = aws.String("app/other/2") },
		"MissingData":       func(a *cwtypes.MetricAlarm) { a.TreatMissingData = aws.String("breaching") },
	} {
		a := written()
		change(a)
		if d := alarmObservation(p, a, suffix).Drift; len(d) != 1 {
			t.Errorf("%s changed: drift %q, want one entry", name, d)
		}
	}
}

// TestAutoshiftCreateFailureLeavesItForRollback: ARC refuses the status
// after the practice run configuration was made. Create returns the
// configuration with the error, so the rollback's delete removes it.
func TestAutoshiftCreateFailureLeavesItForRollback(t *testing.T) {
	arc, err := zonalshift.Start(endpoint, endpoint, zonalshift.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(arc.Stop)
	c, rec := recordedCloudTo(t, arc.URL)
	var refuse atomic.Bool
	rec.Before = func(call proxy.Call, w http.ResponseWriter, _ *http.Request) bool {
		if !refuse.Load() || call.Action != "UpdateZonalAutoshiftConfiguration" {
			return false
		}
		w.Header().Set("X-Amzn-Errortype", "ValidationException")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"message":"refused by the test","reason":"InvalidStatus"}`)
		return true
	}
	ctx := t.Context()
	spec := fullSpec("autoshift-rb", env.Network(t, testConfig(t, nil)))
	spec.EnableZonalShift = true
	spec.Autoshift = &blueprint.AutoshiftSpec{Enabled: true}
	bp := blueprint.Build(spec)
	refs := createInOrder(ctx, t, c, bp, []string{blueprint.KeyALBSecurityGroup, blueprint.KeyLoadBalancer, blueprint.KeyOutcomeAlarm}, nil)
	part, _ := bp.Part(blueprint.KeyAutoshift)
	refuse.Store(true)
	made, err := c.Create(ctx, part, refs)
	refuse.Store(false)
	if err == nil || !strings.Contains(err.Error(), "refused by the test") {
		t.Fatalf("create: %v, want the refusal", err)
	}
	if err := c.Delete(ctx, part, made); err != nil {
		t.Fatalf("rollback delete: %v", err)
	}
	lbARN := refs[blueprint.KeyLoadBalancer].ARN
	if cfg, ok, _ := arc.Emulator.Practice(lbARN); ok {
		t.Errorf("practice run configuration left after the rollback: %+v", cfg)
	}
}
