#!/usr/bin/env bash
# Fails when go.mod or go.sum is not what `go mod tidy` would write: a
# require marked `// indirect` that the code imports (or the reverse), a
# module nothing uses, a missing go.sum line. Prints the diff and what to do.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
GO="${GO:-go}"

rc=0
diff="$("$GO" mod tidy -diff)" || rc=$?
if ((rc != 0)); then
  if [[ -z "$diff" ]]; then
    echo "go mod tidy -diff failed (exit $rc; its error is above)." >&2
    exit "$rc"
  fi
  printf '%s\n' "$diff" >&2
  echo "go.mod/go.sum are not tidy: run go mod tidy and commit go.mod/go.sum." >&2
  exit 1
fi
echo "go.mod and go.sum are tidy"
