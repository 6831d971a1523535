package cloud

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// A security group's rules as atoms: what the part wants and what AWS has,
// compared by key.

// sgRule is one atomic rule: one protocol and port range, one peer.
type sgRule struct {
	egress      bool
	proto       string
	from, to    int32
	cidr, group string // exactly one is set
	description string
}

// key identifies a rule regardless of its description, which is not drift.
func (r sgRule) key() string {
	return fmt.Sprintf("%t|%s|%d|%d|%s|%s", r.egress, r.proto, r.from, r.to, r.cidr, r.group)
}

func (r sgRule) String() string {
	dir, peer := "ingress", "from"
	if r.egress {
		dir, peer = "egress", "to"
	}
	ports := "all traffic"
	if r.proto != "-1" {
		ports = r.proto + " " + strconv.Itoa(int(r.from))
		if r.to != r.from {
			ports += "-" + strconv.Itoa(int(r.to))
		}
	}
	return fmt.Sprintf("%s %s %s %s", dir, ports, peer, r.cidr+r.group)
}

func (r sgRule) permission(withDescription bool) ec2types.IpPermission {
	perm := ec2types.IpPermission{IpProtocol: aws.String(r.proto)}
	if r.proto != "-1" {
		perm.FromPort, perm.ToPort = aws.Int32(r.from), aws.Int32(r.to)
	}
	var desc *string
	if withDescription && r.description != "" {
		desc = aws.String(r.description)
	}
	switch {
	case r.group != "":
		perm.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: aws.String(r.group), Description: desc}}
	case strings.Contains(r.cidr, ":"):
		perm.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(r.cidr), Description: desc}}
	default:
		perm.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(r.cidr), Description: desc}}
	}
	return perm
}

// desiredRules expands the part's rules into atoms. groupID resolves a
// security_group part key to its ID ("" when unknown: listed in unresolved).
func desiredRules(props blueprint.SecurityGroupProps, groupID func(key string) string) (map[string]sgRule, []string) {
	out := map[string]sgRule{}
	var unresolved []string
	add := func(egress bool, rules []blueprint.Rule) {
		for _, r := range rules {
			base := sgRule{egress: egress, proto: r.Protocol, from: r.FromPort, to: r.ToPort, description: r.Description}
			if base.proto == "-1" {
				base.from, base.to = 0, 0
			}
			for _, cidr := range r.CIDRs {
				a := base
				a.cidr = cidr
				out[a.key()] = a
			}
			if r.SourceGroupKey != "" {
				a := base
				if a.group = groupID(r.SourceGroupKey); a.group == "" {
					unresolved = append(unresolved, r.SourceGroupKey)
					continue
				}
				out[a.key()] = a
			}
		}
	}
	add(false, props.Ingress)
	add(true, props.Egress)
	return out, unresolved
}

// foundRules expands the group's permissions into atoms (with their descriptions).
func foundRules(sg *ec2types.SecurityGroup) map[string]sgRule {
	out := map[string]sgRule{}
	add := func(egress bool, perms []ec2types.IpPermission) {
		for _, p := range perms {
			base := sgRule{egress: egress, proto: aws.ToString(p.IpProtocol), from: aws.ToInt32(p.FromPort), to: aws.ToInt32(p.ToPort)}
			if base.proto == "-1" {
				base.from, base.to = 0, 0
			}
			for _, r := range p.IpRanges {
				a := base
				a.cidr, a.description = aws.ToString(r.CidrIp), aws.ToString(r.Description)
				out[a.key()] = a
			}
			for _, r := range p.Ipv6Ranges {
				a := base
				a.cidr, a.description = aws.ToString(r.CidrIpv6), aws.ToString(r.Description)
				out[a.key()] = a
			}
			for _, g := range p.UserIdGroupPairs {
				a := base
				a.group, a.description = aws.ToString(g.GroupId), aws.ToString(g.Description)
				out[a.key()] = a
			}
		}
	}
	add(false, sg.IpPermissions)
	add(true, sg.IpPermissionsEgress)
	return out
}
