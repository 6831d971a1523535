package stack_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// overlapBudget bounds how long the first surviving group's raise is held
// for the other's to arrive. A run where the raises overlap never waits for
// it; one where they run one at a time fails when it ends.
const overlapBudget = 2 * time.Minute

// TestAccStack_evacuateZoneThatIsDown evacuates a zone that lost power: its
// instance is unhealthy and its launches fail with
// InsufficientInstanceCapacity (answered for its group's scaling activities,
// as AWS shows a refused launch). Asserted from the order of the calls: the
// evacuated group's suspension and the zonal shift are the apply's first
// changes, before any wait and before the surviving groups are raised; the
// evacuated group is never waited on (its scaling activities are never
// read); the surviving groups' raises overlap. The zone then returns with
// every process resumed.
func TestAccStack_evacuateZoneThatIsDown(t *testing.T) {
	if accRecorder == nil || accZonalShift == nil {
		t.Skip("injects a zone outage through the emulator's recorder: not run against real AWS (HAWEBAPP_ACC_REAL_AWS)")
	}
	c := newClients(t)
	arc := arczonalshift.NewFromConfig(c.cfg)
	args := defaultArgs(stackName(), env.StackNetwork(t, c.cfg))
	args.withDB = false
	evac := args
	evac.extra = fmt.Sprintf("evacuate_zones = [%q]", evacuated)
	down := args.name + "-" + evacuated
	surviving := []string{args.name + "-us-east-1a", args.name + "-us-east-1c"}
	log := &callLog{}
	t.Cleanup(func() { accRecorder.Before = nil })
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config()},
		{
			PreConfig: func() {
				setZoneHealth(t, c, down, "Unhealthy")
				accRecorder.Before = log.hook(down, surviving)
			},
			Config: evac.config(),
			Check: resource.ComposeAggregateTestCheckFunc(
				func(*terraform.State) error {
					accRecorder.Before = nil
					log.timings(t)
					return log.check(down, surviving)
				},
				checkShift(c, arc, args.name, evacuated, 72*time.Hour),
				checkSuspended(c, down, []string{"AlarmNotification", "Launch", "ReplaceUnhealthy"}),
				checkZoneGroup(c, args.name, "us-east-1a", 2, 2, 2),
				checkZoneGroup(c, args.name, "us-east-1c", 1, 1, 1),
			),
		},
		{
			PreConfig: func() { setZoneHealth(t, c, down, "Healthy") },
			Config:    args.config(),
			Check: resource.ComposeAggregateTestCheckFunc(
				checkNoShift(c, arc, args.name),
				checkSuspended(c, down, nil),
				resource.TestCheckNoResourceAttr(addr, "evacuation_expires_at"),
			),
		},
		{Config: args.config(), PlanOnly: true},
	})
}

// setZoneHealth sets the health of every instance of the group, as ELB
// health checks do when a zone loses power (and again when it is back).
func setZoneHealth(t *testing.T, c clients, group, health string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		t.Fatalf("group %s: %v", group, err)
	}
	for _, inst := range out.AutoScalingGroups[0].Instances {
		if _, err := c.asg.SetInstanceHealth(ctx, &autoscaling.SetInstanceHealthInput{InstanceId: inst.InstanceId, HealthStatus: aws.String(health)}); err != nil {
			t.Fatal(err)
		}
	}
}

// loggedCall is one call of the apply: its action and the group it names.
type loggedCall struct{ action, group string }

func (l loggedCall) String() string { return l.action + "(" + l.group + ")" }

// callLog records the apply's calls in the order they reach the emulator,
// answers the down zone's scaling activities with a refused launch, and
// holds the first surviving group's raise until the other's arrives.
type callLog struct {
	mu      sync.Mutex
	calls   []loggedCall
	times   []time.Time
	arrived map[string]chan struct{}
	once    sync.Once
	overlap error
}

func (l *callLog) hook(down string, surviving []string) func(recorder.Call, http.ResponseWriter, *http.Request) bool {
	l.arrived = map[string]chan struct{}{}
	for _, g := range surviving {
		l.arrived[g] = make(chan struct{})
	}
	return func(call recorder.Call, w http.ResponseWriter, r *http.Request) bool {
		group := recorder.GroupOf(r)
		l.mu.Lock()
		l.calls = append(l.calls, loggedCall{call.Action, group})
		l.times = append(l.times, time.Now())
		l.mu.Unlock()
		switch {
		case call.Action == "DescribeScalingActivities" && group == down:
			writeRefusedLaunch(w, down)
			return true
		case call.Action == "UpdateAutoScalingGroup" && l.arrived[group] != nil:
			l.hold(group)
		}
		return false
	}
}

