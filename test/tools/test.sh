#!/usr/bin/env bash
# `make test` (and so CI): go.mod tidy (check-tidy.sh), go vet, every Go
# test under the Terraform on PATH, the checks on the Terraform code and
# the generated docs, and the client suite under every other client CI
# supports (OpenTofu and a Terraform with resource identity;
# contributing/clients.md).
#
# The client suite runs beside the main one, not after it: its two clients
# are built from their Go modules on a machine's first run (CPU-bound for
# minutes) and its tests mostly wait on the emulator. It runs at a lower CPU
# priority (its builds at the lowest, see test-clients.sh), so the sandbox's
# soak tests, whose failure budgets assume the load balancer's health checks
# run on time, keep the machine when both want it.
#
# Any failure fails the run: the main suite's first, then the client
# suite's, whose log tails are printed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
GO="${GO:-go}"
timeout="${TEST_TIMEOUT:-30m}"

logs="$(mktemp -d "${TMPDIR:-/tmp}/hawebapp-test.XXXXXX")"
clients_out="$logs/clients.out"

# Its own process group (set -m), so a failed or interrupted run ends the
# whole client suite (its go test, terraform and emulator processes) and
# nothing else.
set -m
HAWEBAPP_CLIENT_LOGS="$logs/clients" nice -n 10 test/tools/test-clients.sh >"$clients_out" 2>&1 &
clients=$!
# The oldest Terraform the code declares, which check-examples.sh runs at
# the end, is built meanwhile too (client.sh lets one build run per version
# and makes a second caller wait for it; a failed build is retried and
# reported there).
# shellcheck source=clients.env
source test/tools/clients.env
nice -n 19 test/tools/client.sh terraform "$HAWEBAPP_TERRAFORM_FLOOR" >/dev/null 2>"$logs/floor-build.log" &
floor_build=$!
set +m
stop_background() {
  local pid
  for pid in "${clients:-}" "${floor_build:-}" "${realtime_tests:-}"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -- "-$pid" 2>/dev/null || true
    fi
  done
}
trap stop_background EXIT
started=$(date +%s)

GO="$GO" test/tools/check-tidy.sh
"$GO" vet ./...
# The Go tests run as two go test processes side by side. Most packages
# wait far more than they compute (the emulator's answers, compressed
# Auto Scaling and load balancer timers, terraform runs): measured with
# their CPU time, internal/cloud computes 22 s of its 160 s and the sandbox
# suite 190 s of 410 s, so one go test, two packages at a time, left the
# machine idle for much of the run (contributing/test-kit.md, "Where make
# test's time goes"). The packages that check real-time behaviour (the soak
# tests, whose failure budgets assume the load balancer's health checks run
# on time, the failure timeline, the app's drain) keep full priority; the
# others run beside them at a lower one and take the CPU they leave.
realtime=(./test ./test/ha ./test/sandbox/... ./test/soak ./test/breaker ./test/scenario ./test/demo ./examples/app)
mapfile -t rest < <(comm -23 <("$GO" list ./... | sort) <("$GO" list "${realtime[@]}" | sort))
# Its own process group (set -m), which the exit trap ends if the run stops
# early.
set -m
TF_ACC=1 "$GO" test -count=1 -timeout "$timeout" "${realtime[@]}" &
realtime_tests=$!
set +m
rc=0
TF_ACC=1 nice -n 10 "$GO" test -count=1 -timeout "$timeout" "${rest[@]}" || rc=$?
wait "$realtime_tests" || rc=$?
realtime_tests=""
if ((rc != 0)); then
  echo "make test: go test failed (the FAIL lines above)" >&2
  exit "$rc"
fi
test/tools/check-examples.sh
test/tools/check-docs.sh
echo "main suite done in $(($(date +%s) - started)) s; waiting for the client suite"

wait "$floor_build" || true
rc=0
wait "$clients" || rc=$?
clients=""
cat "$clients_out"
if ((rc != 0)); then
  echo "make test: the client suite failed (logs in $logs/clients)" >&2
  exit "$rc"
fi
echo "make test: passed, client suite included, in $(($(date +%s) - started)) s"
