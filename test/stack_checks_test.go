package test

import (
	"context"
	"testing"

	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
)

// tagStack is the ownership tag every child of a stack carries.
const tagStack = e2e.TagStack

// assertMinimalStack is e2e.AssertStack: the stack made exactly the parts
// examples/minimal (and examples/complete) ask for, matching the state.
func assertMinimalStack(t *testing.T, tg *target, name string, st stackValues, outputs map[string]any) {
	t.Helper()
	e2e.AssertStack(t, tg.e2e(), name, st, outputs)
}

// assertNothingLeft is e2e.AssertNothingLeft: the destroy removed every
// child (test/leaks).
func assertNothingLeft(t *testing.T, tg *target, name string) {
	t.Helper()
	e2e.AssertNothingLeft(t, tg.e2e(), name)
}

// tagFilter is e2e.TagFilter: an EC2 filter on the stack's ownership tag.
func tagFilter(name string) []ec2types.Filter { return e2e.TagFilter(name) }

// ownedGroups, ownedLoadBalancers and ownedTargetGroups are e2e's: the
// stack's children of each kind, found by its ownership tag.
func ownedGroups(ctx context.Context, t *testing.T, tg *target, name string) []astypes.AutoScalingGroup {
	t.Helper()
	return e2e.OwnedGroups(ctx, t, tg.e2e(), name)
}

func ownedLoadBalancers(ctx context.Context, t *testing.T, tg *target, name string) []string {
	t.Helper()
	return e2e.OwnedLoadBalancers(ctx, t, tg.e2e(), name)
}

func ownedTargetGroups(ctx context.Context, t *testing.T, tg *target, name string) []string {
	t.Helper()
	return e2e.OwnedTargetGroups(ctx, t, tg.e2e(), name)
}
