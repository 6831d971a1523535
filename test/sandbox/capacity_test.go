package sandbox_test

// Zone capacity: impaired zones that refuse launches or fail over a
// database, and zones short of an instance type.

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox/postgres"
)

// TestZoneImpairmentRefusesLaunches: an impaired zone refuses the launches
// of the instance types it is short of, and only those: Auto Scaling's
// scaling activities show each refusal as AWS does (StatusCode Failed,
// InsufficientInstanceCapacity naming the type, the zone and the zones that
// have capacity), one per attempt the event log records, all of them
// between the impairment and the recovery; DescribeAutoScalingGroups lists
// no instance for them; after the recovery the group reaches its capacity
// in the zone.
func TestZoneImpairmentRefusesLaunches(t *testing.T) {
	ctx := context.Background()
	sb, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "ice", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1, maxPerZone: 3})
	c := sb.Client()
	s.waitHealthy(2)
	group := s.groups["us-east-1b"]

	// Short of another type only: the zone's t3.small launches go ahead
	// (into a zone without power: launched, never healthy).
	if err := c.ImpairZone(ctx, "us-east-1b", "m5.large"); err != nil {
		t.Fatal(err)
	}
	s.setDesired(group, 2)
	env.Until(t, "the second t3.small in us-east-1b to launch", 60*time.Second, func() (bool, string) {
		st, err := c.State(ctx)
		if err != nil {
			return false, err.Error()
		}
		n := 0
		for _, in := range st.Instances {
			if in.ASG == group && in.State != "terminated" {
				n++
			}
		}
		return n == 2, fmt.Sprintf("%+v", st.Instances)
	})
	if err := c.RecoverZone(ctx, "us-east-1b"); err != nil {
		t.Fatal(err)
	}
	s.waitHealthy(3)

	// Short of t3.small: the next launch there is refused, attempt after attempt.
	if err := c.Fail(ctx, sandbox.Failure{Kind: "impair", Zone: "us-east-1b", InstanceTypes: []string{"t3.small"}}); err != nil {
		t.Fatal(err)
	}
	s.setDesired(group, 3)
	var failed []astypes.Activity
	env.Until(t, "two refused launches in the scaling activities", 60*time.Second, func() (bool, string) {
		failed = s.failedLaunches(group)
		return len(failed) >= 2, fmt.Sprintf("%d failed", len(failed))
	})
	want := "Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient t3.small capacity in the Availability Zone you requested (us-east-1b). " +
		"Our system will be working on provisioning additional capacity. You can currently get t3.small capacity by not specifying an Availability Zone in your request or choosing us-east-1a. Launching EC2 instance failed."
	for _, a := range failed {
		if aws.ToString(a.StatusMessage) != want || aws.ToString(a.Description) != "Launching a new EC2 instance.  Status Reason: "+want ||
			!strings.Contains(aws.ToString(a.Details), `"Availability Zone":"us-east-1b"`) ||
			!strings.HasSuffix(aws.ToString(a.Cause), "an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 2 to 3.") {
			t.Errorf("refused launch shown as %+v\nwant status message %q", a, want)
		}
	}
	// A failed launch never made an instance: the group lists the two it
	// had, short of its desired three.
	if ids := s.instances("us-east-1b"); len(ids) != 2 {
		t.Errorf("the impaired group lists instances %v, want the 2 launched before", ids)
	}
	if err := c.Fail(ctx, sandbox.Failure{Kind: "impair", Zone: "us-east-1b", Recover: true}); err != nil {
		t.Fatal(err)
	}
	s.waitHealthy(4)

	// Order and accounting from the event log: every refusal lies between
	// the t3.small impairment and its recovery, one per failed activity.
	evs, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	impaired := slices.IndexFunc(evs, func(e sandbox.Event) bool {
		return e.Kind == sandbox.EventZoneImpaired && strings.Contains(e.Reason, "t3.small")
	})
	recovered := -1
	for i, e := range evs {
		if e.Kind == sandbox.EventZoneRecovered {
			recovered = i
		}
	}
	refused := 0
	for i, e := range evs {
		if e.Kind != sandbox.EventLaunchRefused {
			continue
		}
		refused++
		if i < impaired || i > recovered || e.Zone != "us-east-1b" || !strings.Contains(e.Reason, group) {
			t.Errorf("refusal %+v at %d, outside the t3.small impairment (events %d to %d)", e, i, impaired, recovered)
		}
	}
	if n := len(sandbox.EventsOf(evs, sandbox.EventLaunchRefused, nil)); n != refused {
		t.Errorf("EventsOf finds %d refusals, the log %d", n, refused)
	}
	if got := len(s.failedLaunches(group)); impaired < 0 || refused != got {
		t.Errorf("the event log records %d refused launches, the scaling activities %d failed ones", refused, got)
	}
}

