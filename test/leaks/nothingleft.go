package leaks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// NothingLeft fails t unless Find reports nothing of stack, looking again
// with env.Until's backoff for up to within: on real AWS a deleted child can
// stay listed for a while (eventual consistency); against an emulator,
// within is 0 and Find looks once. A failed call fails t at once: it never
// reads as "nothing left".
func NothingLeft(t testing.TB, cfg aws.Config, stack string, within time.Duration) {
	t.Helper()
	if err := NothingLeftE(t.Context(), cfg, stack, within); err != nil {
		t.Fatal(err)
	}
}

// NothingLeftE is NothingLeft returning the error.
func NothingLeftE(ctx context.Context, cfg aws.Config, stack string, within time.Duration) error {
	var findErr error
	err := env.UntilE(ctx, "nothing left of stack "+stack, within, func() (bool, string) {
		left, err := Find(ctx, cfg, stack)
		if err != nil {
			findErr = err
			return true, ""
		}
		return len(left) == 0, "left: " + strings.Join(left, ", ")
	})
	if findErr != nil {
		return findErr
	}
	return err
}
