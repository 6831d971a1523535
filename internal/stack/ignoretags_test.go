package stack

import (
	"fmt"
	"testing"
)

// TestIgnoreTagsManaged: keys match exactly, prefixes by prefix; the tags
// left are the ones Read compares and Update writes, and the input is not
// changed (Create still writes every tag).
func TestIgnoreTagsManaged(t *testing.T) {
	it := IgnoreTags{Keys: []string{"Environment"}, KeyPrefixes: []string{"scanner:"}}
	tags := map[string]string{"Environment": "Test", "EnvironmentName": "x", "scanner:last": "today", "team": "web"}
	got := it.managed(tags)
	if want := "map[EnvironmentName:x team:web]"; fmt.Sprint(got) != want {
		t.Errorf("managed = %v, want %s", got, want)
	}
	if len(tags) != 4 {
		t.Errorf("managed changed its input: %v", tags)
	}
	if (IgnoreTags{}).Ignored("anything") {
		t.Error("no ignore_tags ignores a tag")
	}
}
