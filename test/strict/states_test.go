package strict

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestLBProvisioningBeforeActive(t *testing.T) {
	clock := newManualClock()
	c := through(t, Options{LBProvisioning: window, Now: clock.Now}, LBProvisioning)
	n := env.Network(t, c.cfg, "us-east-1a", "us-east-1b")
	ctx := t.Context()
	lb, err := c.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("strict-prov"), Subnets: n.App})
	must(t, err)
	state := func() elbtypes.LoadBalancerStateEnum {
		out, err := c.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{*lb.LoadBalancers[0].LoadBalancerArn}})
		must(t, err)
		return out.LoadBalancers[0].State.Code
	}
	if got := state(); got != elbtypes.LoadBalancerStateEnumProvisioning {
		t.Fatalf("new load balancer is %q, want provisioning", got)
	}
	wantFired(t, c, LBProvisioning, 1)
	clock.Advance(window - time.Millisecond)
	if got := state(); got != elbtypes.LoadBalancerStateEnumProvisioning {
		t.Fatalf("a millisecond before the window ends the load balancer is %q, want provisioning", got)
	}
	clock.Advance(time.Millisecond)
	if got := state(); got != elbtypes.LoadBalancerStateEnumActive {
		t.Fatalf("after the provisioning window the load balancer is %q, want active", got)
	}
}

// The state machine on a clock the test moves: each state holds for its
// window and no longer, whatever the machine's load (on the wall clock, a
// busy moto took longer than the 1 s creating window to answer the
// create, and the first describe already said backing-up).
func TestDBStatesCreatingBackingUpModifyingDeleting(t *testing.T) {
	d := time.Second
	clock := newManualClock()
	c := through(t, Options{DBCreating: d, DBBackingUp: d, DBModifying: d, DBDeleting: d, Now: clock.Now}, DBStates)
	ctx := t.Context()
	id := "strict-db"
	_, err := c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("app"),
		ManageMasterUserPassword: aws.Bool(true), BackupRetentionPeriod: aws.Int32(7)})
	must(t, err)
	describe := func() (*rdstypes.DBInstance, error) {
		out, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err != nil {
			return nil, err
		}
		return &out.DBInstances[0], nil
	}
	db, err := describe()
	must(t, err)
	if aws.ToString(db.DBInstanceStatus) != "creating" || db.Endpoint != nil {
		t.Fatalf("new database: status %q endpoint %v, want creating without endpoint", aws.ToString(db.DBInstanceStatus), db.Endpoint)
	}
	// after moves the clock through a window: its state holds until the
	// window's last millisecond, and the next one follows.
	after := func(window time.Duration, during, want string) {
		t.Helper()
		clock.Advance(window - time.Millisecond)
		db, err := describe()
		must(t, err)
		if s := aws.ToString(db.DBInstanceStatus); s != during {
			t.Fatalf("a millisecond before the window ends: status %s, want %s", s, during)
		}
		clock.Advance(time.Millisecond)
		db, err = describe()
		must(t, err)
		if s := aws.ToString(db.DBInstanceStatus); s != want {
			t.Fatalf("status %s, want %s", s, want)
		}
	}
	after(d, "creating", "backing-up")
	after(d, "backing-up", "available")
	_, err = c.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id),
		DBInstanceClass: aws.String("db.t3.small"), ApplyImmediately: aws.Bool(true)})
	must(t, err)
	db, err = describe()
	must(t, err)
	if aws.ToString(db.DBInstanceStatus) != "modifying" || db.PendingModifiedValues == nil ||
		aws.ToString(db.PendingModifiedValues.DBInstanceClass) != "db.t3.small" {
		t.Fatalf("after ModifyDBInstance: status %q pending %+v, want modifying with DBInstanceClass pending",
			aws.ToString(db.DBInstanceStatus), db.PendingModifiedValues)
	}
	after(d, "modifying", "available")
	_, err = c.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)})
	must(t, err)
	db, err = describe()
	must(t, err)
	if aws.ToString(db.DBInstanceStatus) != "deleting" {
		t.Fatalf("right after DeleteDBInstance: status %q, want deleting", aws.ToString(db.DBInstanceStatus))
	}
	clock.Advance(d)
	_, err = describe()
	wantCode(t, err, "DBInstanceNotFound", 404)
	wantFired(t, c, DBStates, 5)
}

// On a clock the test moves (see TestDBStatesCreatingBackingUpModifyingDeleting):
// not found for DBLag after the create, then the state machine; after a
// modification, "available" with nothing pending for DBLag, then modifying
// with the asked class pending, and the class from before the call in effect
// throughout (as AWS shows it); the asked class only once modifying ends.
func TestDBLagNotFoundThenLateModifying(t *testing.T) {
	const d = 3 * time.Second
	clock := newManualClock()
	c := through(t, Options{DBLag: d, DBCreating: d, DBModifying: d, Now: clock.Now}, DBLag, DBStates)
	ctx := t.Context()
	id := "strict-db-lag"
	_, err := c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("app"),
		ManageMasterUserPassword: aws.Bool(true), BackupRetentionPeriod: aws.Int32(0)})
	must(t, err)
	// shown is the instance as a describe answers: status, class in effect, pending class.
	shown := func() (string, error) {
		out, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err != nil {
			return "", err
		}
		return dbShown(&out.DBInstances[0]), nil
	}
	want := func(step time.Duration, state string) {
		t.Helper()
		clock.Advance(step)
		if s, err := shown(); err != nil || s != state {
			t.Fatalf("instance %q (%v), want %s", s, err, state)
		}
	}
	_, err = shown()
	wantCode(t, err, "DBInstanceNotFound", 404)
	clock.Advance(d - time.Millisecond)
	_, err = shown()
	wantCode(t, err, "DBInstanceNotFound", 404)
	// The lag and the creating window (both d from the create) end together.
	want(time.Millisecond, "available db.t3.micro pending none")
	mod, err := c.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id),
		DBInstanceClass: aws.String("db.t3.small"), ApplyImmediately: aws.Bool(true)})
	must(t, err)
	if s := dbShown(mod.DBInstance); s != "available db.t3.micro pending db.t3.small" {
		t.Errorf("ModifyDBInstance answered %s, want the class in effect and the asked one pending", s)
	}
	want(0, "available db.t3.micro pending none") // the modification not shown yet
	want(d-time.Millisecond, "available db.t3.micro pending none")
	want(time.Millisecond, "modifying db.t3.micro pending db.t3.small")
	want(d-time.Millisecond, "modifying db.t3.micro pending db.t3.small")
	want(time.Millisecond, "available db.t3.small pending none")
	_, _ = c.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)})
	wantFired(t, c, DBLag, 2)
}

// dbShown is a DB instance's status, class and pending class in words.
func dbShown(db *rdstypes.DBInstance) string {
	pending := "none"
	if p := db.PendingModifiedValues; p != nil && p.DBInstanceClass != nil {
		pending = aws.ToString(p.DBInstanceClass)
	}
	return aws.ToString(db.DBInstanceStatus) + " " + aws.ToString(db.DBInstanceClass) + " pending " + pending
}
