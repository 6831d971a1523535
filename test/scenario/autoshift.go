package scenario

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// StateReader is a Terraform root that can refresh its state and read the
// stack's attributes from it (the root's hawebapp_stack). The autoshift
// scenario needs it: what the stack says about a shift AWS started is in
// its computed attributes after a refresh.
type StateReader interface {
	RefreshedStack(ctx context.Context) (map[string]any, error)
}

// AutoshiftResult is what the autoshift scenario measured, and the
// requirements it saw broken (Failures; none: the run passed).
type AutoshiftResult struct {
	Zone, ZoneID string
	// Budget is the failure budget, stated before the load.
	Budget string
	Rate   float64
	// ToAutoshift is from the impairment taking effect to the autoshift
	// applied (the zone's node out of DNS, its instances out of service).
	ToAutoshift time.Duration
	// StartedBy is active_shift_started_by after a refresh during the
	// autoshift.
	StartedBy string
	// Requests: sent and failed in all; failed before the autoshift applied
	// (measured) and after it (budget 0) of SentAfter, until the recovery.
	Sent, Failed, FailedBefore, FailedAfter, SentAfter int
	// The practice run's outcome, the requests sent while it was applied
	// and those of them that failed (budget 0), the outcome alarm's states
	// seen while it ran.
	PracticeOutcome              string
	PracticeSent, PracticeFailed int
	AlarmStates                  []string
	Failures                     []string
}

func (r *AutoshiftResult) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// Summary is the figures on one line.
func (r *AutoshiftResult) Summary() string {
	return fmt.Sprintf("zone %s: autoshift applied %s after the impairment, no apply (started by %q); failed %d before it, %d after (of %d); "+
		"practice run %s, failed %d of %d sent while applied; outcome alarm %v",
		r.Zone, r.ToAutoshift.Round(100*time.Millisecond), r.StartedBy, r.FailedBefore, r.FailedAfter, r.SentAfter,
		r.PracticeOutcome, r.PracticeFailed, r.PracticeSent, r.AlarmStates)
}

