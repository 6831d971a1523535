package cloud

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// observation builds one part's observation from what Observe read; refs
// holds the parts observed so far (its dependencies among them).
func (f *found) observation(p blueprint.Part, refs engine.Refs, region string) (engine.Observation, bool) {
	stack := p.Tags[blueprint.TagStack]
	switch p.Kind {
	case blueprint.KindSecurityGroup:
		for i, sg := range f.securityGroups {
			if fromEC2Tags(sg.Tags)[blueprint.TagPart] == p.Key {
				return securityGroupObservation(p, &f.securityGroups[i], f.securityGroupID, f.securityGroupKey), true
			}
		}
	case blueprint.KindInstanceRole:
		if f.profile != nil {
			return instanceRoleObservation(p, f.profile, f.attached), true
		}
	case blueprint.KindInstanceRolePolicy:
		props, _ := p.Props.(blueprint.InstanceRolePolicyProps)
		if role, ok := refs[props.RoleKey]; ok && f.rolePolicy != nil {
			return rolePolicyObservation(p, role.Name, *f.rolePolicy, refs), true
		}
	case blueprint.KindLoadBalancer:
		if lb := f.loadBalancer; lb != nil {
			if tags := f.elbTags[aws.ToString(lb.LoadBalancerArn)]; tags[blueprint.TagStack] == stack {
				return loadBalancerObservation(p, lb, tags, refs, f.lbAttributes), true
			}
		}
	case blueprint.KindTargetGroup:
		if tg := f.targetGroup(p); tg != nil {
			return targetGroupObservation(p, tg, f.elbTags[aws.ToString(tg.TargetGroupArn)], f.targetGroupAttrs[aws.ToString(tg.TargetGroupArn)]), true
		}
	case blueprint.KindListener:
		props, _ := p.Props.(blueprint.ListenerProps)
		if _, ok := refs[props.LoadBalancerKey]; !ok {
			break // listeners of a load balancer that is not ours are not read
		}
		if l, ours := pickListener(p, props.Port, f.listeners, f.elbTags); ours {
			return listenerObservation(p, l, f.elbTags[aws.ToString(l.ListenerArn)], refs), true
		}
	case blueprint.KindDBSubnetGroup:
		if f.subnetGroup != nil {
			return dbSubnetGroupObservation(p, f.subnetGroup, nil), true
		}
	case blueprint.KindDBInstance:
		if f.db != nil {
			return dbInstanceObservation(p, f.db, refs), true
		}
	case blueprint.KindSecretRotation:
		if db, ok := refs[blueprint.KeyDBInstance]; ok && f.secret != nil {
			return secretRotationObservation(p, db.Name, aws.ToString(f.secret.ARN), f.secret), true
		}
	case blueprint.KindLaunchTemplate:
		if f.template != nil {
			if o := launchTemplateObservation(p, f.template, refs, region); o.Tags[blueprint.TagStack] == stack {
				return o, true
			}
		}
	case blueprint.KindAutoScalingGroup:
		for i, g := range f.groups {
			if fromASGTags(g.Tags)[blueprint.TagPart] == p.Key {
				return groupObservation(p, &f.groups[i], refs), true
			}
		}
	case blueprint.KindScalingPolicy:
		props, _ := p.Props.(blueprint.ScalingPolicyProps)
		group, ok := refs[props.AutoScalingGroupKey]
		if !ok {
			break
		}
		for i, pol := range f.policies {
			if aws.ToString(pol.PolicyName) == p.Name && aws.ToString(pol.AutoScalingGroupName) == group.Name {
				return policyObservation(p, &f.policies[i], refs), true
			}
		}
	case blueprint.KindOutcomeAlarm:
		if lb, ok := refs[blueprint.KeyLoadBalancer]; ok && f.alarm != nil {
			return alarmObservation(p, f.alarm, arnSuffix(lb.ARN)), true
		}
	case blueprint.KindAutoshift:
		lb, lbOK := refs[blueprint.KeyLoadBalancer]
		if alarm, ok := refs[blueprint.KeyOutcomeAlarm]; lbOK && ok && f.managed != nil && f.managed.PracticeRunConfiguration != nil {
			return autoshiftObservation(p, lb.ARN, alarm.ARN, f.managed), true
		}
	case blueprint.KindZonalShift:
		props, _ := p.Props.(blueprint.ZonalShiftProps)
		lb, ok := refs[props.LoadBalancerKey]
		if !ok {
			break
		}
		for _, s := range f.zonalShifts {
			if aws.ToString(s.Comment) == props.Comment && s.Status == zstypes.ZonalShiftStatusActive {
				return shiftObservation(p, props, lb.ARN, aws.ToString(s.ZonalShiftId), aws.ToTime(s.ExpiryTime), time.Now()), true
			}
		}
	}
	return engine.Observation{}, false
}

// securityGroupID resolves a security_group part key to the ID of the
// stack's group tagged with it.
func (f *found) securityGroupID(key string) string {
	for _, sg := range f.securityGroups {
		if fromEC2Tags(sg.Tags)[blueprint.TagPart] == key {
			return aws.ToString(sg.GroupId)
		}
	}
	return ""
}

// securityGroupKey resolves a group ID to the part key the stack's group
// with that ID is tagged with.
func (f *found) securityGroupKey(id string) string {
	for _, sg := range f.securityGroups {
		if aws.ToString(sg.GroupId) == id {
			return fromEC2Tags(sg.Tags)[blueprint.TagPart]
		}
	}
	return ""
}

// targetGroup picks the stack's target group for the part: the one with
// the desired name, else another one of the stack (being replaced).
func (f *found) targetGroup(p blueprint.Part) *elbtypes.TargetGroup {
	stack := p.Tags[blueprint.TagStack]
	var other *elbtypes.TargetGroup
	for i, tg := range f.targetGroups {
		if f.elbTags[aws.ToString(tg.TargetGroupArn)][blueprint.TagStack] != stack {
			continue
		}
		if aws.ToString(tg.TargetGroupName) == p.Name {
			return &f.targetGroups[i]
		}
		if other == nil {
			other = &f.targetGroups[i]
		}
	}
	return other
}
