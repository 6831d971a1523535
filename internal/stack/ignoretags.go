package stack

import (
	"maps"
	"strings"
)

// IgnoreTags are the tags another system manages: the provider's
// ignore_tags block, as hashicorp/aws has it (keys exactly, or by prefix).
// hashicorp/aws filters them out of every tag set it reads, so they are no
// drift. Here a stack's tag that matches is written when a create makes the
// child, then left to the other system: Read compares, and Update writes,
// only the tags that do not match, and an import does not read them into
// `tags`.
type IgnoreTags struct {
	Keys, KeyPrefixes []string
}

// Ignored reports whether the tag key is another system's.
func (it IgnoreTags) Ignored(key string) bool {
	for _, k := range it.Keys {
		if key == k {
			return true
		}
	}
	for _, p := range it.KeyPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// managed is tags without the ignored ones: what Read compares and Update
// writes. tags itself is left as it is.
func (it IgnoreTags) managed(tags map[string]string) map[string]string {
	out := maps.Clone(tags)
	maps.DeleteFunc(out, func(k, _ string) bool { return it.Ignored(k) })
	return out
}
