package scenario

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

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
