package strict

import (
	"fmt"
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
	c := through(t, Options{LBProvisioning: window}, LBProvisioning)
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
	env.Until(t, "the load balancer active", 10*time.Second, env.NoError(func() error {
		if s := state(); s != elbtypes.LoadBalancerStateEnumActive {
			return fmt.Errorf("state %s", s)
		}
		return nil
	}))
}

func TestDBStatesCreatingBackingUpModifyingDeleting(t *testing.T) {
	d := time.Second
	c := through(t, Options{DBCreating: d, DBBackingUp: d, DBModifying: d, DBDeleting: d}, DBStates)
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
	waitStatus := func(want string) {
		t.Helper()
		env.Until(t, "the database "+want, 10*time.Second, env.NoError(func() error {
			db, err := describe()
			if err != nil {
				return err
			}
			if s := aws.ToString(db.DBInstanceStatus); s != want {
				return fmt.Errorf("status %s, want %s", s, want)
			}
			return nil
		}))
	}
	waitStatus("backing-up")
	waitStatus("available")
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
	waitStatus("available")
	_, err = c.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)})
	must(t, err)
	db, err = describe()
	must(t, err)
	if aws.ToString(db.DBInstanceStatus) != "deleting" {
		t.Fatalf("right after DeleteDBInstance: status %q, want deleting", aws.ToString(db.DBInstanceStatus))
	}
	env.Until(t, "the database gone", 10*time.Second, env.NoError(func() error {
		_, err := describe()
		if err == nil {
			return errNotYet
		}
		wantCode(t, err, "DBInstanceNotFound", 404)
		return nil
	}))
	wantFired(t, c, DBStates, 5)
}
