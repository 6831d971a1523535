package engine

import (
	"context"
	"errors"
	"sync"
)

// onFailure says what runGraph does once a node has failed.
type onFailure int

const (
	// finishRunning starts no new node; the nodes already running finish.
	// An update uses it: what the running nodes achieve is kept.
	finishRunning onFailure = iota
	// cancelRunning starts no new node and cancels the context of the nodes
	// still running: a create that is about to be rolled back need not wait
	// for its siblings (a database can take twenty minutes).
	cancelRunning
	// skipDependents skips only the nodes that wait, directly or not, on the
	// failed one; every other node still runs. Rollback uses it to delete all
	// it can.
	skipDependents
)

// runGraph calls fn for every node once all of the node's dependencies have
// succeeded, at most parallelism at a time, and handles a failure as policy
// says. Every error is returned joined, except the context cancellations
// runGraph caused itself. Dependencies on nodes outside the graph count as
// already satisfied.
func runGraph(ctx context.Context, nodes []string, deps map[string][]string, parallelism int, policy onFailure,
	fn func(ctx context.Context, node string) error) error {
	if parallelism < 1 {
		parallelism = 1
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inGraph := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		inGraph[n] = true
	}
	waiting := make(map[string]int, len(nodes))
	dependents := map[string][]string{}
	for _, n := range nodes {
		for _, d := range deps[n] {
			if inGraph[d] {
				waiting[n]++
				dependents[d] = append(dependents[d], n)
			}
		}
	}

	var (
		mu        sync.Mutex
		errs      []error
		failed    bool
		cancelled bool
		wg        sync.WaitGroup
		slots     = make(chan struct{}, parallelism)
		start     func(n string)
		finished  = 0
	)
	start = func(n string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			mu.Lock()
			stop := failed && policy != skipDependents
			mu.Unlock()
			var err error
			if !stop {
				err = fn(ctx, n)
			}
			<-slots
			mu.Lock()
			defer mu.Unlock()
			finished++
			if stop {
				return
			}
			if err != nil {
				failed = true
				// A sibling cancelled by us failed because of the first
				// error, which already says why.
				if !(cancelled && parent.Err() == nil && errors.Is(err, context.Canceled)) {
					errs = append(errs, err)
				}
				if policy == cancelRunning && !cancelled {
					cancelled = true
					cancel()
				}
				return
			}
			for _, m := range dependents[n] {
				waiting[m]--
				if waiting[m] == 0 {
					start(m)
				}
			}
		}()
	}
	mu.Lock()
	for _, n := range nodes {
		if waiting[n] == 0 {
			start(n)
		}
	}
	mu.Unlock()
	wg.Wait()
	if len(errs) == 0 && finished < len(nodes) && !failed {
		return errors.New("dependency cycle among parts")
	}
	return errors.Join(errs...)
}