// Autoshift runs the zonal autoshift scenario on a stack with
// zonal_autoshift on (sandbox only: on AWS only AWS declares a zone
// impaired). Under load through the load balancer's per-zone nodes, a zone
// loses power (ZoneImpairment's fault); AWS, played by the sandbox, starts
// an autoshift away from it with no apply. Required: no request sent once
// the autoshift is applied fails or reaches the zone; a refresh shows
// active_shift_started_by = "zonal_autoshift"; on recovery the autoshift
// COMPLETES, the zone serves again and the plan is empty. Then a practice
// run on request: it shifts away and back, ends SUCCEEDED with the stack's
// outcome alarm never in ALARM, and no request sent while it is applied
// fails or reaches the zone.
func (s *Stack) Autoshift(ctx context.Context, o Options) (res *AutoshiftResult, err error) {
	res = &AutoshiftResult{Zone: o.Zone}
	if s.Sandbox == nil {
		return res, errors.New("zonal autoshift: needs the sandbox (on AWS only AWS declares a zone impaired)")
	}
	state, ok := s.Terraform.(StateReader)
	if !ok {
		return res, errors.New("zonal autoshift: the stack's Terraform root cannot read its state")
	}
	res.Zone = s.zoneOr(res.Zone)
	zone, sb := res.Zone, s.Sandbox.Client()
	if err := s.WaitSteady(ctx, o.Recover); err != nil {
		return res, err
	}
	attrs, err := state.RefreshedStack(ctx)
	if err != nil {
		return res, err
	}
	alarm, _ := attrs["autoshift_alarm_name"].(string)
	if alarm == "" {
		return res, errors.New("zonal autoshift: the stack has no autoshift_alarm_name: zonal_autoshift is not set")
	}
	if res.ZoneID, err = s.zoneID(ctx, zone); err != nil {
		return res, err
	}
	l, err := s.budgetedLoad(ctx, zone, o, "the zonal autoshift away from "+zone, &res.Rate, &res.Budget, func(l zoneLoad) string {
		return fmt.Sprintf("0 failed requests among those sent once the autoshift has taken the zone's node %s out of %s's DNS answers "+
			"and its instances out of service, until the zone recovers; the same while the practice run is applied; those sent before are measured: "+
			"1 in %d connections resolves to the zone's node until the shift; a client gives up on a request after %s",
			l.node, l.dns, len(s.Groups), o.ClientTimeout)
	})
	if err != nil {
		return res, err
	}
	dns, node := l.dns, l.node

	p, asked, err := l.startFault(ctx, s, sb, "zonal autoshift", o, func(ctx context.Context) error { return sb.ImpairZone(ctx, zone) })
	if err != nil {
		return res, err
	}
	defer p.stopIfRunning()
	recovered := false
	defer func() {
		if !recovered {
			err = errors.Join(err, sb.RecoverZone(context.WithoutCancel(ctx), zone))
		}
	}()
	hit, err := s.event(ctx, sandbox.EventZoneImpaired, zone, asked, o.Recover)
	if err != nil {
		return res, err
	}
	if _, err := s.event(ctx, sandbox.EventAutoshift, zone, hit, o.Recover); err != nil {
		return res, err
	}
	shifted, err := s.shiftApplied(ctx, dns, node, zone, o.Recover)
	if err != nil {
		return res, err
	}
	res.ToAutoshift = shifted.Sub(hit)
	s.logf("autoshift away from %s applied %s after the impairment, with no apply", zone, res.ToAutoshift.Round(100*time.Millisecond))
	if err := s.autoshiftIs(ctx, res, zstypes.AutoshiftExecutionStatusActive); err != nil {
		return res, err
	}
	if attrs, err = state.RefreshedStack(ctx); err != nil {
		return res, err
	}
	res.StartedBy, _ = attrs["active_shift_started_by"].(string)
	if away, _ := attrs["active_shift_away_from"].(string); res.StartedBy != "zonal_autoshift" || away != res.ZoneID {
		res.fail("after a refresh during the autoshift: active_shift_started_by %q away from %q, want \"zonal_autoshift\" away from %s", res.StartedBy, away, res.ZoneID)
	}
	if err := sleepUntil(ctx, time.Now().Add(o.Tail)); err != nil {
		return res, err
	}

	recovering := time.Now()
	recovered = true
	if err := sb.RecoverZone(ctx, zone); err != nil {
		return res, err
	}
	if _, err := s.event(ctx, sandbox.EventAutoshiftEnded, zone, recovering, o.Recover); err != nil {
		return res, err
	}
	if err := s.autoshiftIs(ctx, res, zstypes.AutoshiftExecutionStatusCompleted); err != nil {
		return res, err
	}
	if err := s.WaitSteady(ctx, o.Recover); err != nil {
		return res, err
	}
	ips, err := sb.Resolve(ctx, dns)
	if err != nil {
		return res, err
	}
	if !slices.Contains(ips, hostOf(node)) {
		res.fail("after the recovery %s answers %v, not %s's node %s", dns, ips, zone, node)
	}
	back := time.Now()
	changes, err := s.Terraform.Changes(ctx)
	if err != nil {
		return res, err
	}
	if changes {
		res.fail("the plan after the autoshift has changes, want none: an autoshift is not drift")
	}

	pr, err := s.practiceRun(ctx, res, alarm, dns, node, zone, o.Recover)
	if err != nil {
		return res, err
	}
	out, err := p.finish(ctx, o.Settle)
	if err != nil {
		return res, err
	}
	res.Sent, res.Failed = out.Sent, out.Failed
	res.tally(out.Requests, shifted, recovering, pr)
	if got := soak.ZonesServing(sentBefore(out.Requests, pr.start), back); !slices.Contains(got, zone) {
		res.fail("zone %s serves nothing after its recovery (zones serving %v)", zone, got)
	}
	if got := soak.ZonesServing(out.Requests, pr.ended); !slices.Contains(got, zone) {
		res.fail("zone %s serves nothing after the practice run (zones serving %v)", zone, got)
	}
	s.logf("zonal autoshift figures: %s", res.Summary())
	return res, nil
}

