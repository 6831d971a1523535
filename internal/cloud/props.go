package cloud

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// Every observation carries the child's properties as found (Observation.
// Props), in its kind's blueprint *Props type, so import can read the
// configuration back. A reference to another child is written as that
// child's part key, resolved among the observations at hand (the
// dependencies in Create and Update, everything observed before it in
// Observe); a child that is not among them leaves the key empty.

// refKey is the key of the observation of the given kind that match
// accepts ("" when none does; the smallest key when several do).
func refKey(refs engine.Refs, kind blueprint.Kind, match func(engine.Observation) bool) string {
	var found string
	for key, o := range refs {
		if o.Kind == kind && match(o) && (found == "" || key < found) {
			found = key
		}
	}
	return found
}

// refKeyByID resolves an ID (security group, launch template, ...) to a key.
func refKeyByID(refs engine.Refs, kind blueprint.Kind, id string) string {
	if id == "" {
		return ""
	}
	return refKey(refs, kind, func(o engine.Observation) bool { return o.ID == id })
}

// refKeyByARN resolves an ARN (load balancer, target group) to a key.
func refKeyByARN(refs engine.Refs, kind blueprint.Kind, arn string) string {
	if arn == "" {
		return ""
	}
	return refKey(refs, kind, func(o engine.Observation) bool { return o.ARN == arn })
}

// refKeyByName resolves an AWS name (DB subnet group, Auto Scaling group) to a key.
func refKeyByName(refs engine.Refs, kind blueprint.Kind, name string) string {
	if name == "" {
		return ""
	}
	return refKey(refs, kind, func(o engine.Observation) bool { return o.Name == name })
}

// firstOr returns the first value, or "" for none.
func firstOr(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// sortedOrNil returns a sorted copy, nil when empty (as the blueprint leaves
// an unset list), so found and desired properties compare equal.
func sortedOrNil(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(v))
}

// zonedID is an ID and its availability zone.
type zonedID struct{ zone, id string }

// idsByZone orders IDs by their availability zone's name, then by ID.
func idsByZone(v []zonedID) []string {
	if len(v) == 0 {
		return nil
	}
	slices.SortFunc(v, func(a, b zonedID) int { return cmp.Or(cmp.Compare(a.zone, b.zone), cmp.Compare(a.id, b.id)) })
	out := make([]string, len(v))
	for i, z := range v {
		out[i] = z.id
	}
	return out
}

// assumeService is the service principal an assume-role policy trusts (the
// first, by name, of the statements allowing sts:AssumeRole).
func assumeService(doc string) string {
	norm, err := normalizePolicy(doc)
	if err != nil {
		return ""
	}
	var d struct {
		Statement []struct {
			Effect    string
			Principal map[string][]string
			Action    []string
		}
	}
	if json.Unmarshal([]byte(norm), &d) != nil {
		return ""
	}
	for _, s := range d.Statement {
		if s.Effect == "Allow" && slices.Contains(s.Action, "sts:AssumeRole") && len(s.Principal["Service"]) > 0 {
			return s.Principal["Service"][0]
		}
	}
	return ""
}

// userDataVars reads back the variables RenderUserData put after the
// shebang line; nil when the script has no such header.
func userDataVars(rendered string) map[string]string {
	const start, end = "cat > /etc/hawebapp/env <<'HAWEBAPP_ENV'\n", "\nHAWEBAPP_ENV\n"
	if blueprint.StripUserData(rendered) == rendered {
		return nil
	}
	_, rest, ok := strings.Cut(rendered, start)
	if !ok {
		return nil
	}
	body, _, ok := strings.Cut(rest, end)
	if !ok {
		return nil
	}
	vars := map[string]string{}
	for line := range strings.SplitSeq(body, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vars[k] = v
		}
	}
	return vars
}

// atoi32 parses a decimal number, 0 when it is not one.
func atoi32(s string) int32 {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}
