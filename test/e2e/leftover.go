package e2e

import (
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/leaks"
)

// AssertNothingLeft proves the destroy removed every child, with
// test/leaks (every child kind; a failed AWS call fails the test at once,
// it never reads as "nothing left"). On real AWS it looks again for up to
// five minutes (eventual consistency: a deleted child can stay listed for a
// while); on moto it looks once.
func AssertNothingLeft(t *testing.T, tg *Target, name string) {
	t.Helper()
	within := time.Duration(0)
	if tg.Real {
		within = 5 * time.Minute
	}
	if err := leaks.NothingLeftE(Background(), tg.AWS, name, within); err != nil {
		t.Fatal(err)
	}
}
