#!/usr/bin/env bash
# Regenerates the documentation (`go generate ./...`: terraform fmt on the
# examples, then tfplugindocs) and fails when that changes any tracked file
# under docs/, examples/ or the modules' READMEs: commit the output of
# `make generate`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

go generate ./...
if ! git diff --exit-code -- docs examples modules || [[ -n "$(git status --porcelain -- docs examples modules)" ]]; then
  git status --short -- docs examples modules >&2
  echo "Generated documentation is out of date: run 'make generate' and commit the result." >&2
  exit 1
fi
echo "docs are up to date"
