package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/leaks"
)

// AssertNothingLeft proves the destroy removed every child, with
// test/leaks (every child kind; a failed AWS call fails the test at once,
// it never reads as "nothing left"). On real AWS it polls with backoff for
// up to five minutes (eventual consistency: a deleted child can stay listed
// for a while); on moto it looks once.
func AssertNothingLeft(t *testing.T, tg *Target, name string) {
	t.Helper()
	ctx := Background()
	deadline := time.Now()
	if tg.Real {
		deadline = deadline.Add(5 * time.Minute)
	}
	for delay := time.Second; ; delay = min(2*delay, 15*time.Second) {
		left, err := leaks.Find(ctx, tg.AWS, name)
		switch {
		case err != nil:
			t.Fatalf("checking what is left of stack %s: %v", name, err)
		case len(left) == 0:
			return
		case time.Now().After(deadline):
			t.Fatalf("left after destroy of stack %s: %s", name, strings.Join(left, ", "))
		}
		time.Sleep(delay)
	}
}
