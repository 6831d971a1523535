// Package breaker breaks a stack the way the HA suites and the demo need:
// an instance, a zone, the database. Sandbox drives the sandbox's admin API;
// AWS does the same with real AWS actions, so a suite runs unchanged on
// either.
package breaker

import (
	"context"

	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
)

// Breaker breaks a stack: the sandbox's admin API by default, real AWS
// actions when the suites run there.
type Breaker interface {
	// KillInstance makes one instance stop answering without warning.
	KillInstance(ctx context.Context, id string) error
	// ZoneDown cuts a zone's application subnets off; ZoneUp undoes it.
	ZoneDown(ctx context.Context, zone string) error
	ZoneUp(ctx context.Context, zone string) error
	// FailoverDB fails a Multi-AZ database over to its standby.
	FailoverDB(ctx context.Context, id string) error
}

// Sandbox uses the sandbox's failure injection (POST /_sandbox/fail):
// an instance's app dies, a zone loses power (its processes stop, its
// connections hang), the database fails over (connections cut, back after
// the sandbox's failover time).
type Sandbox struct{ c *sandbox.Client }

// NewSandbox breaks stacks in the sandbox that c talks to.
func NewSandbox(c *sandbox.Client) Sandbox { return Sandbox{c: c} }

func (b Sandbox) KillInstance(ctx context.Context, id string) error {
	return b.c.Fail(ctx, sandbox.Failure{Kind: "instance", ID: id})
}

func (b Sandbox) ZoneDown(ctx context.Context, zone string) error {
	return b.c.Fail(ctx, sandbox.Failure{Kind: "zone", Zone: zone, Down: true})
}

func (b Sandbox) ZoneUp(ctx context.Context, zone string) error {
	return b.c.Fail(ctx, sandbox.Failure{Kind: "zone", Zone: zone, Down: false})
}

func (b Sandbox) FailoverDB(ctx context.Context, id string) error {
	return b.c.Fail(ctx, sandbox.Failure{Kind: "database", ID: id})
}
