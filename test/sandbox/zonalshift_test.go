package sandbox_test

// Shifting traffic away from a zone: a load balancer node per zone and
// zonal autoshift with its practice runs.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// TestLoadBalancerNodePerZone: the load balancer's DNS name answers a node
// per enabled zone, rotating; a zonal shift takes its zone's node out of
// the answers and its end puts it back; a zone's power loss leaves its node
// in the answers but dead (a client that resolved to it gets nothing, while
// the other zone's node serves), until the power returns.
func TestLoadBalancerNodePerZone(t *testing.T) {
	ctx := context.Background()
	sb, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "nodes", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1})
	c := sb.Client()
	ids := s.waitHealthy(2)
	lbURL, err := url.Parse(s.url())
	if err != nil {
		t.Fatal(err)
	}
	port := lbURL.Port()
	dns := s.dnsName()
	nodes := map[string]string{} // zone -> address
	env.Until(t, "a node per zone", 30*time.Second, func() (bool, string) {
		st, err := c.State(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, n := range st.LoadBalancers[0].Nodes {
			nodes[n.Zone] = n.Address
		}
		return len(nodes) == 2, fmt.Sprintf("%+v", st.LoadBalancers)
	})
	ip := func(zone string) string { h, _, _ := net.SplitHostPort(nodes[zone]); return h }
	resolve := func() []string {
		t.Helper()
		a, err := c.Resolve(ctx, dns)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	first, second := resolve(), resolve()
	if !slices.Equal(sorted(first), sorted([]string{ip("us-east-1a"), ip("us-east-1b")})) || first[0] == second[0] {
		t.Errorf("two answers for %s: %v then %v, want both zones' nodes, rotating", dns, first, second)
	}
	viaDNS := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: c.DialContext, DisableKeepAlives: true}}
	for range 2 { // two connections, each resolving the name anew
		if code := status(viaDNS, "http://"+net.JoinHostPort(dns, port)+"/health"); code != 200 {
			t.Fatalf("GET through the DNS name: %d, want 200", code)
		}
	}

	// A zonal shift: the zone's node leaves the answers, and comes back.
	s.enableZonalShift()
	arc := arczonalshift.NewFromConfig(s.cfg)
	shift, err := arc.StartZonalShift(ctx, &arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(s.lbARN),
		AwayFrom: aws.String(s.zoneID("us-east-1b")), ExpiresIn: aws.String("1h"), Comment: aws.String("node test")})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := resolve(); !slices.Equal(got, []string{ip("us-east-1a")}) {
			t.Errorf("shifted away from us-east-1b, %s answers %v, want [%s]", dns, got, ip("us-east-1a"))
		}
	}
	if _, err := arc.CancelZonalShift(ctx, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: shift.ZonalShiftId}); err != nil {
		t.Fatal(err)
	}
	if got := resolve(); len(got) != 2 {
		t.Errorf("after the shift, %s answers %v, want both nodes", dns, got)
	}

	// Power loss: the node stays in the answers, dead.
	if err := c.ImpairZone(ctx, "us-east-1b"); err != nil {
		t.Fatal(err)
	}
	if got := resolve(); len(got) != 2 {
		t.Errorf("with us-east-1b without power, %s answers %v, want both nodes still", dns, got)
	}
	dead := s.instances("us-east-1b")[0]
	env.Until(t, "the dead zone's target to leave service", 60*time.Second, func() (bool, string) {
		evs, err := c.Events(ctx)
		if err != nil {
			return false, err.Error()
		}
		impaired := slices.IndexFunc(evs, func(e sandbox.Event) bool { return e.Kind == sandbox.EventZoneImpaired })
		if impaired < 0 {
			return false, "no impairment in the event log"
		}
		out := slices.ContainsFunc(evs[impaired:], func(e sandbox.Event) bool {
			return e.Kind == sandbox.EventTarget && e.Target == dead && e.State == "unhealthy"
		})
		return out, fmt.Sprintf("targets %v", ids)
	})
	short := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if code := status(short, "http://"+nodes["us-east-1a"]+"/health"); code != 200 {
		t.Errorf("through us-east-1a's node: %d, want 200", code)
	}
	if code := status(short, "http://"+nodes["us-east-1b"]+"/health"); code != 0 {
		t.Errorf("through the powerless us-east-1b's node: %d, want no answer", code)
	}
	if err := c.RecoverZone(ctx, "us-east-1b"); err != nil {
		t.Fatal(err)
	}
	if code := status(short, "http://"+nodes["us-east-1b"]+"/health"); code != 200 {
		t.Errorf("through us-east-1b's node after the power returned: %d, want 200", code)
	}
}

