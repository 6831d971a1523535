package engine

import (
	"slices"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// Op is what the engine does to one part.
type Op string

const (
	OpNone    Op = "none"
	OpCreate  Op = "create"
	OpUpdate  Op = "update"
	OpReplace Op = "replace" // create under the new name; the old child is deleted last
	OpDelete  Op = "delete"
)

// Action is one step of a reconcile.
type Action struct {
	Op   Op
	Part blueprint.Part
	// Current is the child found in AWS, if any.
	Current *Observation
	// Rollout: an update of a zonal group that replaces its instances (its
	// launch template changes, or it runs instances of another version).
	// Rollouts run one at a time, so a new version never goes to every
	// zone at once; other group updates (an evacuation's raise) run in
	// parallel.
	Rollout bool
}

// AttrRolloutPending is the observation attribute ("true") of a group that
// still runs instances of another launch template version than the one it
// pins or should pin.
const AttrRolloutPending = "rollout_pending"

// isRollout reports whether updating part p replaces instances: p is a
// group that is not evacuated (an evacuated group's rollout waits for its
// return) whose template changes in this apply or whose instances run
// another version.
func isRollout(p blueprint.Part, cur Observation, changed map[string]bool) bool {
	props, ok := p.Props.(blueprint.AutoScalingGroupProps)
	if p.Kind != blueprint.KindAutoScalingGroup || !ok || props.Evacuated {
		return false
	}
	return changed[props.LaunchTemplateKey] || cur.Attrs[AttrRolloutPending] == "true"
}

// Plan decides, without calling AWS, what to do to each desired part, and
// which found children (orphans and replaced ones) to delete. A part whose
// dependency is created, updated or replaced is updated too, so it picks up
// the new references (an Auto Scaling group follows a new template version).
func Plan(bp blueprint.Blueprint, observed map[string]Observation) (apply []Action, remove []Action) {
	changed := map[string]bool{}
	for _, p := range bp.Parts {
		cur, found := observed[p.Key]
		a := Action{Op: OpNone, Part: p}
		switch {
		case !found:
			a.Op = OpCreate
		case cur.Name != p.Name:
			a.Op = OpReplace
			a.Current = &cur
			remove = append(remove, Action{Op: OpDelete, Part: orphanPart(cur), Current: &cur})
		case !cur.UpToDate() || slices.ContainsFunc(p.DependsOn, func(d string) bool { return changed[d] }):
			a.Op = OpUpdate
			a.Current = &cur
			a.Rollout = isRollout(p, cur, changed)
		default:
			a.Current = &cur
		}
		if a.Op != OpNone {
			changed[p.Key] = true
		}
		apply = append(apply, a)
	}
	for _, key := range sortedKeys(observed) {
		if _, desired := bp.Part(key); desired {
			continue
		}
		cur := observed[key]
		remove = append(remove, Action{Op: OpDelete, Part: orphanPart(cur), Current: &cur})
	}
	slices.SortStableFunc(remove, func(a, b Action) int { return deleteRank(a.Part.Kind) - deleteRank(b.Part.Kind) })
	return apply, remove
}

// orphanPart describes a found child that the blueprint no longer wants.
func orphanPart(o Observation) blueprint.Part {
	return blueprint.Part{Kind: o.Kind, Key: o.Key, Name: o.Name}
}

// deleteOrder is the order in which kinds are torn down when no blueprint
// dependency says otherwise: what uses a child goes before it.
var deleteOrder = []blueprint.Kind{
	blueprint.KindZonalShift, // traffic returns to the zone before anything goes
	blueprint.KindAutoshift,  // autoshift off and the practice run configuration gone before its alarm
	blueprint.KindOutcomeAlarm,
	blueprint.KindScalingPolicy,
	blueprint.KindAutoScalingGroup,
	blueprint.KindLaunchTemplate,
	blueprint.KindInstanceRolePolicy,
	blueprint.KindListener,
	blueprint.KindTargetGroup,
	blueprint.KindLoadBalancer,
	blueprint.KindSecretRotation, // nothing to delete: the secret goes with the database
	blueprint.KindDBInstance,
	blueprint.KindDBSubnetGroup,
	blueprint.KindInstanceRole,
	blueprint.KindSecurityGroup,
}

func deleteRank(k blueprint.Kind) int {
	if i := slices.Index(deleteOrder, k); i >= 0 {
		return i
	}
	return len(deleteOrder)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Differences lists, in words a user understands, how the children found
// differ from the blueprint: missing, drifted, to be replaced, or orphaned.
func Differences(bp blueprint.Blueprint, observed map[string]Observation) []string {
	var out []string
	for _, p := range bp.Parts {
		cur, found := observed[p.Key]
		switch {
		case !found:
			out = append(out, p.Key+" ("+p.Name+"): missing")
		case cur.Name != p.Name:
			out = append(out, p.Key+" ("+cur.Name+"): to be replaced by "+p.Name)
		default:
			for _, d := range cur.Drift {
				out = append(out, p.Key+" ("+p.Name+"): "+d)
			}
		}
	}
	for _, key := range sortedKeys(observed) {
		if _, desired := bp.Part(key); !desired {
			out = append(out, key+" ("+observed[key].Name+"): no longer wanted")
		}
	}
	return out
}
