#!/usr/bin/env bash
# `make flakes`: the flake hunt. Runs every Go test package of the repository
# over and over, each run a fresh process as in `make test` (TF_ACC=1, its own
# emulators), on an idle machine and beside a CPU-bound process, and prints
# per package and mode the runs and failures, with the failing tests.
#
# How many runs: a package's first run is timed; one that took under a
# minute runs FLAKES_SHORT times in all (default 20), a longer one
# FLAKES_LONG times (default 3).
#
# Settings (environment):
#   FLAKES_PKGS   packages to hunt (go list patterns; default ./...)
#   FLAKES_RUN    a -run regexp, to hunt single tests (default: every test)
#   FLAKES_COUNT  runs per package and mode, overriding the two below
#   FLAKES_SHORT  runs for a package under a minute (default 20)
#   FLAKES_LONG   runs for a longer package (default 3)
#   FLAKES_MODES  "idle loaded" (default), or one of them
#   FLAKES_OUT    the report's directory (default a new temporary one):
#                 report.tsv (package, mode, runs, failures, seconds of the
#                 slowest run, failing tests) and each failed run's log
#
# The "loaded" mode runs one CPU-bound process per core but one (a
# two-core machine keeps one core for the tests), in a process group of its
# own that the script ends when the mode is over.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
GO="${GO:-go}"
pkgs="${FLAKES_PKGS:-./...}"
run="${FLAKES_RUN:-}"
short="${FLAKES_SHORT:-20}"
long="${FLAKES_LONG:-3}"
modes="${FLAKES_MODES:-idle loaded}"
out="${FLAKES_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/hawebapp-flakes.XXXXXX")}"
mkdir -p "$out/bin" "$out/logs"
report="$out/report.tsv"
printf 'package\tmode\truns\tfailures\tslowest_s\tfailing_tests\n' >"$report"

load_pid=""
stop_load() {
  if [[ -n "$load_pid" ]] && kill -0 "$load_pid" 2>/dev/null; then
    kill -- "-$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
  fi
  load_pid=""
}
start_load() {
  local n=$(($(nproc) - 1))
  ((n >= 1)) || n=1
  set -m
  (
    for ((i = 0; i < n; i++)); do
      # A busy loop in the shell itself: CPU-bound, no I/O, nothing to install.
      (while :; do :; done) &
    done
    wait
  ) &
  load_pid=$!
  set +m
}
trap stop_load EXIT

# Packages that have tests, each built once into a test binary.
mapfile -t list < <("$GO" list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' $pkgs)
if ((${#list[@]} == 0)); then
  echo "flakes: no test package in $pkgs" >&2
  exit 2
fi
echo "flakes: ${#list[@]} packages, modes: $modes; report in $report"

# run_once PKG DIR BIN LOG: one run of a package's tests, in its directory as
# go test runs them; prints its wall seconds; returns the test binary's status.
run_once() {
  local dir=$2 bin=$3 log=$4 t0 rc=0
  t0=$(date +%s)
  local args=(-test.count=1 -test.timeout=30m -test.v)
  [[ -n "$run" ]] && args+=("-test.run=$run")
  (cd "$dir" && TF_ACC=1 "$bin" "${args[@]}") >"$log" 2>&1 || rc=$?
  echo $(($(date +%s) - t0))
  return "$rc"
}

total_failures=0
for mode in $modes; do
  [[ "$mode" == loaded ]] && start_load
  for entry in "${list[@]}"; do
    pkg=${entry%% *}
    dir=${entry#* }
    name=${pkg//\//_}
    bin="$out/bin/$name.test"
    [[ -x "$bin" ]] || "$GO" test -c -o "$bin" "$pkg"
    runs=0 failures=0 slowest=0 failing="" want="${FLAKES_COUNT:-}"
    while :; do
      log="$out/logs/$name.$mode.$((runs + 1)).log"
      rc=0
      secs=$(run_once "$pkg" "$dir" "$bin" "$log") || rc=$?
      runs=$((runs + 1))
      ((secs > slowest)) && slowest=$secs
      if ((rc != 0)); then
        failures=$((failures + 1))
        # The failing tests by name (top-level and subtests).
        names=$(grep -oE '^\s*--- FAIL: [^ ]+' "$log" | awk '{print $3}' | sort -u | paste -sd, - || true)
        failing="${failing:+$failing;}run $runs: ${names:-exit $rc}"
        echo "  FAIL $pkg ($mode, run $runs): ${names:-exit $rc} (log $log)"
      else
        rm -f "$log"
      fi
      if [[ -z "$want" ]]; then
        if ((secs < 60)); then want=$short; else want=$long; fi
      fi
      ((runs >= want)) && break
    done
    total_failures=$((total_failures + failures))
    printf '%s\t%s\t%d\t%d\t%d\t%s\n' "$pkg" "$mode" "$runs" "$failures" "$slowest" "$failing" >>"$report"
    printf '%-70s %-6s %3d runs %3d failed (slowest %ds)\n' "$pkg" "$mode" "$runs" "$failures" "$slowest"
  done
  stop_load
done

echo
column -t -s $'\t' "$report"
if ((total_failures > 0)); then
  echo "flakes: $total_failures failed runs (logs in $out/logs)" >&2
  exit 1
fi
echo "flakes: no failure"
