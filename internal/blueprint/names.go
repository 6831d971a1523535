package blueprint

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A derived name is the stack name plus a fixed suffix, so each AWS limit on
// a child's name bounds the stack name. nameRules lists them; NameMinLength
// and NameMaxLength are what every rule allows together.
type nameRule struct {
	child    string
	derive   func(Names) string
	min, max int
	// source is the AWS API reference entry that sets the limit.
	source string
}

// maxZoneLength bounds an availability zone name in the zonal names (the
// longest, Wavelength zones such as us-east-1-wl1-dfw-wlz-1, have 23).
const maxZoneLength = 32

var nameRules = []nameRule{
	{"load balancer", func(n Names) string { return n.LoadBalancer }, 1, 32, "ELBv2 CreateLoadBalancer Name: at most 32 alphanumerics or hyphens"},
	{"target group", func(n Names) string { return n.TargetGroup }, 1, 32, "ELBv2 CreateTargetGroup Name: at most 32 alphanumerics or hyphens"},
	{"launch template", func(n Names) string { return n.LaunchTemplate }, 3, 128, "EC2 CreateLaunchTemplate LaunchTemplateName: 3 to 128 characters"},
	{"DB instance", func(n Names) string { return n.DBInstance }, 1, 63, "RDS CreateDBInstance DBInstanceIdentifier: 1 to 63 characters"},
	{"DB subnet group", func(n Names) string { return n.DBSubnetGroup }, 1, 255, "RDS CreateDBSubnetGroup DBSubnetGroupName: at most 255 characters"},
	{"final snapshot", func(n Names) string { return n.FinalSnapshot }, 1, 255, "RDS DeleteDBInstance FinalDBSnapshotIdentifier: 1 to 255 characters"},
	{"IAM role and instance profile", func(n Names) string { return n.InstanceRole }, 1, 64, "IAM CreateRole RoleName: 1 to 64 characters"},
	{"IAM role policy", func(n Names) string { return n.RolePolicy }, 1, 128, "IAM PutRolePolicy PolicyName: 1 to 128 characters"},
	{"security group", func(n Names) string { return n.ALBSecurityGroup }, 1, 255, "EC2 CreateSecurityGroup GroupName: up to 255 characters"},
	{"Auto Scaling group", func(n Names) string { return n.AutoScalingGroup(strings.Repeat("z", maxZoneLength)) }, 1, 255, "Auto Scaling CreateAutoScalingGroup AutoScalingGroupName: 1 to 255 characters"},
	{"scaling policy", func(n Names) string { return n.ScalingPolicy(strings.Repeat("z", maxZoneLength)) }, 1, 255, "Auto Scaling PutScalingPolicy PolicyName: 1 to 255 characters"},
}

// suffixLength is how many characters a rule's derivation adds to the stack name.
func (r nameRule) suffixLength() int { return len(r.derive(NamesFor(Spec{}))) }

// NameMinLength and NameMaxLength bound the stack name so that every derived
// name fits its AWS limit: the launch template (at least 3 characters) sets
// the minimum, the target group ("<name>-<6 hex>", at most 32) the maximum.
var NameMinLength, NameMaxLength = nameBounds()

func nameBounds() (lo, hi int) {
	lo, hi = 1, 1<<30
	for _, r := range nameRules {
		lo = max(lo, r.min-r.suffixLength())
		hi = min(hi, r.max-r.suffixLength())
	}
	return lo, hi
}

// NamePattern is the stack name format; it is valid for every child's AWS name
// (RDS identifiers: letter first, no "--", no trailing hyphen; ELB names:
// alphanumerics and hyphens, not starting or ending with a hyphen; launch
// template, IAM and security group names allow a superset).
var NamePattern = regexp.MustCompile(`^[a-z]([a-z0-9]|-[a-z0-9])*$`)

