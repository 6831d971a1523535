#!/usr/bin/env bash
# Lints the Terraform code the repository ships with tflint and its bundled
# Terraform ruleset (.tflint.hcl: the recommended preset plus documented
# variables and outputs, typed variables, naming convention, unused
# declarations, standard module structure), in every directory of modules/
# and examples/ that holds .tf files (the modules' tests/ fixtures aside).
# The documentation snippets (examples/provider, examples/resources/*,
# examples/data-sources/*) are single fragments by design: they get the same
# rules minus the standard
# module structure and the version rules.
#
# tflint is built from the Go module proxy (go install) once per version and
# cached in ${XDG_CACHE_HOME:-~/.cache}/hawebapp/tflint-<version>/.
set -euo pipefail

TFLINT_VERSION="${TFLINT_VERSION:-v0.64.0}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/hawebapp/tflint-$TFLINT_VERSION"
tflint="$cache/tflint"
if [[ ! -x "$tflint" ]]; then
  echo "building tflint $TFLINT_VERSION into $cache (once per version)"
  mkdir -p "$cache"
  GOBIN="$cache" GOFLAGS=-buildvcs=false go install "github.com/terraform-linters/tflint@$TFLINT_VERSION"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/hawebapp-tflint.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The snippets' configuration: the same without the module structure rule,
# and without the version rules (a snippet is a fragment shown in the docs;
# the roots under examples/ declare the versions).
{
  awk '/^rule "terraform_standard_module_structure"/ {skip = 1} skip && /^}/ {skip = 0; next} !skip' .tflint.hcl
  for r in terraform_standard_module_structure terraform_required_version terraform_required_providers; do
    printf '\nrule "%s" {\n  enabled = false\n}\n' "$r"
  done
} >"$work/snippets.tflint.hcl"

failed=0
while IFS= read -r dir; do
  config="$root/.tflint.hcl"
  case "$dir" in examples/provider | examples/resources/* | examples/data-sources/*) config="$work/snippets.tflint.hcl" ;; esac
  printf 'tflint %-45s ' "$dir"
  if out="$("$tflint" --chdir="$dir" --config="$config" --format=compact 2>&1)"; then
    echo ok
  else
    echo FAILED
    sed 's/^/    /' <<<"$out" >&2
    failed=1
  fi
done < <(find examples modules -name '*.tf' -not -path '*/.terraform/*' -not -path '*/tests/*' -exec dirname {} \; | sort -u)

exit "$failed"
