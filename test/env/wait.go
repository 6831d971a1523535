// Package env is the test kit's environment: what every TestMain and suite
// needs around the code under test, internal/ ones included. It offers one
// way to wait (Until/UntilE), the AWS config with test credentials
// (AWSConfig), the network a stack goes in (Network, StackNetwork,
// NetworkOf) and self-signed certificates (Certificate in ACM,
// ServerCertificate in IAM). The emulators start through test/motoserver,
// test/strict and test/recorder; "nothing left" is test/leaks (NothingLeft),
// which env cannot import: the in-package tests of test/leaks import env.
//
// As in Terratest, each X fails the test and XE returns the error.
//
// env must not import internal/cloud or internal/stack either: their
// in-package tests import env.
package env

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The backoff Until uses: quick first looks (an emulator answers in
// milliseconds), then at most two looks a second so that a long wait does
// not flood the API it polls.
const (
	firstDelay = 10 * time.Millisecond
	maxDelay   = 500 * time.Millisecond
)

// Until calls cond with exponential backoff until it reports done, failing
// t when timeout passes or t's context ends; the failure names what and
// the state cond last reported.
//
// It is not built on Terratest's modules/retry: that retries an action a
// fixed number of times with a fixed sleep between tries, while the waits
// here are bounded by a deadline and back off, and say what they last saw.
func Until(t testing.TB, what string, timeout time.Duration, cond func() (done bool, state string)) {
	t.Helper()
	if err := UntilE(t.Context(), what, timeout, cond); err != nil {
		t.Fatal(err)
	}
}

// UntilE is Until returning the error: the deadline passed or ctx ended
// before cond reported done.
func UntilE(ctx context.Context, what string, timeout time.Duration, cond func() (done bool, state string)) error {
	deadline := time.Now().Add(timeout)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for delay := firstDelay; ; delay = min(2*delay, maxDelay) {
		done, state := cond()
		if done {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%s: not within %s; last seen: %s", what, timeout, state)
		}
		// The last look is at the deadline, not a full delay after it.
		timer.Reset(min(delay, left))
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w; last seen: %s", what, ctx.Err(), state)
		case <-timer.C:
		}
	}
}

// ErrState is the state string for conditions that report an error: the
// error's text, or "no error".
func ErrState(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// NoError adapts a condition that fails with an error until it holds:
// done when f returns nil, the error's text as the state otherwise.
func NoError(f func() error) func() (done bool, state string) {
	return func() (bool, string) {
		err := f()
		return err == nil, ErrState(err)
	}
}