// reservedNames are stack names AWS refuses for a derived name.
var reservedNames = []struct{ prefix, exact, why string }{
	// ELBv2 CreateLoadBalancer Name: "must not begin with internal-".
	{prefix: "internal-", why: "AWS reserves that prefix for load balancer names"},
	// EC2 CreateSecurityGroup GroupName: "Cannot start with sg-".
	{prefix: "sg-", why: "AWS refuses security group names (here <name>-alb, <name>-app, <name>-db) starting with sg-"},
	// RDS CreateDBSubnetGroup DBSubnetGroupName: "Must not be default".
	{exact: "default", why: "AWS refuses it as the DB subnet group's name"},
}

// ValidateName explains what is wrong with a stack name, or returns nil.
func ValidateName(name string) error {
	if len(name) < NameMinLength || len(name) > NameMaxLength {
		return fmt.Errorf("must be %d to %d characters long (got %d): %s", NameMinLength, NameMaxLength, len(name), tightestRule(name))
	}
	if !NamePattern.MatchString(name) {
		return fmt.Errorf("must start with a lower-case letter and contain only lower-case letters, digits and single hyphens, not ending in a hyphen (got %q)", name)
	}
	for _, r := range reservedNames {
		switch {
		case r.prefix != "" && strings.HasPrefix(name, r.prefix):
			return fmt.Errorf("must not start with %q: %s", r.prefix, r.why)
		case r.exact != "" && name == r.exact:
			return fmt.Errorf("must not be %q: %s", r.exact, r.why)
		}
	}
	return nil
}

// tightestRule names the derived name a stack name of that length breaks.
func tightestRule(name string) string {
	n := NamesFor(Spec{Name: name})
	for _, r := range nameRules {
		if d := r.derive(n); len(d) < r.min || len(d) > r.max {
			return fmt.Sprintf("the %s name %q would be %d characters, and AWS allows %d to %d (%s)", r.child, d, len(d), r.min, r.max, r.source)
		}
	}
	return "every derived name must fit its AWS limit"
}

// Names are the AWS names of a stack's children.
type Names struct {
	ALBSecurityGroup, AppSecurityGroup, DBSecurityGroup string
	InstanceRole, RolePolicy                            string
	LoadBalancer, TargetGroup                           string
	HTTPListener, HTTPSListener                         string
	DBSubnetGroup, DBInstance, FinalSnapshot            string
	LaunchTemplate                                      string
	// OutcomeAlarm is zonal_autoshift's CloudWatch alarm.
	OutcomeAlarm string
	stack        string
}

// NamesFor derives every child's name from the stack name. The target group
// name carries a hash of what AWS cannot change in place (port, protocol, VPC),
// so a replacement target group never collides with the one it replaces.
func NamesFor(s Spec) Names {
	n := s.Name
	return Names{
		ALBSecurityGroup: n + "-alb", AppSecurityGroup: n + "-app", DBSecurityGroup: n + "-db",
		InstanceRole: n + "-instance", RolePolicy: n + "-read-db-secret",
		LoadBalancer: n,
		TargetGroup:  n + "-" + shortHash(s.VPCID, strconv.Itoa(int(s.Instances.Port)), "HTTP"),
		// Listeners have no AWS name; these label them in plans and errors.
		HTTPListener: n + "-http", HTTPSListener: n + "-https",
		DBSubnetGroup: n, DBInstance: n, FinalSnapshot: n + "-final",
		LaunchTemplate: n,
		OutcomeAlarm:   n + "-autoshift-outcome",
		stack:          n,
	}
}

// AutoScalingGroup is the name of a zone's group.
func (n Names) AutoScalingGroup(zone string) string { return n.stack + "-" + zone }

// ScalingPolicy is the name of a zone's target-tracking policy.
func (n Names) ScalingPolicy(zone string) string { return n.stack + "-" + zone + "-target-tracking" }

// ZonalShift labels the stack's shift away from a zone (ARC shifts have no
// name; this one appears in plans and messages).
func (n Names) ZonalShift(zone string) string { return n.stack + " away from " + zone }
