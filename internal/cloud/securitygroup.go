package cloud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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
		return c.sync(ctx, p, sg, refs, false)
	case !errors.Is(err, ErrNotFound):
		return engine.Observation{}, err
	}
	out, err := createCall(ctx, c.ec2.CreateSecurityGroup, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(p.Name), Description: aws.String(props.Description), VpcId: aws.String(props.VPCID),
		TagSpecifications: ec2TagSpec(ec2types.ResourceTypeSecurityGroup, p.Tags),
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("creating security group (%s): %w", p.Name, err)
	}
	// From here on the group exists and is ours, whatever fails next.
	id := aws.ToString(out.GroupId)
	sg, err = c.waitSecurityGroupCreated(ctx, id)
	if err != nil {
		return createdObservation(p, p.Name, id, ""), fmt.Errorf("creating security group (%s): %w", p.Name, err)
	}
	o, err := c.sync(ctx, p, sg, refs, true)
	if err != nil {
		return createdObservation(p, p.Name, id, ""), err
	}
	return o, nil
}

// waitSecurityGroupCreated reads a group just created until EC2 shows it:
// EC2 is eventually consistent, and for a while after CreateSecurityGroup
// DescribeSecurityGroups may answer InvalidGroup.NotFound or leave it out
// (AWS EC2 API reference, "Eventual consistency in the Amazon EC2 API";
// hashicorp/aws ec2 vpc_security_group.go resourceSecurityGroupCreate waits
// the same way with waitSecurityGroupCreated). The wait is bounded by
// ec2PropagationTimeout.
func (c securityGroups) waitSecurityGroupCreated(ctx context.Context, id string) (*ec2types.SecurityGroup, error) {
	ctx, cancel := context.WithTimeout(ctx, ec2PropagationTimeout)
	defer cancel()
	var sg *ec2types.SecurityGroup
	err := retryWhile(ctx, "security group "+id+" to be visible", func(err error) bool { return errors.Is(err, ErrNotFound) },
		func(ctx context.Context) error {
			var err error
			sg, err = c.findSecurityGroupByID(ctx, id)
			return err
		})
	return sg, err
}

// update makes the group's rules exactly the desired ones (this is where
// AWS's default allow-all egress goes when the part wants other egress) and
// adds missing tags.
func (c securityGroups) update(ctx context.Context, p blueprint.Part, cur engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.SecurityGroupProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	// The update's observation has just seen the group (by its tags), so
	// a NotFound by ID is EC2's eventual consistency, not a deletion: a
	// group an interrupted apply created moments ago may not be visible by
	// ID yet (AWS EC2 API reference, "Eventual consistency in the Amazon EC2
	// API"). It is waited for as after a create.
	var sg *ec2types.SecurityGroup
	if cur.ID != "" {
		sg, err = c.waitSecurityGroupCreated(ctx, cur.ID)
	} else {
		sg, err = c.find(ctx, p, cur, props.VPCID)
	}
	if err != nil {
		return engine.Observation{}, err
	}
	// fresh: the group (or a group its rules name) may be one an
	// interrupted apply made moments ago, which Authorize/Revoke may not
	// know yet either.
	return c.sync(ctx, p, sg, refs, true)
}

// sync makes the found group's rules and tags the desired ones. fresh says
// the group was created just now, so EC2 may not know it everywhere yet.
func (c securityGroups) sync(ctx context.Context, p blueprint.Part, sg *ec2types.SecurityGroup, refs engine.Refs, fresh bool) (engine.Observation, error) {
	props, err := props[blueprint.SecurityGroupProps](p)
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
	if err := c.revoke(ctx, id, remove, fresh); err != nil {
		return engine.Observation{}, fmt.Errorf("updating security group (%s): %w", p.Name, err)
	}
	if err := c.authorize(ctx, id, add, fresh); err != nil {
		return engine.Observation{}, fmt.Errorf("updating security group (%s): %w", p.Name, err)
	}
	tags := fromEC2Tags(sg.Tags)
	if missing := missingTags(p.Tags, tags); len(missing) > 0 {
		err := whileNew(ctx, fresh, "security group "+id+" to be taggable", func(ctx context.Context) error {
			_, err := c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(missing)})
			return err
		})
		if err != nil {
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

func (c securityGroups) authorize(ctx context.Context, id string, rules []sgRule, fresh bool) error {
	for _, r := range rules {
		perm := []ec2types.IpPermission{r.permission(true)}
		err := whileNew(ctx, fresh, "security group "+id+" to accept rules", func(ctx context.Context) error {
			var err error
			if r.egress {
				_, err = c.ec2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: perm})
			} else {
				_, err = c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perm})
			}
			return err
		})
		if err != nil && !isCode(err, errCodeInvalidPermissionDuplicate) {
			return fmt.Errorf("authorizing %s: %w", r, err)
		}
	}
	return nil
}

// revoke removes rules as found in the group, descriptions included: AWS
// matches a revoke without the description too (EC2 API reference,
// RevokeSecurityGroupIngress: "you do not need to specify the description
// to revoke the rule"), but moto matches it exactly and, like AWS in a
// non-default VPC, answers InvalidPermission.NotFound for a rule that
// differs, which reads as "already gone": a port change once left the old
// port's rule in place, seen as drift on the next refresh.
func (c securityGroups) revoke(ctx context.Context, id string, rules []sgRule, fresh bool) error {
	for _, r := range rules {
		perm := []ec2types.IpPermission{r.permission(true)}
		err := whileNew(ctx, fresh, "security group "+id+" to revoke rules", func(ctx context.Context) error {
			var err error
			if r.egress {
				_, err = c.ec2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: perm})
			} else {
				_, err = c.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perm})
			}
			return err
		})
		if err != nil && !isCode(err, errCodeInvalidPermissionNotFound) {
			return fmt.Errorf("revoking %s: %w", r, err)
		}
	}
	return nil
}

// whileNew calls fn once, or, for a group created just now (fresh), retries
// it while EC2 still answers InvalidGroup.NotFound, for at most
// ec2PropagationTimeout. Even after one Describe found the group, another
// EC2 endpoint may not know it yet (AWS EC2 API reference, "Eventual
// consistency in the Amazon EC2 API": "a resource you create may not be
// immediately available to subsequent calls"; hashicorp/aws waits until
// the group is seen three times in a row, waitSecurityGroupCreated with
// ContinuousTargetOccurence 3, before its first Authorize).
func whileNew(ctx context.Context, fresh bool, what string, fn func(context.Context) error) error {
	if !fresh {
		return fn(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, ec2PropagationTimeout)
	defer cancel()
	return retryWhile(ctx, what, func(err error) bool { return isCode(err, errCodeInvalidGroupNotFound) }, fn)
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
	if err := c.revoke(ctx, id, refRules, false); err != nil {
		return fmt.Errorf("deleting security group (%s): %w", id, err)
	}
	// DependencyViolation: network interfaces of a deleted load balancer,
	// instance or database still hold the group, or another group's rule
	// names it (EC2 API reference, DeleteSecurityGroup). InvalidGroup.InUse:
	// "in use by another security group" (EC2 API reference, "Error codes
	// for the Amazon EC2 API"). Both pass; hashicorp/aws
	// internal/service/ec2/vpc_security_group.go resourceSecurityGroupDelete
	// retries both codes for the delete timeout, as this does (ctx carries
	// the resource's delete timeout).
	err = retryWhile(ctx, "security group "+id+" to be free of network interfaces and references", func(err error) bool {
		return isCode(err, errCodeDependencyViolation, errCodeInvalidGroupInUse)
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
