package blueprint

import (
	"fmt"
	"regexp"
	"strconv"
)

// NameMaxLength keeps every derived AWS name within its limit: the target
// group name "<name>-<6 hex>" must fit the 32 characters ALB and TG names allow.
const NameMaxLength = 24

// NamePattern is the stack name format; it is valid for every child's AWS name
// (RDS identifiers: letter first, no "--", no trailing hyphen).
var NamePattern = regexp.MustCompile(`^[a-z]([a-z0-9]|-[a-z0-9])*$`)

// ValidateName explains what is wrong with a stack name, or returns nil.
func ValidateName(name string) error {
	switch {
	case len(name) < 2 || len(name) > NameMaxLength:
		return fmt.Errorf("must be 2 to %d characters long (got %d): derived names such as the target group's %q must fit AWS's 32-character limit", NameMaxLength, len(name), name+"-abc123")
	case !NamePattern.MatchString(name):
		return fmt.Errorf("must start with a lower-case letter and contain only lower-case letters, digits and single hyphens, not ending in a hyphen (got %q)", name)
	case len(name) >= 9 && name[:9] == "internal-":
		return fmt.Errorf("must not start with \"internal-\": AWS reserves that prefix for load balancer names")
	}
	return nil
}

// Names are the AWS names of a stack's children.
type Names struct {
	ALBSecurityGroup, AppSecurityGroup, DBSecurityGroup string
	InstanceRole, RolePolicy                            string
	LoadBalancer, TargetGroup                           string
	HTTPListener, HTTPSListener                         string
	DBSubnetGroup, DBInstance, FinalSnapshot            string
	LaunchTemplate                                      string
	stack                                               string
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
		stack:          n,
	}
}

// AutoScalingGroup is the name of a zone's group.
func (n Names) AutoScalingGroup(zone string) string { return n.stack + "-" + zone }

// ScalingPolicy is the name of a zone's target-tracking policy.
func (n Names) ScalingPolicy(zone string) string { return n.stack + "-" + zone + "-target-tracking" }