// TestZoneImpairmentFailsOverDatabase: a Multi-AZ database fails over when
// its primary's zone is impaired, not when another zone is; a Single-AZ one
// is down with its zone until the recovery; the event log says so in order.
func TestZoneImpairmentFailsOverDatabase(t *testing.T) {
	prereq.Require(t, postgres.Available())
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	c := sb.Client()
	cfg := env.AWSConfig(sb.Endpoint)
	network := env.Network(t, cfg, "us-east-1a", "us-east-1b")
	rc := rds.NewFromConfig(cfg)
	if _, err := rc.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: aws.String("impair"),
		DBSubnetGroupDescription: aws.String("impair"), SubnetIds: network.App}); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("impairdb"), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("admin1"),
		MasterUserPassword: aws.String("secret-password"), MultiAZ: aws.Bool(true), DBSubnetGroupName: aws.String("impair")}); err != nil {
		t.Fatal(err)
	}
	out, err := rc.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("impairdb")})
	if err != nil {
		t.Fatal(err)
	}
	primary := aws.ToString(out.DBInstances[0].AvailabilityZone)
	other := map[string]string{"us-east-1a": "us-east-1b", "us-east-1b": "us-east-1a"}[primary]
	if other == "" {
		t.Fatalf("the database's primary is in %q, want one of the network's zones", primary)
	}
	// A Single-AZ one in the other zone: it has no standby to fail over to.
	if _, err := rc.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("solodb"), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("admin1"),
		MasterUserPassword: aws.String("secret-password"), AvailabilityZone: aws.String(other), DBSubnetGroupName: aws.String("impair")}); err != nil {
		t.Fatal(err)
	}
	env.Until(t, "the databases to run", 60*time.Second, func() (bool, string) {
		st, err := c.State(ctx)
		if err != nil {
			return false, err.Error()
		}
		return len(st.Databases) == 2 && st.Databases[0].PID != 0 && st.Databases[1].PID != 0, fmt.Sprintf("%+v", st.Databases)
	})
	st, err := c.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var solo string
	for _, d := range st.Databases {
		if d.ID == "solodb" {
			solo = net.JoinHostPort(d.Endpoint, strconv.Itoa(d.Port))
		}
	}
	reachable := func() bool {
		conn, err := net.DialTimeout("tcp", solo, 2*time.Second)
		if err == nil {
			conn.Close()
		}
		return err == nil
	}
	// Each call returns once the databases it hits are cut (or back).
	fail := func(f sandbox.Failure) {
		t.Helper()
		if err := c.Fail(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	fail(sandbox.Failure{Kind: "impair", Zone: other})
	if reachable() {
		t.Errorf("the Single-AZ database in the impaired %s accepts connections", other)
	}
	fail(sandbox.Failure{Kind: "impair", Zone: other, Recover: true})
	if !reachable() {
		t.Errorf("the Single-AZ database refuses connections after %s recovered", other)
	}
	fail(sandbox.Failure{Kind: "impair", Zone: primary})
	fail(sandbox.Failure{Kind: "impair", Zone: primary, Recover: true})
	evs, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		switch {
		case e.Kind == sandbox.EventZoneImpaired, e.Kind == sandbox.EventZoneRecovered, e.Kind == sandbox.EventDatabaseFailover,
			e.Kind == sandbox.EventDatabaseDown, e.Kind == sandbox.EventDatabaseBack && e.Zone != "": // a failover's end has no zone, and no fixed place
			got = append(got, fmt.Sprintf("%s %s %v", e.Kind, e.Zone, e.IDs))
		}
	}
	want := []string{"zone impaired " + other + " []", "database down " + other + " [solodb]", "zone recovered " + other + " []", "database back " + other + " [solodb]",
		"zone impaired " + primary + " []", "database failover " + primary + " [impairdb]", "zone recovered " + primary + " []"}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if e, ok := sandbox.LastEvent(evs, sandbox.EventDatabaseFailover, nil); !ok || !strings.Contains(e.Reason, "standby in "+other) || !slices.Equal(e.IDs, []string{"impairdb"}) {
		t.Errorf("the failover event %+v should name impairdb and its standby in %s", e, other)
	}
}

