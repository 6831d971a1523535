package strict

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// window is the rules' consistency or state window in these tests. They
// run on a manualClock: "right after" and "once the window has passed"
// are the test's own moves of the clock, not races against a busy machine.
const window = 1500 * time.Millisecond

func TestSGNotFoundAfterCreate(t *testing.T) {
	c, clock := onClock(t, Options{Consistency: window}, SGNotFound)
	n := twoZones(t, c)
	ctx := t.Context()
	sg, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("strict-sg"),
		Description: aws.String("strict"), VpcId: aws.String(n.VPCID)})
	must(t, err)
	id := sg.GroupId
	_, err = c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{*id}})
	wantCode(t, err, "InvalidGroup.NotFound", 400)
	_, err = c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: id,
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
	wantCode(t, err, "InvalidGroup.NotFound", 400)
	_, err = c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{*id}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantCode(t, err, "InvalidGroup.NotFound", 400)
	wantFired(t, c, SGNotFound, 3)
	clock.Advance(window)
	_, err = c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{*id}})
	must(t, err)
}

func TestRoleNotFoundAfterCreate(t *testing.T) {
	c, clock := onClock(t, Options{Consistency: window}, RoleNotFound)
	ctx := t.Context()
	_, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("strict-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
	must(t, err)
	_, err = c.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("strict-profile")})
	must(t, err)
	add := func() error {
		_, err := c.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{
			InstanceProfileName: aws.String("strict-profile"), RoleName: aws.String("strict-role")})
		return err
	}
	err = add()
	wantCode(t, err, "NoSuchEntity", 404)
	if !strings.Contains(err.Error(), "The role with name strict-role cannot be found") {
		t.Errorf("message %q lacks AWS's wording", err)
	}
	wantFired(t, c, RoleNotFound, 1)
	clock.Advance(window)
	must(t, add())
}

func TestCertNotFoundAfterCreate(t *testing.T) {
	c, clock := onClock(t, Options{Consistency: window}, CertNotFound)
	n := twoZones(t, c)
	ctx := t.Context()
	lb := newLB(t, c, n, "strict-cert")
	tg, err := c.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("strict-cert"), Port: aws.Int32(80),
		Protocol: elbtypes.ProtocolEnumHttp, VpcId: aws.String(n.VPCID)})
	must(t, err)
	cert := env.ServerCertificate(t, c.cfg, "strict-cert")
	create := func() error {
		_, err := c.elb.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb,
			Port: aws.Int32(443), Protocol: elbtypes.ProtocolEnumHttps, Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(cert)}},
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}})
		return err
	}
	wantCode(t, create(), "CertificateNotFound", 400)
	wantFired(t, c, CertNotFound, 1)
	clock.Advance(window)
	must(t, create())
}

func TestProfileLaunchFailsThenRetries(t *testing.T) {
	c := through(t, Options{Consistency: 3 * time.Second}, ProfileLaunch)
	n := twoZones(t, c)
	ctx := t.Context()
	_, err := c.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("strict-launch")})
	must(t, err)
	_, err = c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("strict-launch"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro,
			IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String("strict-launch")}}})
	must(t, err)
	_, err = c.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("strict-launch"),
		MinSize: aws.Int32(1), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1), VPCZoneIdentifier: aws.String(n.App[0]),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("strict-launch"), Version: aws.String("$Latest")}})
	must(t, err)
	instances := func() int {
		out, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"strict-launch"}})
		must(t, err)
		return len(out.AutoScalingGroups[0].Instances)
	}
	if got := instances(); got != 0 {
		t.Fatalf("group shows %d instances while its profile is new, want 0", got)
	}
	acts, err := c.asg.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("strict-launch")})
	must(t, err)
	failed := false
	for _, a := range acts.Activities {
		failed = failed || a.StatusCode == astypes.ScalingActivityStatusCodeFailed &&
			strings.Contains(aws.ToString(a.StatusMessage), "Invalid IAM Instance Profile")
	}
	if !failed {
		t.Fatalf("no failed launch activity naming the profile: %+v", acts.Activities)
	}
	wantFired(t, c, ProfileLaunch, 2)
	env.Until(t, "one instance launched once the profile is known", 15*time.Second, env.NoError(func() error {
		if instances() != 1 {
			return errNotYet
		}
		return nil
	}))
}

func newGroup(t *testing.T, c clients, vpc, name string) string {
	t.Helper()
	out, err := c.ec2.CreateSecurityGroup(t.Context(), &ec2.CreateSecurityGroupInput{GroupName: aws.String(name),
		Description: aws.String("strict"), VpcId: aws.String(vpc)})
	must(t, err)
	return aws.ToString(out.GroupId)
}

func deleteGroup(c clients, t *testing.T, id string) error {
	_, err := c.ec2.DeleteSecurityGroup(t.Context(), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
	return err
}

func TestSGInUseCannotBeDeleted(t *testing.T) {
	c := through(t, Options{}, SGInUse)
	n := twoZones(t, c)
	ctx := t.Context()
	a, b, lbGroup := newGroup(t, c, n.VPCID, "strict-a"), newGroup(t, c, n.VPCID, "strict-b"), newGroup(t, c, n.VPCID, "strict-lb")
	perm := []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(a)}}}}
	_, err := c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(b), IpPermissions: perm})
	must(t, err)
	wantCode(t, deleteGroup(c, t, a), "InvalidGroup.InUse", 400) // referenced by b's rule
	_, err = c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(b), IpPermissions: perm})
	must(t, err)
	must(t, deleteGroup(c, t, a))

	lb := newLB(t, c, n, "strict-inuse", lbGroup)
	wantCode(t, deleteGroup(c, t, lbGroup), "DependencyViolation", 400) // attached to a load balancer
	_, err = c.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb})
	must(t, err)
	must(t, deleteGroup(c, t, lbGroup))

	run, err := c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1),
		MaxCount: aws.Int32(1), SubnetId: aws.String(n.App[0]), SecurityGroupIds: []string{b}})
	must(t, err)
	wantCode(t, deleteGroup(c, t, b), "DependencyViolation", 400) // a running instance uses it
	_, err = c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{*run.Instances[0].InstanceId}})
	must(t, err)
	must(t, deleteGroup(c, t, b))
	wantFired(t, c, SGInUse, 3)
}

