package recorder

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestGroupOfLeavesTheBodyReadable: the group is read from either field a
// call names it by, and whatever serves the call next still reads the
// whole form.
func TestGroupOfLeavesTheBodyReadable(t *testing.T) {
	for _, form := range []string{
		"Action=UpdateAutoScalingGroup&AutoScalingGroupName=web-us-east-1a",
		"Action=CreateOrUpdateTags&Tags.member.1.ResourceId=web-us-east-1a&Tags.member.1.ResourceType=auto-scaling-group",
	} {
		r, _ := http.NewRequest(http.MethodPost, "http://emulator/", strings.NewReader(form))
		if got := GroupOf(r); got != "web-us-east-1a" {
			t.Errorf("GroupOf(%q) = %q, want web-us-east-1a", form, got)
		}
		rest, _ := io.ReadAll(r.Body)
		if string(rest) != form {
			t.Errorf("body after GroupOf = %q, want %q", rest, form)
		}
	}
}