// TestShortZoneFallsBackToNextType: in a zone short of t3.small, a group
// with a prioritized mixed instances policy (t3.small, then t3a.small)
// launches a t3a.small in the same activity, which succeeds and names the
// type, and the instance serves; a group on the template alone in a zone
// short of t3.small is refused, attempt after attempt. The event log says
// so in order: the shortage, then the fallback.
func TestShortZoneFallsBackToNextType(t *testing.T) {
	ctx := context.Background()
	sb, s := sandboxStack(t, sandbox.Options{}, stackSpec{name: "mix", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1, maxPerZone: 3})
	c := sb.Client()
	s.waitHealthy(2)
	mixed, plain := s.groups["us-east-1b"], s.groups["us-east-1a"]
	if _, err := s.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(mixed),
		MixedInstancesPolicy: &astypes.MixedInstancesPolicy{
			LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("mix"), Version: aws.String("1")},
				Overrides: []astypes.LaunchTemplateOverrides{{InstanceType: aws.String("t3.small")}, {InstanceType: aws.String("t3a.small")}}},
			InstancesDistribution: &astypes.InstancesDistribution{OnDemandAllocationStrategy: aws.String("prioritized")}}}); err != nil {
		t.Fatal(err)
	}
	for _, z := range []string{"us-east-1a", "us-east-1b"} {
		if err := c.ShortZone(ctx, z, "t3.small"); err != nil {
			t.Fatal(err)
		}
	}
	s.setDesired(mixed, 2)
	s.setDesired(plain, 2)
	var launched string
	env.Until(t, "a t3a.small in the mixed group", 60*time.Second, func() (bool, string) {
		g := describe(t, s, mixed)
		var seen []string
		for _, i := range g.Instances {
			seen = append(seen, aws.ToString(i.InstanceId)+"="+aws.ToString(i.InstanceType))
			if aws.ToString(i.InstanceType) == "t3a.small" {
				launched = aws.ToString(i.InstanceId)
			}
		}
		return launched != "" && len(g.Instances) == 2, strings.Join(seen, " ")
	})
	env.Until(t, "two refused launches in the plain group", 60*time.Second, func() (bool, string) {
		n := len(s.failedLaunches(plain))
		return n >= 2, fmt.Sprintf("%d failed", n)
	})
	s.waitHealthy(3) // the fallback serves: the power is on
	if h := s.health()[launched]; string(h.State) != "healthy" {
		t.Errorf("the t3a.small %s is %s, want a healthy target", launched, h.State)
	}
	if n := len(s.failedLaunches(mixed)); n != 0 {
		t.Errorf("the mixed group has %d failed launches, want none: the fallback is part of the launch", n)
	}
	var shown []string
	found := false
	for _, a := range s.activities(mixed) {
		shown = append(shown, aws.ToString(a.Description)+" "+aws.ToString(a.Details))
		found = found || (aws.ToString(a.Description) == "Launching a new EC2 instance: "+launched && a.StatusCode == astypes.ScalingActivityStatusCodeSuccessful &&
			strings.Contains(aws.ToString(a.Details), `"InstanceType":"t3a.small"`) && strings.Contains(aws.ToString(a.Details), `"Availability Zone":"us-east-1b"`))
	}
	if !found {
		t.Errorf("no successful activity launching %s as t3a.small in us-east-1b: %q", launched, shown)
	}
	evs, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short := slices.IndexFunc(evs, func(e sandbox.Event) bool { return e.Kind == sandbox.EventZoneShort && e.Zone == "us-east-1b" })
	fell := sandbox.EventsOf(evs, sandbox.EventLaunchFallback, nil)
	at := slices.IndexFunc(evs, func(e sandbox.Event) bool { return e.Kind == sandbox.EventLaunchFallback })
	if len(fell) != 1 || short < 0 || at < short || !slices.Equal(fell[0].IDs, []string{launched}) || !strings.Contains(fell[0].Reason, "launched t3a.small") {
		t.Errorf("fallback events %+v at %d, the shortage at %d: want one, for %s, after the shortage", fell, at, short, launched)
	}
	for _, e := range sandbox.EventsOf(evs, sandbox.EventLaunchRefused, nil) {
		if e.Zone == "us-east-1b" {
			t.Errorf("a launch refused in the mixed group's zone: %+v", e)
		}
	}
	for _, z := range []string{"us-east-1a", "us-east-1b"} {
		if err := c.RecoverZone(ctx, z); err != nil {
			t.Fatal(err)
		}
	}
	s.waitHealthy(4)
}

func describe(t *testing.T, s *stack, group string) astypes.AutoScalingGroup {
	t.Helper()
	out, err := s.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		t.Fatalf("describing %s: %v", group, err)
	}
	return out.AutoScalingGroups[0]
}