// status is the answer's status code, 0 for none.
func status(c *http.Client, u string) int {
	resp, err := c.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// TestAutoshiftAndPracticeRun: with zonal autoshift DISABLED an impaired
// zone keeps its node in the DNS answers and no autoshift starts; a
// practice run on request takes the zone's node out of the answers and
// ends SUCCEEDED while the outcome alarm is OK, FAILED (cancelled) once
// the alarm is in ALARM; with autoshift ENABLED an impairment starts an
// autoshift that takes the node out with no call from the customer, and
// recovery completes it. Each step is in the event log.
func TestAutoshiftAndPracticeRun(t *testing.T) {
	ctx := context.Background()
	// Ten emulated minutes (30 s real): long enough that the watcher,
	// reading the alarm every tick, always sees it before the run's end.
	sb, s := sandboxStack(t, sandbox.Options{PracticeRunMinutes: 10}, stackSpec{name: "autoshift", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1})
	c := sb.Client()
	s.waitHealthy(2)
	s.enableZonalShift()
	cw := env.CloudWatch(s.cfg)
	if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("autoshift-outcome"), Namespace: aws.String("AWS/ApplicationELB"),
		MetricName: aws.String("HTTPCode_ELB_5XX_Count"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(10), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}); err != nil {
		t.Fatal(err)
	}
	setAlarm := func(state cwtypes.StateValue) {
		t.Helper()
		if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("autoshift-outcome"), StateValue: state, StateReason: aws.String("test")}); err != nil {
			t.Fatal(err)
		}
	}
	setAlarm(cwtypes.StateValueOk)
	alarms, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"autoshift-outcome"}})
	if err != nil || len(alarms.MetricAlarms) != 1 {
		t.Fatalf("the outcome alarm: %v %+v", err, alarms)
	}
	arc := arczonalshift.NewFromConfig(s.cfg)
	if _, err := arc.CreatePracticeRunConfiguration(ctx, &arczonalshift.CreatePracticeRunConfigurationInput{ResourceIdentifier: aws.String(s.lbARN),
		OutcomeAlarms: []zstypes.ControlCondition{{Type: zstypes.ControlConditionTypeCloudwatch, AlarmIdentifier: alarms.MetricAlarms[0].AlarmArn}}}); err != nil {
		t.Fatal(err)
	}
	awayID := s.zoneID("us-east-1b")

	// inDNS is the zones whose node the load balancer's name answers.
	inDNS := func() []string {
		t.Helper()
		st, err := c.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var zones []string
		for _, lb := range st.LoadBalancers {
			for _, n := range lb.Nodes {
				if lb.ARN == s.lbARN && n.InDNS {
					zones = append(zones, n.Zone)
				}
			}
		}
		return sorted(zones)
	}
	both, oneA := []string{"us-east-1a", "us-east-1b"}, []string{"us-east-1a"}
	env.Until(t, "a node per zone in DNS", 30*time.Second, func() (bool, string) { z := inDNS(); return slices.Equal(z, both), fmt.Sprint(z) })
	autoshifts := func(status zstypes.AutoshiftExecutionStatus) []zstypes.AutoshiftSummary {
		t.Helper()
		out, err := arc.ListAutoshifts(ctx, &arczonalshift.ListAutoshiftsInput{Status: status})
		if err != nil {
			t.Fatal(err)
		}
		return out.Items
	}
	events := func(kind string) []sandbox.Event {
		t.Helper()
		evs, err := c.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sandbox.EventsOf(evs, kind, func(e sandbox.Event) bool { return slices.Contains(e.IDs, s.lbARN) })
	}

	// Autoshift DISABLED: an impairment shifts nothing.
	if err := c.ImpairZone(ctx, "us-east-1b"); err != nil {
		t.Fatal(err)
	}
	if got := autoshifts(""); len(got) != 0 {
		t.Errorf("autoshifts with zonal autoshift DISABLED: %+v, want none", got)
	}
	if z := inDNS(); !slices.Equal(z, both) {
		t.Errorf("impaired, autoshift DISABLED: DNS answers %v, want both zones", z)
	}
	if err := c.RecoverZone(ctx, "us-east-1b"); err != nil {
		t.Fatal(err)
	}

	// A practice run while the outcome alarm is OK: shifted, then SUCCEEDED.
	practice := func() string {
		t.Helper()
		run, err := arc.StartPracticeRun(ctx, &arczonalshift.StartPracticeRunInput{ResourceIdentifier: aws.String(s.lbARN), AwayFrom: aws.String(awayID), Comment: aws.String("on request")})
		if err != nil {
			t.Fatal(err)
		}
		if z := inDNS(); !slices.Equal(z, oneA) {
			t.Errorf("during practice run: DNS answers %v, want %v", z, oneA)
		}
		return aws.ToString(run.ZonalShiftId)
	}
	outcome := func(id string, status zstypes.ZonalShiftStatus) func() (bool, string) {
		return func() (bool, string) {
			list, err := arc.ListZonalShifts(ctx, &arczonalshift.ListZonalShiftsInput{ResourceIdentifier: aws.String(s.lbARN), Status: status})
			if err != nil {
				return false, err.Error()
			}
			for _, it := range list.Items {
				if aws.ToString(it.ZonalShiftId) == id {
					return true, string(it.PracticeRunOutcome)
				}
			}
			return false, fmt.Sprintf("%s not %s yet", id, status)
		}
	}
	wantOutcome := func(id string, status zstypes.ZonalShiftStatus, want zstypes.PracticeRunOutcome) {
		t.Helper()
		env.Until(t, "practice run "+id+" "+string(status), 120*time.Second, func() (bool, string) { ok, _ := outcome(id, status)(); return ok, "" })
		if _, got := outcome(id, status)(); got != string(want) {
			t.Errorf("practice run %s %s with outcome %s, want %s", id, status, got, want)
		}
		env.Until(t, "the practice run's end in the event log", 30*time.Second, func() (bool, string) {
			ended := events(sandbox.EventPracticeRunEnded)
			return slices.ContainsFunc(ended, func(e sandbox.Event) bool { return contains(e.Reason, id, string(want)) }), fmt.Sprintf("%+v", ended)
		})
		if z := inDNS(); !slices.Equal(z, both) {
			t.Errorf("after practice run %s: DNS answers %v, want both zones", id, z)
		}
	}
	wantOutcome(practice(), zstypes.ZonalShiftStatusExpired, zstypes.PracticeRunOutcomeSucceeded)

	// The outcome alarm goes to ALARM during a practice run: FAILED.
	failing := practice()
	setAlarm(cwtypes.StateValueAlarm)
	wantOutcome(failing, zstypes.ZonalShiftStatusCanceled, zstypes.PracticeRunOutcomeFailed)
	setAlarm(cwtypes.StateValueOk)
	if n := len(events(sandbox.EventPracticeRun)); n != 2 {
		t.Errorf("%d practice runs started in the event log, want 2", n)
	}

	// Autoshift ENABLED: the impairment shifts traffic away by itself.
	if _, err := arc.UpdateZonalAutoshiftConfiguration(ctx, &arczonalshift.UpdateZonalAutoshiftConfigurationInput{ResourceIdentifier: aws.String(s.lbARN),
		ZonalAutoshiftStatus: zstypes.ZonalAutoshiftStatusEnabled}); err != nil {
		t.Fatal(err)
	}
	if err := c.ImpairZone(ctx, "us-east-1b"); err != nil {
		t.Fatal(err)
	}
	if got := autoshifts(zstypes.AutoshiftExecutionStatusActive); len(got) != 1 || aws.ToString(got[0].AwayFrom) != awayID {
		t.Fatalf("autoshifts: %+v, want one ACTIVE away from %s", got, awayID)
	}
	mr, err := arc.GetManagedResource(ctx, &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(s.lbARN)})
	if err != nil || len(mr.Autoshifts) != 1 || mr.Autoshifts[0].AppliedStatus != zstypes.AutoshiftAppliedStatusApplied {
		t.Fatalf("managed resource during the autoshift: %v %+v", err, mr)
	}
	if z := inDNS(); !slices.Equal(z, oneA) {
		t.Errorf("autoshift: DNS answers %v, want %v", z, oneA)
	}
	lbURL, err := url.Parse(s.url())
	if err != nil {
		t.Fatal(err)
	}
	viaDNS := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: c.DialContext, DisableKeepAlives: true}}
	name := "http://" + net.JoinHostPort(s.dnsName(), lbURL.Port()) + "/health"
	env.Until(t, "the name to serve from us-east-1a", 60*time.Second, func() (bool, string) { code := status(viaDNS, name); return code == 200, fmt.Sprint(code) })
	if len(events(sandbox.EventAutoshift)) != 1 {
		t.Errorf("autoshifts started in the event log: %+v, want 1", events(sandbox.EventAutoshift))
	}
	if err := c.RecoverZone(ctx, "us-east-1b"); err != nil {
		t.Fatal(err)
	}
	if got := autoshifts(zstypes.AutoshiftExecutionStatusCompleted); len(got) != 1 || got[0].EndTime == nil {
		t.Errorf("after recovery, completed autoshifts: %+v, want one with its end", got)
	}
	if z := inDNS(); !slices.Equal(z, both) {
		t.Errorf("after recovery: DNS answers %v, want both zones", z)
	}
	if len(events(sandbox.EventAutoshiftEnded)) != 1 {
		t.Errorf("autoshift ends in the event log: %+v, want 1", events(sandbox.EventAutoshiftEnded))
	}
}

// contains reports whether s holds every part.
func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
