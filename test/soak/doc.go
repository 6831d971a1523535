// Package soak is a load library for Terratest suites: it soaks any HTTP
// URL with ab (ApacheBench), one continuous ab process per phase, and
// accounts for every request sent: answered 2xx, failed with its reason,
// or still in flight when the phase ended (counted as failed), each placed
// in time. It also computes failure budgets from a stack's own settings
// (LossBudget, DrainBudget, OutageBudget) and runs write loads whose
// acknowledged writes can be read back (StartWrites, VerifyWrites).
//
// ab drives the load and reports its totals (Result.AB), but it cannot say
// what happened to each request: it counts non-2xx answers and socket
// errors without saying which request met them, and forgets requests still
// waiting when it stops. So ab connects to a small forwarder of this
// package on loopback, which passes every byte on unchanged (one upstream
// connection per ab connection) and records each request as it goes: sent,
// answered (status, serving instance and zone), failed (reason), or in
// flight at the end. The forwarder also paces requests when a rate is set:
// ab has no rate limit. Writes with unique keys come from Go, since ab sends
// one fixed body. Result.Sources says which figure comes from where.
//
// Only http:// URLs: the forwarder reads statuses off the plain HTTP stream.
// ab must be on PATH (FindAB says how to install it).
package soak
