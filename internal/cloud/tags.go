package cloud

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// Each service spells a tag its own way; these convert to and from the
// map[string]string the blueprint and observations use. Keys are sorted so
// requests are deterministic.

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func ec2Tags(m map[string]string) []ec2types.Tag {
	var out []ec2types.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func ec2TagSpec(rt ec2types.ResourceType, m map[string]string) []ec2types.TagSpecification {
	return []ec2types.TagSpecification{{ResourceType: rt, Tags: ec2Tags(m)}}
}

func fromEC2Tags(tags []ec2types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func elbTags(m map[string]string) []elbtypes.Tag {
	var out []elbtypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, elbtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func fromELBTags(tags []elbtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// asgTags does not propagate to instances: they get the same tags from the
// launch template's tag specifications.
func asgTags(group string, m map[string]string) []astypes.Tag {
	var out []astypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, astypes.Tag{Key: aws.String(k), Value: aws.String(m[k]), ResourceId: aws.String(group),
			ResourceType: aws.String("auto-scaling-group"), PropagateAtLaunch: aws.Bool(false)})
	}
	return out
}

func fromASGTags(tags []astypes.TagDescription) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func iamTags(m map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func fromIAMTags(tags []iamtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func rdsTags(m map[string]string) []rdstypes.Tag {
	var out []rdstypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, rdstypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func fromRDSTags(tags []rdstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// tagDrift lists desired tags that are missing or different. Tags AWS or
// someone else added are not drift: the provider only owns the tags it sets.
func tagDrift(want, got map[string]string) []string {
	var drift []string
	for _, k := range sortedKeys(want) {
		v, ok := got[k]
		switch {
		case !ok:
			drift = append(drift, fmt.Sprintf("tag %s missing", k))
		case v != want[k]:
			drift = append(drift, fmt.Sprintf("tag %s is %q, want %q", k, v, want[k]))
		}
	}
	return drift
}

// missingTags is the subset of want that got lacks or holds differently.
func missingTags(want, got map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range want {
		if got[k] != v {
			m[k] = v
		}
	}
	return m
}