// tally counts the failures before the autoshift applied (measured) and
// those after it until the recovery and while the practice run was applied
// (none may fail nor reach the zone).
func (r *AutoshiftResult) tally(reqs []soak.Request, shifted, recovering time.Time, pr practiceSeen) {
	for _, q := range reqs {
		bad := q.Outcome != soak.OK
		switch {
		case q.Sent.Before(shifted):
			if bad {
				r.FailedBefore++
			}
		case q.Sent.Before(recovering):
			r.SentAfter++
			if bad {
				r.FailedAfter++
				r.fail("request %d sent +%s after the autoshift (node %s) failed: %s", q.Seq, q.Sent.Sub(shifted).Round(100*time.Millisecond), q.Node, q.Reason)
			}
			if q.Zone == r.Zone {
				r.fail("request %d sent +%s after the autoshift was served in %s (%s)", q.Seq, q.Sent.Sub(shifted).Round(100*time.Millisecond), r.Zone, q.Instance)
			}
		case !q.Sent.Before(pr.applied) && q.Sent.Before(pr.ended):
			r.PracticeSent++
			if bad {
				r.PracticeFailed++
				r.fail("request %d sent +%s into the practice run (node %s) failed: %s", q.Seq, q.Sent.Sub(pr.applied).Round(100*time.Millisecond), q.Node, q.Reason)
			}
			if q.Zone == r.Zone && q.Sent.Before(pr.expiry) {
				r.fail("request %d sent +%s into the practice run was served in %s (%s)", q.Seq, q.Sent.Sub(pr.applied).Round(100*time.Millisecond), r.Zone, q.Instance)
			}
		}
	}
	if r.SentAfter == 0 || r.PracticeSent == 0 {
		r.fail("%d requests sent during the autoshift, %d during the practice run: nothing shows the shifts keep clients served", r.SentAfter, r.PracticeSent)
	}
}

// autoshiftIs checks that ARC lists an autoshift away from the zone with
// that status.
func (s *Stack) autoshiftIs(ctx context.Context, res *AutoshiftResult, status zstypes.AutoshiftExecutionStatus) error {
	out, err := arczonalshift.NewFromConfig(s.AWS).ListAutoshifts(ctx, &arczonalshift.ListAutoshiftsInput{Status: status})
	if err != nil {
		return fmt.Errorf("listing ARC's autoshifts: %w", err)
	}
	if !slices.ContainsFunc(out.Items, func(a zstypes.AutoshiftSummary) bool { return aws.ToString(a.AwayFrom) == res.ZoneID }) {
		res.fail("ARC lists no %s autoshift away from %s (%s): %+v", status, res.Zone, res.ZoneID, out.Items)
	}
	return nil
}

// zoneID is the zone's ID (ARC names zones by ID).
func (s *Stack) zoneID(ctx context.Context, zone string) (string, error) {
	out, err := ec2.NewFromConfig(s.AWS).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{zone}})
	if err != nil || len(out.AvailabilityZones) != 1 {
		return "", fmt.Errorf("the ID of zone %s: %v", zone, err)
	}
	return aws.ToString(out.AvailabilityZones[0].ZoneId), nil
}

func sentBefore(reqs []soak.Request, at time.Time) []soak.Request {
	var out []soak.Request
	for _, q := range reqs {
		if q.Sent.Before(at) {
			out = append(out, q)
		}
	}
	return out
}

// practiceSeen is when the practice run was asked for, seen applied (the
// zone's node out of DNS), last seen still active by ARC (expiry: it was
// active all along until then), and seen ended. Not ARC's expiryTime: the
// sandbox's ARC runs on the emulated clock.
type practiceSeen struct{ start, applied, expiry, ended time.Time }

