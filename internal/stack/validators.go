package stack

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

type attrValue = attr.Value

func stringDefault(s string) defaults.String    { return stringdefault.StaticString(s) }
func float64Default(f float64) defaults.Float64 { return float64default.StaticFloat64(f) }

// nameValidator applies the blueprint's naming rules, which keep every
// derived AWS name inside its limits.
type nameValidator struct{}

func (nameValidator) Description(context.Context) string {
	return fmt.Sprintf("%d to %d lower-case letters, digits and single hyphens, starting with a letter", blueprint.NameMinLength, blueprint.NameMaxLength)
}
func (v nameValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (nameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := blueprint.ValidateName(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid stack name",
			"name: the stack name "+err.Error()+". Choose a name that follows this rule, such as fruit-api.")
	}
}

// cidrValidator accepts IPv4 and IPv6 CIDR blocks in canonical form.
type cidrValidator struct{}

func (cidrValidator) Description(context.Context) string {
	return "a CIDR block such as 203.0.113.0/24"
}
func (v cidrValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (cidrValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid CIDR block", fmt.Sprintf("%s: %q is not a CIDR block; write it like 203.0.113.0/24.", req.Path, s))
	case p.Masked() != p:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid CIDR block",
			fmt.Sprintf("%s: %q has host bits set; AWS expects the network address: write %s.", req.Path, s, p.Masked()))
	}
}

// uniqueValues refuses a list that repeats a value, naming the attribute
// and the repeated value (the framework's own validator names neither in
// its text, and Terraform shows nested attributes' errors on the resource).
type uniqueValues struct{}

func (uniqueValues) Description(context.Context) string { return "every value at most once" }
func (v uniqueValues) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (uniqueValues) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	seen := map[string]int{}
	for i, e := range req.ConfigValue.Elements() {
		if e.IsUnknown() || e.IsNull() {
			continue
		}
		k := e.String()
		if first, dup := seen[k]; dup {
			resp.Diagnostics.AddAttributeError(req.Path.AtListIndex(i), "Duplicate value",
				fmt.Sprintf("%s[%d] repeats %s[%d] (%s). Remove the repeated value.", req.Path, i, req.Path, first, k))
			continue
		}
		seen[k] = i
	}
}

// matcherValidator checks the health check's success codes beyond their
// syntax: an ALB HTTP target group accepts codes from 200 to 499 (ELBv2 API
// reference, Matcher.HttpCode), and a range must go upwards.
type matcherValidator struct{}

func (matcherValidator) Description(context.Context) string {
	return "HTTP codes from 200 to 499, such as 200, 200-299 or 200,302"
}
func (v matcherValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (matcherValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := checkMatcher(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid health check matcher", req.Path.String()+": "+err.Error()+".")
	}
}

// checkMatcher explains what is wrong with a matcher such as "200,300-399",
// or returns nil. The syntax itself is the schema's regular expression.
func checkMatcher(m string) error {
	for _, part := range strings.Split(m, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		from, err1 := strconv.Atoi(lo)
		to, err2 := strconv.Atoi(hi)
		switch {
		case err1 != nil || err2 != nil:
			return fmt.Errorf("%q is not an HTTP code or a range of codes such as 200-299", part)
		case from < 200 || to > 499:
			return fmt.Errorf("%q is outside 200-499, the codes an Application Load Balancer's HTTP health check accepts. Use codes from 200 to 499, for example 200-399", part)
		case from > to:
			return fmt.Errorf("the range %q goes downwards. Write it lowest first, for example %d-%d", part, to, from)
		}
	}
	return nil
}

// Tag rules every tagged AWS resource shares (AWS General Reference, "Tagging
// your AWS resources": at most 50 user tags per resource, keys of 1 to 128
// characters, values of at most 256, and the aws: prefix reserved for AWS).
const (
	maxTagsPerResource = 50
	maxTagKeyLength    = 128
	maxTagValueLength  = 256
	// ownershipTags are the most tags the provider sets on one child: the
	// hawebapp:stack and hawebapp:part tags on every child, and
	// hawebapp:final-snapshot on the database (so a stack without one is
	// held to one tag fewer than AWS would take on its children).
	ownershipTags = 3
)

// tagProblems lists what AWS would refuse in the tags the children carry.
func tagProblems(tags map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(tags) {
		switch {
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			out = append(out, fmt.Sprintf("tag key %q starts with aws:, which AWS reserves for its own tags: rename it", k))
		case len(k) > maxTagKeyLength:
			out = append(out, fmt.Sprintf("tag key %q is %d characters, AWS allows at most %d: shorten it", k, len(k), maxTagKeyLength))
		case len(tags[k]) > maxTagValueLength:
			out = append(out, fmt.Sprintf("the value of tag %q is %d characters, AWS allows at most %d: shorten it", k, len(tags[k]), maxTagValueLength))
		}
	}
	if n := len(tags) + ownershipTags; n > maxTagsPerResource {
		out = append(out, fmt.Sprintf("a child would carry up to %d tags (%d of yours and the provider's default_tags, plus up to %d the provider sets itself), and AWS allows %d per resource: remove at least %d",
			n, len(tags), ownershipTags, maxTagsPerResource, n-maxTagsPerResource))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
