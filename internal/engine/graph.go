package engine

import (
	"context"
	"errors"
	"sync"
)

// runGraph calls fn for every node once all of the node's dependencies have
// succeeded, at most parallelism at a time. After the first failure no new
// node starts; the ones running finish, and every error is returned joined.
// Dependencies on nodes outside the graph count as already satisfied.
func runGraph(ctx context.Context, nodes []string, deps map[string][]string, parallelism int, fn func(ctx context.Context, node string) error) error {
	if parallelism < 1 {
		parallelism = 1
	}
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
		mu       sync.Mutex
		errs     []error
		failed   bool
		wg       sync.WaitGroup
		slots    = make(chan struct{}, parallelism)
		start    func(n string)
		finished = 0
	)
	start = func(n string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			mu.Lock()
			stop := failed
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
				errs = append(errs, err)
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
	if len(errs) == 0 && finished < len(nodes) {
		return errors.New("dependency cycle among parts")
	}
	return errors.Join(errs...)
}