func TestENIsLingerAfterLoadBalancerAndInstances(t *testing.T) {
	c, clock := onClock(t, Options{ENILinger: window}, ENILinger)
	n := twoZones(t, c)
	ctx := t.Context()
	lbGroup, appGroup := newGroup(t, c, n.VPCID, "strict-lb"), newGroup(t, c, n.VPCID, "strict-app")
	lb := newLB(t, c, n, "strict-linger", lbGroup)
	_, err := c.elb.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb})
	must(t, err)
	wantCode(t, deleteGroup(c, t, lbGroup), "DependencyViolation", 400)
	clock.Advance(window)
	must(t, deleteGroup(c, t, lbGroup))

	run, err := c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1),
		MaxCount: aws.Int32(1), SubnetId: aws.String(n.App[0]), SecurityGroupIds: []string{appGroup}})
	must(t, err)
	_, err = c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{*run.Instances[0].InstanceId}})
	must(t, err)
	wantCode(t, deleteGroup(c, t, appGroup), "DependencyViolation", 400)
	clock.Advance(window)
	must(t, deleteGroup(c, t, appGroup))
	wantFired(t, c, ENILinger, 2)
}

func TestGoneInstanceIsValidationError(t *testing.T) {
	c := through(t, Options{}, GoneInstance)
	n := twoZones(t, c)
	ctx := t.Context()
	_, err := c.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("strict-gone"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro}})
	must(t, err)
	_, err = c.asg.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("strict-gone"),
		MinSize: aws.Int32(0), MaxSize: aws.Int32(2), DesiredCapacity: aws.Int32(1), VPCZoneIdentifier: aws.String(n.App[0]),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("strict-gone"), Version: aws.String("$Latest")}})
	must(t, err)
	g, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"strict-gone"}})
	must(t, err)
	id := g.AutoScalingGroups[0].Instances[0].InstanceId
	terminate := func() error {
		_, err := c.asg.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
			InstanceId: id, ShouldDecrementDesiredCapacity: aws.Bool(true)})
		return err
	}
	must(t, terminate())
	err = terminate() // moto answers HTTP 500 here
	wantCode(t, err, "ValidationError", 400)
	if !strings.Contains(err.Error(), "Instance Id not found - No managed instance found for instance ID: "+*id) {
		t.Errorf("message %q is not AWS's", err)
	}
	wantFired(t, c, GoneInstance, 1)
}

func TestLBProvisioningBeforeActive(t *testing.T) {
	c, clock := onClock(t, Options{LBProvisioning: window}, LBProvisioning)
	n := twoZones(t, c)
	ctx := t.Context()
	lb := newLB(t, c, n, "strict-prov")
	state := func() elbtypes.LoadBalancerStateEnum {
		out, err := c.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{*lb}})
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
	c, clock := onClock(t, Options{DBCreating: d, DBBackingUp: d, DBModifying: d, DBDeleting: d}, DBStates)
	ctx := t.Context()
	id := "strict-db"
	createDB(t, c, id, 7)
	describe := func() (*rdstypes.DBInstance, error) { return describeDB(t, c, id) }
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
	c, clock := onClock(t, Options{DBLag: d, DBCreating: d, DBModifying: d}, DBLag, DBStates)
	ctx := t.Context()
	id := "strict-db-lag"
	createDB(t, c, id, 0)
	// shown is the instance as a describe answers: status, class in effect, pending class.
	shown := func() (string, error) {
		db, err := describeDB(t, c, id)
		if err != nil {
			return "", err
		}
		return dbShown(db), nil
	}
	want := func(step time.Duration, state string) {
		t.Helper()
		clock.Advance(step)
		if s, err := shown(); err != nil || s != state {
			t.Fatalf("instance %q (%v), want %s", s, err, state)
		}
	}
	_, err := shown()
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

// createDB creates a small postgres instance with an RDS-managed password
// and the given backup retention.
func createDB(t *testing.T, c clients, id string, backupDays int32) {
	t.Helper()
	_, err := c.rds.CreateDBInstance(t.Context(), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(id), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("app"),
		ManageMasterUserPassword: aws.Bool(true), BackupRetentionPeriod: aws.Int32(backupDays)})
	must(t, err)
}

// describeDB is the instance as a describe answers it.
func describeDB(t *testing.T, c clients, id string) (*rdstypes.DBInstance, error) {
	out, err := c.rds.DescribeDBInstances(t.Context(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		return nil, err
	}
	return &out.DBInstances[0], nil
}

// dbShown is a DB instance's status, class and pending class in words.
func dbShown(db *rdstypes.DBInstance) string {
	pending := "none"
	if p := db.PendingModifiedValues; p != nil && p.DBInstanceClass != nil {
		pending = aws.ToString(p.DBInstanceClass)
	}
	return aws.ToString(db.DBInstanceStatus) + " " + aws.ToString(db.DBInstanceClass) + " pending " + pending
}
