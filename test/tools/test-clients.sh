#!/usr/bin/env bash
# Runs the CI-sized client suite under each extra client CI supports
# (contributing/clients.md): the provider's lifecycle, import and identity
# acceptance tests and the examples/minimal end-to-end test, with the
# client built from its Go module by test/tools/client.sh (cached by
# version, so only a machine's first run builds). `make test` runs it
# beside the whole suite under the Terraform on PATH (test/tools/test.sh).
#
# Usage: test/tools/test-clients.sh [client:version ...]
#   default: $HAWEBAPP_CLIENTS, else the versions in test/tools/clients.env
#
# A client that cannot be built, or any test failing under any client,
# fails the run. Each client's time is printed; logs are kept in
# $HAWEBAPP_CLIENT_LOGS (default a temporary directory) and the tail of a
# failing one is printed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

# The acceptance subset: create + empty plan + import by ID + destroy
# (basic), and the identity round trip (identity: runs where the client
# has resource identity, which is checked below).
acc_run='^(TestAccStack_basic|TestAccStack_identity)$'
e2e_run='^TestMinimalExample$'
timeout="${HAWEBAPP_CLIENT_TIMEOUT:-25m}"

# shellcheck source=clients.env
source test/tools/clients.env
# shellcheck disable=SC2206
clients=(${@:-${HAWEBAPP_CLIENTS:-tofu:$HAWEBAPP_TOFU_VERSION terraform:$HAWEBAPP_TERRAFORM_VERSION}})
logs="${HAWEBAPP_CLIENT_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/hawebapp-clients.XXXXXX")}"
mkdir -p "$logs"

# Build (or find) every client first: a missing one fails before any test.
# The builds run at the lowest CPU priority: under `make test` they share
# the machine with the sandbox's soak tests (test/tools/test.sh).
declare -A bins
for c in "${clients[@]}"; do
  name="${c%%:*}" version="${c#*:}"
  [[ "$c" == *:* ]] || version=""
  if ! bins[$c]="$(nice -n 19 test/tools/client.sh "$name" $version)"; then
    echo "test-clients: could not build $name ${version:-(default version)}: see the messages above;" \
      "run test/tools/client.sh $name $version by hand to retry" >&2
    exit 1
  fi
done

run_client() {
  local c="$1" bin="$2" log="$3" start rc=0
  start=$(date +%s)
  {
    echo "== $c: $bin"
    # The whole output is read (a reader that stops early would kill the
    # client with SIGPIPE, which pipefail makes a failure).
    "$bin" version 2>/dev/null | sed -n 1p
    TF_ACC=1 TF_ACC_TERRAFORM_PATH="$bin" go test -count=1 -v -timeout "$timeout" -run "$acc_run" ./internal/stack/ || rc=1
    TF_ACC=1 HAWEBAPP_TF_BINARY="$bin" go test -count=1 -v -timeout "$timeout" -run "$e2e_run" ./test/ || rc=1
  } >"$log" 2>&1
  # The identity test skips below Terraform 1.12 by design; it must have
  # run under a client that has resource identity.
  local re='"terraform_version": *"1\.(1[2-9]|[2-9][0-9])' version_json
  version_json="$("$bin" version -json 2>/dev/null || true)"
  if [[ "$version_json" =~ $re ]] &&
    [[ "$c" == terraform* ]] && ! grep -q -- '--- PASS: TestAccStack_identity' "$log"; then
    echo "TestAccStack_identity did not pass under $c, which has resource identity" >>"$log"
    rc=1
  fi
  echo "$c: $(($(date +%s) - start)) s, $( ((rc == 0)) && echo passed || echo FAILED)" >>"$logs/summary"
  return $rc
}

# The clients run side by side: the tests mostly wait on the emulator and
# on the provider's polling, so two at once take little more than one.
declare -A pids
for c in "${clients[@]}"; do
  run_client "$c" "${bins[$c]}" "$logs/${c//[:\/]/-}.log" &
  pids[$c]=$!
done
failed=()
for c in "${clients[@]}"; do
  wait "${pids[$c]}" || failed+=("$c")
done

grep -h -E -- '^(--- (PASS|FAIL|SKIP)|ok |FAIL)' "$logs"/*.log || true
cat "$logs/summary"
if ((${#failed[@]})); then
  for c in "${failed[@]}"; do
    echo "---- $c: last lines of $logs/${c//[:\/]/-}.log" >&2
    tail -n 60 "$logs/${c//[:\/]/-}.log" >&2
  done
  echo "client suite FAILED under: ${failed[*]} (logs in $logs)" >&2
  exit 1
fi
echo "client suite passed under: ${clients[*]}"
