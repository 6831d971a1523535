package demo

import "context"

// ABRun is one ApacheBench run's outcome (complete, failed and non-2xx
// requests, latencies), for tests that put load on a stack while they change
// it.
type ABRun = abSlice

// RunAB runs ab against url with c connections: n requests (0: as many as it
// can) for at most seconds, in its own process group, stopped with ctx.
func RunAB(ctx context.Context, dir, url string, c, n, seconds int) ABRun {
	return runAB(ctx, dir, url, c, n, seconds)
}
