package cloud

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// securityGroupObservation reads the group as found. idOf resolves a part
// key to the ID of the stack's group, keyOf the other way.
func securityGroupObservation(p blueprint.Part, sg *ec2types.SecurityGroup, idOf, keyOf func(string) string) engine.Observation {
	o := newObservation(p, aws.ToString(sg.GroupName), aws.ToString(sg.GroupId), "", fromEC2Tags(sg.Tags))
	o.Drift = securityGroupDrift(p, sg, idOf)
	o.Props = securityGroupProps(sg, foundRules(sg), keyOf)
	return o
}

// securityGroupProps writes the group's rule atoms back as blueprint rules:
// the CIDRs of one protocol, port range and description make one rule, and
// each referenced group one rule naming its key. A rule naming a group that
// keyOf does not know (not this stack's) is left out.
func securityGroupProps(sg *ec2types.SecurityGroup, atoms map[string]sgRule, keyOf func(id string) string) blueprint.SecurityGroupProps {
	return blueprint.SecurityGroupProps{
		VPCID: aws.ToString(sg.VpcId), Description: aws.ToString(sg.Description),
		Ingress: rulesOf(atoms, false, keyOf), Egress: rulesOf(atoms, true, keyOf),
	}
}

func rulesOf(atoms map[string]sgRule, egress bool, keyOf func(id string) string) []blueprint.Rule {
	type shape struct {
		proto       string
		from, to    int32
		description string
	}
	var out []blueprint.Rule
	cidrs := map[shape][]string{}
	for _, k := range slices.Sorted(maps.Keys(atoms)) {
		a := atoms[k]
		if a.egress != egress {
			continue
		}
		s := shape{a.proto, a.from, a.to, a.description}
		if a.group == "" {
			cidrs[s] = append(cidrs[s], a.cidr)
			continue
		}
		if key := keyOf(a.group); key != "" {
			out = append(out, blueprint.Rule{Protocol: s.proto, FromPort: s.from, ToPort: s.to, SourceGroupKey: key, Description: s.description})
		}
	}
	for s, c := range cidrs {
		out = append(out, blueprint.Rule{Protocol: s.proto, FromPort: s.from, ToPort: s.to, CIDRs: sortedOrNil(c), Description: s.description})
	}
	slices.SortFunc(out, func(a, b blueprint.Rule) int {
		return cmp.Or(cmp.Compare(a.FromPort, b.FromPort), cmp.Compare(a.ToPort, b.ToPort), cmp.Compare(a.Protocol, b.Protocol),
			cmp.Compare(a.SourceGroupKey, b.SourceGroupKey), cmp.Compare(strings.Join(a.CIDRs, ","), strings.Join(b.CIDRs, ",")),
			cmp.Compare(a.Description, b.Description))
	})
	return out
}

// updatedRules is the group's rules after update revoked and authorized.
func updatedRules(have map[string]sgRule, remove, add []sgRule) map[string]sgRule {
	out := maps.Clone(have)
	for _, r := range remove {
		delete(out, r.key())
	}
	for _, r := range add {
		out[r.key()] = r
	}
	return out
}

// securityGroupKeyIn resolves a group ID among refs, the group itself included.
func securityGroupKeyIn(refs engine.Refs, self blueprint.Part, selfID string) func(id string) string {
	return func(id string) string {
		if id == selfID {
			return self.Key
		}
		return refKeyByID(refs, blueprint.KindSecurityGroup, id)
	}
}
