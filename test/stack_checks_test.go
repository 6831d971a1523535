package test

import (
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
)

// tagStack is the ownership tag every child of a stack carries.
const tagStack = e2e.TagStack

// assertMinimalStack is e2e.AssertStack: the stack made exactly the parts
// examples/minimal (and examples/complete) ask for, matching the state.
func assertMinimalStack(t *testing.T, tg *target, name string, st stackValues, outputs map[string]any) {
	t.Helper()
	e2e.AssertStack(t, tg.e2e(), name, e2e.StackValues(st), outputs)
}

// assertNothingLeft is e2e.AssertNothingLeft: the destroy removed every
// child (test/leaks).
func assertNothingLeft(t *testing.T, tg *target, name string) {
	t.Helper()
	e2e.AssertNothingLeft(t, tg.e2e(), name)
}
