package cloud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

type securityGroups struct{ *Cloud }

// findSecurityGroups pages through the groups matching input.
func (c securityGroups) findSecurityGroups(ctx context.Context, input *ec2.DescribeSecurityGroupsInput) ([]ec2types.SecurityGroup, error) {
	var out []ec2types.SecurityGroup
	pages := ec2.NewDescribeSecurityGroupsPaginator(c.ec2, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.SecurityGroups...)
	}
	return out, nil
}

// findSecurityGroupByName finds a VPC's group by name (names are unique per VPC).
func (c securityGroups) findSecurityGroupByName(ctx context.Context, vpcID, name string) (*ec2types.SecurityGroup, error) {
	groups, err := c.findSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{name}},
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
	}})
	if err != nil {
		return nil, fmt.Errorf("reading security group (%s): %w", name, err)
	}
	if len(groups) == 0 {
		return nil, notFound("security group", name)
	}
	return &groups[0], nil
}

func (c securityGroups) findSecurityGroupByID(ctx context.Context, id string) (*ec2types.SecurityGroup, error) {
	groups, err := c.findSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		return nil, fmt.Errorf("reading security group (%s): %w", id, asNotFound(err, "security group", id, errCodeInvalidGroupNotFound, errCodeInvalidGroupIDMalformed))
	}
	// Eventual consistency check: the filter must have matched this group.
	if len(groups) == 0 || aws.ToString(groups[0].GroupId) != id {
		return nil, notFound("security group", id)
	}
	return &groups[0], nil
}

// find prefers the observed ID and falls back to the name (an adopted or
// half-created group has no ID in state yet).
func (c securityGroups) find(ctx context.Context, p blueprint.Part, cur engine.Observation, vpcID string) (*ec2types.SecurityGroup, error) {
	if cur.ID != "" {
		return c.findSecurityGroupByID(ctx, cur.ID)
	}
	return c.findSecurityGroupByName(ctx, vpcID, p.Name)
}

func (c securityGroups) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.SecurityGroupProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	sg, err := c.findSecurityGroupByName(ctx, props.VPCID, p.Name)
	switch {
	case err == nil:
		if err := checkOwned(p, "security group", p.Name, fromEC2Tags(sg.Tags)); err != nil {
			return engine.Observation{}, err
		}
		return c.update(ctx, p, engine.Observation{ID: aws.ToString(sg.GroupId)}, refs)
	case !errors.Is(err, ErrNotFound):
		return engine.Observation{}, err
	}
	out, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(p.Name), Description: aws.String(props.Description), VpcId: aws.String(props.VPCID),
		TagSpecifications: ec2TagSpec(ec2types.ResourceTypeSecurityGroup, p.Tags),
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("creating security group (%s): %w", p.Name, err)
	}
	return c.update(ctx, p, engine.Observation{ID: aws.ToString(out.GroupId)}, refs)
}

// update makes the group's rules exactly the desired ones (this is where
// AWS's default allow-all egress goes when the part wants other egress) and
// adds missing tags.
func (c securityGroups) update(ctx context.Context, p blueprint.Part, cur engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.SecurityGroupProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	sg, err := c.find(ctx, p, cur, props.VPCID)
	if err != nil {
		return engine.Observation{}, err
	}
	id := aws.ToString(sg.GroupId)
	if v := aws.ToString(sg.VpcId); v != props.VPCID {
		return engine.Observation{}, fmt.Errorf("updating security group (%s): it is in VPC %s, want %s, and AWS cannot move a security group between VPCs", p.Name, v, props.VPCID)
	}
	want, unresolved := desiredRules(props, func(key string) string { return refs[key].ID })
	if len(unresolved) > 0 {
		return engine.Observation{}, fmt.Errorf("updating security group (%s): rules refer to groups not available: %s", p.Name, strings.Join(unresolved, ", "))
	}
	have := foundRules(sg)
	var add, remove []sgRule
	for k, r := range want {
		if _, ok := have[k]; !ok {
			add = append(add, r)
		}
	}
	for k, r := range have {
		if _, ok := want[k]; !ok {
			remove = append(remove, r)
		}
	}
	if err := c.revoke(ctx, id, remove); err != nil {
		return engine.Observation{}, fmt.Errorf("updating security group (%s): %w", p.Name, err)
	}
	if err := c.authorize(ctx, id, add); err != nil {
		return engine.Observation{}, fmt.Errorf("updating security group (%s): %w", p.Name, err)
	}
	tags := fromEC2Tags(sg.Tags)
	if missing := missingTags(p.Tags, tags); len(missing) > 0 {
		if _, err := c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(missing)}); err != nil {
			return engine.Observation{}, fmt.Errorf("tagging security group (%s): %w", p.Name, err)
		}
		for k, v := range missing {
			tags[k] = v
		}
	}
	o := newObservation(p, aws.ToString(sg.GroupName), id, "", tags)
	o.Props = securityGroupProps(sg, updatedRules(have, remove, add), securityGroupKeyIn(refs, p, id))
	return o, nil
}