// practiceRun starts an ARC practice run on request away from zone and
// waits for its end, reading the stack's outcome alarm on every poll: the
// run must end SUCCEEDED with the alarm never in ALARM, and the zone's node
// must be back in DNS after it.
func (s *Stack) practiceRun(ctx context.Context, res *AutoshiftResult, alarm, dns, node, zone string, within time.Duration) (practiceSeen, error) {
	arc := arczonalshift.NewFromConfig(s.AWS)
	cw := env.CloudWatch(s.AWS)
	lb := aws.String(s.LoadBalancerARN)
	pr := practiceSeen{start: time.Now()}
	run, err := arc.StartPracticeRun(ctx, &arczonalshift.StartPracticeRunInput{ResourceIdentifier: lb, AwayFrom: aws.String(res.ZoneID),
		Comment: aws.String("HA suite: practice run on request")})
	if err != nil {
		return pr, fmt.Errorf("starting a practice run away from %s: %w", zone, err)
	}
	length := aws.ToTime(run.ExpiryTime).Sub(aws.ToTime(run.StartTime))
	id := aws.ToString(run.ZonalShiftId)
	if pr.applied, err = s.shiftApplied(ctx, dns, node, zone, within); err != nil {
		return pr, err
	}
	pr.expiry = pr.applied
	s.logf("practice run %s applied %s after the request; it lasts %s of ARC's (emulated) time", id, pr.applied.Sub(pr.start).Round(100*time.Millisecond),
		length.Round(time.Second))
	seen := map[string]bool{}
	err = env.UntilE(ctx, "the end of practice run "+id, within, func() (bool, string) {
		a, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarm}})
		if err != nil {
			return false, err.Error()
		}
		if len(a.MetricAlarms) != 1 {
			return false, fmt.Sprintf("outcome alarm %s: %d alarms", alarm, len(a.MetricAlarms))
		}
		seen[string(a.MetricAlarms[0].StateValue)] = true
		asked := time.Now()
		for _, st := range []zstypes.ZonalShiftStatus{zstypes.ZonalShiftStatusExpired, zstypes.ZonalShiftStatusCanceled} {
			out, err := arc.ListZonalShifts(ctx, &arczonalshift.ListZonalShiftsInput{ResourceIdentifier: lb, Status: st})
			if err != nil {
				return false, err.Error()
			}
			for _, z := range out.Items {
				if aws.ToString(z.ZonalShiftId) == id {
					res.PracticeOutcome = string(z.PracticeRunOutcome)
					return true, ""
				}
			}
		}
		pr.expiry = asked
		return false, "still active"
	})
	pr.ended = time.Now()
	for st := range seen {
		res.AlarmStates = append(res.AlarmStates, st)
	}
	slices.Sort(res.AlarmStates)
	if err != nil {
		return pr, err
	}
	s.logf("practice run %s ended %s after the request, outcome %s; outcome alarm %s seen %v", id, pr.ended.Sub(pr.start).Round(100*time.Millisecond),
		res.PracticeOutcome, alarm, res.AlarmStates)
	if res.PracticeOutcome != string(zstypes.PracticeRunOutcomeSucceeded) {
		res.fail("practice run %s ended with outcome %q, want SUCCEEDED", id, res.PracticeOutcome)
	}
	if seen["ALARM"] {
		res.fail("the outcome alarm %s was in ALARM during the practice run", alarm)
	}
	// The traffic returns: the node is back once ARC's expiry reached the
	// sandbox's DNS.
	return pr, env.UntilE(ctx, zone+"'s node back in DNS after the practice run", within, func() (bool, string) {
		ips, err := s.Sandbox.Client().Resolve(ctx, dns)
		if err != nil {
			return false, err.Error()
		}
		return slices.Contains(ips, hostOf(node)), fmt.Sprintf("%s answers %v", dns, ips)
	})
}
