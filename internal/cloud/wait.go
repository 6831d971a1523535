package cloud

import (
	"context"
	"fmt"
	"time"
)

// Polling bounds: start well under a second so fast operations return at
// once, and back off to one poll every few seconds for slow ones.
const (
	pollInitialDelay = 100 * time.Millisecond
	pollMaxDelay     = 5 * time.Second
	// defaultWaitTimeout bounds a wait when the caller's context has no
	// deadline (the resource's timeouts block normally sets one).
	defaultWaitTimeout = 30 * time.Minute
	// waiterMinDelay is the MinDelay given to the SDK's waiters, whose
	// defaults (15-30s) would make every fast operation take that long.
	waiterMinDelay = 500 * time.Millisecond
	waiterMaxDelay = 10 * time.Second

	// ec2PropagationTimeout bounds waits for EC2's eventual consistency
	// after a create (AWS EC2 API reference, "Eventual consistency in the
	// Amazon EC2 API"; hashicorp/aws ec2 wait.go sets its
	// ec2PropagationTimeout to the same 5 minutes).
	ec2PropagationTimeout = 5 * time.Minute

	// createCallTimeout bounds one create call run by createCall.
	createCallTimeout = 2 * time.Minute
)

// createCall makes one call that makes a child (CreateX) on a context that
// is not cancelled with ctx and has its own deadline, createCallTimeout.
// When a sibling fails, the engine cancels the apply's context; a create
// call cut off then may still complete at AWS while its answer, the new
// child's ID, is lost. Run to its end, the answer is always returned, so
// the caller records the child and the rollback deletes it. The caller's
// next step sees ctx done and stops there.
func createCall[In, Out, Opt any](ctx context.Context, call func(context.Context, In, ...Opt) (Out, error), in In) (Out, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createCallTimeout)
	defer cancel()
	return call(ctx, in)
}

// waitBudget is how long an SDK waiter may run: until the context deadline.
func waitBudget(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), time.Second)
	}
	return defaultWaitTimeout
}

// poll calls check until it reports done, sleeping with exponential backoff
// (pollInitialDelay doubling to pollMaxDelay) between calls, for as long as
// ctx allows. check returns the current state in words, which a timeout
// error quotes. An error from check ends the wait at once.
func poll(ctx context.Context, what string, check func(context.Context) (done bool, state string, err error)) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultWaitTimeout)
		defer cancel()
	}
	delay := pollInitialDelay
	for {
		done, state, err := check(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if done {
			return nil
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			if state != "" {
				return fmt.Errorf("waiting for %s (last state: %s): %w", what, state, ctx.Err())
			}
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-timer.C:
		}
		delay = min(delay*2, pollMaxDelay)
	}
}

// retryWhile calls fn until it succeeds or fails with an error retryable does
// not accept, backing off like poll. It is for AWS's eventual consistency:
// dependencies that linger (ENIs), profiles that propagate, activities in flight.
func retryWhile(ctx context.Context, what string, retryable func(error) bool, fn func(context.Context) error) error {
	return poll(ctx, what, func(ctx context.Context) (bool, string, error) {
		err := fn(ctx)
		switch {
		case err == nil:
			return true, "", nil
		case retryable(err):
			return false, errMessageOr(err), nil // quoted if the wait times out
		default:
			return false, "", err
		}
	})
}

func errMessageOr(err error) string {
	if m := errMessage(err); m != "" {
		return m
	}
	return err.Error()
}
