package cloud

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// extras adds the stack's children that no part of the blueprint matched,
// keyed by their hawebapp:part tag: always its security groups and Auto
// Scaling groups (orphans, such as a removed zone's group, which the engine
// deletes) and the listeners on its load balancer tagged as its own (the
// HTTPS listener after the certificate is removed); with readAll (import)
// also the scaling policies of those groups and untagged listeners, known
// by what they do. A key already observed is kept.
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
	for i, l := range f.listeners {
		if refKeyByARN(out, blueprint.KindLoadBalancer, aws.ToString(l.LoadBalancerArn)) == "" {
			continue // not on the stack's load balancer
		}
		tags := f.elbTags[aws.ToString(l.ListenerArn)]
		key := tags[blueprint.TagPart]
		if tags[blueprint.TagStack] != stack {
			if !f.readAll {
				continue // a refresh only removes listeners it can prove are ours
			}
			key = listenerRole(&l, out)
		}
		if p, ok := part(blueprint.KindListener, key, listenerName(stack, key)); ok {
			out[p.Key] = listenerObservation(p, &f.listeners[i], tags, out)
		}
	}
	f.autoshiftExtras(stack, out)
	if !f.readAll {
		return
	}
	for i, pol := range f.policies {
		group := refKeyByName(out, blueprint.KindAutoScalingGroup, aws.ToString(pol.AutoScalingGroupName))
		zone, ok := strings.CutPrefix(group, string(blueprint.KindAutoScalingGroup)+"/")
		if !ok {
			continue
		}
		if p, ok := part(blueprint.KindScalingPolicy, blueprint.KeyFor(blueprint.KindScalingPolicy, zone), aws.ToString(pol.PolicyName)); ok {
			out[p.Key] = policyObservation(p, &f.policies[i], out)
		}
	}
}

// listenerRole is the key of an untagged listener on the stack's load
// balancer, known by what it does: the HTTP listener forwards to the stack's
// target group or redirects to HTTPS, the HTTPS listener forwards.
func listenerRole(l *elbtypes.Listener, refs engine.Refs) string {
	if len(l.DefaultActions) != 1 {
		return ""
	}
	a := l.DefaultActions[0]
	action := listenerAction(a)
	forwards := action == blueprint.ActionForward && refKeyByARN(refs, blueprint.KindTargetGroup, forwardTarget(a)) != ""
	switch {
	case l.Protocol == elbtypes.ProtocolEnumHttp && (forwards || action == blueprint.ActionRedirectHTTPS):
		return blueprint.KeyHTTPListener
	case l.Protocol == elbtypes.ProtocolEnumHttps && forwards:
		return blueprint.KeyHTTPSListener
	}
	return ""
}

// listenerName is the label the blueprint gives a listener (it has no AWS name).
func listenerName(stack, key string) string {
	names := blueprint.NamesFor(blueprint.Spec{Name: stack})
	switch key {
	case blueprint.KeyHTTPListener:
		return names.HTTPListener
	case blueprint.KeyHTTPSListener:
		return names.HTTPSListener
	}
	return stack + "-" + strings.TrimPrefix(key, string(blueprint.KindListener)+"/")
}

// groupZone is the zone of a stack's group: from its hawebapp:part tag,
// else its first availability zone.
func groupZone(g astypes.AutoScalingGroup) string {
	if zone, ok := strings.CutPrefix(fromASGTags(g.Tags)[blueprint.TagPart], string(blueprint.KindAutoScalingGroup)+"/"); ok {
		return zone
	}
	return firstOr(g.AvailabilityZones)
}
