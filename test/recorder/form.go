package recorder

import (
	"bytes"
	"cmp"
	"io"
	"net/http"
	"net/url"
)

// FormValue reads a field of a query-protocol call's form (Auto Scaling,
// EC2, ELB, RDS, IAM), leaving the body readable for whatever serves the
// call next.
func FormValue(r *http.Request, key string) string {
	if r.Body == nil {
		return ""
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return form.Get(key)
}

// GroupOf names the Auto Scaling group a call is about: the group a call
// names, or the group whose tags it sets (CreateOrUpdateTags).
func GroupOf(r *http.Request) string {
	return cmp.Or(FormValue(r, "AutoScalingGroupName"), FormValue(r, "Tags.member.1.ResourceId"))
}
