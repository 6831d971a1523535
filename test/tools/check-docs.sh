#!/usr/bin/env bash
# Regenerates the documentation (`go generate ./...`: terraform fmt on the
# examples, then tfplugindocs) and fails when that changes any tracked file
# under docs/ or examples/: commit the output of `make generate`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

go generate ./...
if ! git diff --exit-code -- docs examples || [[ -n "$(git status --porcelain -- docs examples)" ]]; then
  git status --short -- docs examples >&2
  echo "Generated documentation is out of date: run 'make generate' and commit the result." >&2
  exit 1
fi
echo "docs are up to date"
