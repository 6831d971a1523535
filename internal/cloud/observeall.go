package cloud

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// extras adds the stack's children that no part of the blueprint matched,
// keyed by their hawebapp:part tag: its security groups and Auto Scaling
// groups (orphans, such as a removed zone's group, which the engine
// deletes). A key already observed is kept.
func (f *found) extras(bp blueprint.Blueprint, out map[string]engine.Observation) {
	stack := bp.Stack
	part := func(kind blueprint.Kind, key, name string) (blueprint.Part, bool) {
		if _, seen := out[key]; seen || key == "" {
			return blueprint.Part{}, false
		}
		return blueprint.Part{Kind: kind, Key: key, Name: name, Tags: map[string]string{blueprint.TagStack: stack, blueprint.TagPart: key}}, true
	}
	for i, sg := range f.securityGroups {
		if p, ok := part(blueprint.KindSecurityGroup, fromEC2Tags(sg.Tags)[blueprint.TagPart], aws.ToString(sg.GroupName)); ok {
			out[p.Key] = securityGroupObservation(p, &f.securityGroups[i], f.securityGroupID, f.securityGroupKey)
		}
	}
	for i, g := range f.groups {
		if p, ok := part(blueprint.KindAutoScalingGroup, fromASGTags(g.Tags)[blueprint.TagPart], aws.ToString(g.AutoScalingGroupName)); ok {
			out[p.Key] = groupObservation(p, &f.groups[i], out)
		}
	}
}