// hold marks the group's raise as arrived and waits for every other
// surviving group's raise to arrive too.
func (l *callLog) hold(group string) {
	l.mu.Lock()
	ch := l.arrived[group]
	select {
	case <-ch:
		l.mu.Unlock()
		return // a later update of the group: nothing to prove
	default:
		close(ch)
	}
	l.mu.Unlock()
	for g, other := range l.arrived {
		select {
		case <-other:
		case <-time.After(overlapBudget):
			l.once.Do(func() {
				l.overlap = fmt.Errorf("group %s was not raised while %s's raise was in flight (held %s): the surviving groups are raised one at a time", g, group, overlapBudget)
			})
			return
		}
	}
}

// check asserts the order: the down zone's suspension, then the shift, are
// the first changes; no wait comes before them; the down group is never
// waited on; the surviving groups' raises overlapped.
func (l *callLog) check(down string, surviving []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Join(l.overlap, l.order(down, surviving))
}

// timings reports (never asserts) the time from the step's first call (the
// plan's refresh, then the apply's observe) to StartZonalShift and to its
// last call.
func (l *callLog) timings(t *testing.T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	shift := slices.IndexFunc(l.calls, func(c loggedCall) bool { return c.action == "StartZonalShift" })
	if shift < 0 || len(l.times) == 0 {
		return
	}
	t.Logf("zone down: %d calls; step start (plan refresh) to StartZonalShift %s (call %d); to the last call %s",
		len(l.calls), l.times[shift].Sub(l.times[0]).Round(time.Millisecond), shift+1, l.times[len(l.times)-1].Sub(l.times[0]).Round(time.Millisecond))
}

func (l *callLog) order(down string, surviving []string) error {
	read := func(a string) bool {
		return strings.HasPrefix(a, "Describe") || strings.HasPrefix(a, "List") || strings.HasPrefix(a, "Get")
	}
	// Waits: the calls only a wait makes (scaling activities, target health,
	// the shift's applied status).
	wait := func(a string) bool {
		return a == "DescribeScalingActivities" || a == "DescribeTargetHealth" || a == "GetManagedResource"
	}
	suspend := slices.IndexFunc(l.calls, func(c loggedCall) bool { return c.action == "SuspendProcesses" && c.group == down })
	shift := slices.IndexFunc(l.calls, func(c loggedCall) bool { return c.action == "StartZonalShift" })
	if suspend < 0 || shift < 0 || suspend > shift {
		return fmt.Errorf("suspension of %s at %d, StartZonalShift at %d, want both, the suspension first; calls: %v", down, suspend, shift, l.calls)
	}
	for i, c := range l.calls[:shift] {
		mark := c.action == "CreateOrUpdateTags" && c.group == down // the evacuation's mark, written before the suspension
		if wait(c.action) || (!read(c.action) && !mark && i != suspend) {
			return fmt.Errorf("%s at %d comes before the zonal shift (%d); calls: %v", c, i, shift, l.calls)
		}
	}
	for _, c := range l.calls {
		if c.action == "DescribeScalingActivities" && c.group == down {
			return fmt.Errorf("the down zone's group %s was waited on (%s); calls: %v", down, c, l.calls)
		}
	}
	for _, g := range surviving {
		if !slices.Contains(l.calls, loggedCall{"UpdateAutoScalingGroup", g}) {
			return fmt.Errorf("surviving group %s was not raised; calls: %v", g, l.calls)
		}
	}
	return nil
}

// writeRefusedLaunch answers DescribeScalingActivities with one finished,
// failed launch, worded as Auto Scaling words an InsufficientInstanceCapacity
// refusal (the EC2 error's message inside the activity's status message:
// Amazon EC2 Auto Scaling User Guide, "Troubleshoot Amazon EC2 Auto Scaling:
// EC2 instance launch failures", "We currently do not have sufficient
// <instance type> capacity in the Availability Zone you requested").
func writeRefusedLaunch(w http.ResponseWriter, group string) {
	// Milliseconds, as AWS gives them: the activity starts after the wait
	// that reads it did.
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<DescribeScalingActivitiesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeScalingActivitiesResult><Activities><member>
<ActivityId>00000000-0000-0000-0000-000000000001</ActivityId><AutoScalingGroupName>%s</AutoScalingGroupName>
<Description>Launching a new EC2 instance.  Status Reason: We currently do not have sufficient t3.micro capacity in the Availability Zone you requested (%s). Launching EC2 instance failed.</Description>
<Cause>At %s an instance was started in response to a difference between desired and actual capacity.</Cause>
<StartTime>%s</StartTime><EndTime>%s</EndTime><StatusCode>Failed</StatusCode>
<StatusMessage>We currently do not have sufficient t3.micro capacity in the Availability Zone you requested (%s). Our system will be working on provisioning additional capacity. Launching EC2 instance failed.</StatusMessage>
<Progress>100</Progress></member></Activities></DescribeScalingActivitiesResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000002</RequestId></ResponseMetadata></DescribeScalingActivitiesResponse>`,
		group, evacuated, now, now, now, evacuated)
}