func (c securityGroups) authorize(ctx context.Context, id string, rules []sgRule) error {
	for _, r := range rules {
		perm := []ec2types.IpPermission{r.permission(true)}
		var err error
		if r.egress {
			_, err = c.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: perm})
		} else {
			_, err = c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perm})
		}
		if err != nil && !isCode(err, errCodeInvalidPermissionDuplicate) {
			return fmt.Errorf("authorizing %s: %w", r, err)
		}
	}
	return nil
}

func (c securityGroups) revoke(ctx context.Context, id string, rules []sgRule) error {
	for _, r := range rules {
		perm := []ec2types.IpPermission{r.permission(false)}
		var err error
		if r.egress {
			_, err = c.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: perm})
		} else {
			_, err = c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perm})
		}
		if err != nil && !isCode(err, errCodeInvalidPermissionNotFound) {
			return fmt.Errorf("revoking %s: %w", r, err)
		}
	}
	return nil
}

// delete first revokes this group's rules that name other groups, so the
// groups can go in any order, then deletes it, retrying while AWS still has
// network interfaces (of a deleted load balancer or instance) in it.
func (c securityGroups) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	var vpcID string
	if props, ok := p.Props.(blueprint.SecurityGroupProps); ok {
		vpcID = props.VPCID
	}
	if cur.ID == "" && vpcID == "" {
		return nil // nothing to find it by: it was never created
	}
	sg, err := c.find(ctx, p, cur, vpcID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	id := aws.ToString(sg.GroupId)
	var refRules []sgRule
	for _, r := range foundRules(sg) {
		if r.group != "" {
			refRules = append(refRules, r)
		}
	}
	if err := c.revoke(ctx, id, refRules); err != nil {
		return fmt.Errorf("deleting security group (%s): %w", id, err)
	}
	err = retryWhile(ctx, "security group "+id+" to be free of network interfaces", func(err error) bool {
		return isCode(err, errCodeDependencyViolation)
	}, func(ctx context.Context) error {
		_, err := c.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		if isCode(err, errCodeInvalidGroupNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting security group (%s): %w", id, err)
	}
	return nil
}

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

// securityGroupDrift words the difference between the found group and the part.
func securityGroupDrift(p blueprint.Part, sg *ec2types.SecurityGroup, groupID func(string) string) []string {
	props, ok := p.Props.(blueprint.SecurityGroupProps)
	if !ok {
		return nil
	}
	var drift []string
	if v := aws.ToString(sg.VpcId); v != props.VPCID {
		drift = append(drift, fmt.Sprintf("in VPC %s, want %s", v, props.VPCID))
	}
	want, unresolved := desiredRules(props, groupID)
	for _, key := range unresolved {
		drift = append(drift, fmt.Sprintf("rule for %s, which is missing", key))
	}
	have := foundRules(sg)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if _, ok := have[k]; !ok {
			drift = append(drift, want[k].String()+" missing")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[k]; !ok {
			drift = append(drift, "unexpected "+have[k].String())
		}
	}
	return append(drift, tagDrift(p.Tags, fromEC2Tags(sg.Tags))...)
}
