// Package engine reconciles a stack's desired blueprint with what AWS holds:
// it decides which parts to create, update, replace or delete, runs those
// actions over the dependency graph with bounded parallelism, journals what it
// created and rolls it back when a create fails.
package engine

import (
	"context"
	"errors"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// Observation is what AWS holds for one part.
type Observation struct {
	Kind blueprint.Kind
	Key  string
	// Name is the AWS name found. When it differs from the desired part's name
	// the part is replaced (its name encodes properties AWS cannot change).
	Name string
	// ID and ARN identify the child; either may be empty for kinds that lack one.
	ID  string
	ARN string
	// Drift lists, in words a user understands, how the child differs from the
	// desired part ("max size 2, want 4"). Empty means up to date.
	Drift []string
	// Attrs carries outputs other parts need: "dns_name", "endpoint", "port",
	// "secret_arn", "version", "arn_suffix", "profile_name", "profile_arn" ...
	Attrs map[string]string
	// Tags found on the child.
	Tags map[string]string
	// Props are the child's properties as found, in the part kind's
	// blueprint *Props type (references to other parts as their keys). Import
	// reads the configuration back from them. Nil when the kind did not read them.
	Props any
}

// Observation attributes of a zonal Auto Scaling group's instances, from
// the same describe as the group: how many are in service and healthy, and
// how many Auto Scaling reports unhealthy. An evacuation reads them
// (blueprint.ZoneReading) to decide when its shift starts.
const (
	AttrInServiceHealthy = "in_service_healthy"
	AttrUnhealthy        = "unhealthy"
)

// UpToDate reports whether the child matches the desired part.
func (o Observation) UpToDate() bool { return len(o.Drift) == 0 }

// Refs gives a part the observations of the parts it depends on, by key.
type Refs map[string]Observation

// Cloud is what the engine needs from AWS. internal/cloud implements it; the
// engine's tests use a fake. Every method is idempotent; Observe never mutates.
type Cloud interface {
	// Observe finds every child of the blueprint's stack with batched,
	// read-only calls: the desired parts by name and tag, and any other child
	// tagged with the stack (orphans, such as the group of a removed zone).
	// Parts that do not exist are absent from the result.
	Observe(ctx context.Context, bp blueprint.Blueprint) (map[string]Observation, error)
	// Create makes the part and waits until it is ready for its dependents.
	//
	// When Create fails after AWS made the child (the create call answered,
	// but a later read, wait or tagging step failed, or ctx was cancelled),
	// it returns the child as far as it knows it, with at least one of ID,
	// ARN or Name set, together with the error: the child exists and is this
	// stack's. The engine journals it before anything else, so rollback
	// deletes it and the error names it. An empty Observation with an error
	// means AWS made nothing.
	Create(ctx context.Context, p blueprint.Part, refs Refs) (Observation, error)
	// Update brings an existing child to the desired properties in place.
	Update(ctx context.Context, p blueprint.Part, current Observation, refs Refs) (Observation, error)
	// Delete removes the child and waits until it is gone (not found = success).
	// A child that cannot be deleted as it is, whatever the wait (a database
	// with deletion protection on), fails at once with an error wrapping
	// ErrDeletionProtected, so no time budget is spent on it.
	// p is the desired part when the blueprint still has it; for an orphan it
	// carries only Kind, Key and Name (Props nil), and the cloud uses safe
	// defaults (a database orphan still gets a final snapshot).
	Delete(ctx context.Context, p blueprint.Part, current Observation) error
}

// identifies reports whether the observation names a child that exists.
func (o Observation) identifies() bool { return o.ID != "" || o.ARN != "" || o.Name != "" }

// ErrDeletionProtected is wrapped by Cloud.Delete for a child that AWS
// refuses to delete until its deletion protection is turned off (an RDS
// instance: "You can only delete instances that do not have deletion
// protection enabled", AWS RDS User Guide, USER_DeleteInstance). Retrying
// cannot help: Destroy refuses to start, rollback leaves the child and what
// it needs.
var ErrDeletionProtected = errors.New("deletion protection is on")

// ErrNotOwned is returned (wrapped) by Cloud.Create when a child with the
// part's name exists but is not tagged as this stack's: it is never adopted.
var ErrNotOwned = errors.New("exists but is not owned by this stack")
