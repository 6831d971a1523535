#!/usr/bin/env bash
# Checks the Terraform code the repository ships: `terraform fmt -check` on
# examples/ and modules/, then `terraform init -backend=false` and
# `terraform validate` in a copy of every directory under examples/ and
# modules/ that holds .tf files, with the provider built from this tree
# (dev_overrides) and hashicorp/* from the local mirror (test/tfcli); and
# `terraform test` where a directory has tests/, for the mocked test files
# only: tests/apply*.tftest.hcl apply to a real AWS endpoint and run from the
# Go suite (test/modules_apply_test.go) against a local emulator.
# The copies keep the repository's layout, so examples find ../../modules.
# init resolves every hashicorp provider at the lower bound its versions.tf
# declares (an override file pins ">= X" to X), so the lower bounds users
# are promised are the versions validated here; then tflint
# (test/tools/tflint.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

work="$(mktemp -d "${TMPDIR:-/tmp}/hawebapp-check-examples.XXXXXX")"
trap 'rm -rf "$work"' EXIT

dirs=()
for d in examples modules; do [[ -d "$d" ]] && dirs+=("$d"); done

echo "terraform fmt -check -recursive ${dirs[*]}"
if ! terraform fmt -check -recursive -diff "${dirs[@]}" 2>"$work/fmt.err"; then
  grep -v -e 'CLI configuration' -e 'Unable to open' -e '^[╷│╵]' "$work/fmt.err" >&2 || true
  echo "Terraform files are not formatted: run 'make fmt'." >&2
  exit 1
fi

echo "building the provider"
go build -o "$work/bin/terraform-provider-hawebapp" .
eval "$(go run ./test/cmd/tfrc -provider-dir "$work/bin" -out "$work")"
export TF_CLI_CONFIG_FILE TF_IN_AUTOMATION=1
# validate needs a region for hashicorp/aws; no call is made.
export AWS_REGION="${AWS_REGION:-us-east-1}"

mkdir -p "$work/tree" "$work/logs"
cp -R "${dirs[@]}" "$work/tree/"
find "$work/tree" \( -name .terraform -o -name .terraform.lock.hcl -o -name '*.tfstate*' \) -prune -exec rm -rf {} +

failed=0
while IFS= read -r dir; do
  copy="$work/tree/$dir"
  log="$work/logs/${dir//\//_}.log"
  # Documentation snippets declare no required_providers: say where
  # hawebapp comes from (otherwise Terraform assumes hashicorp/hawebapp).
  if ! grep -q required_providers "$copy"/*.tf; then
    printf 'terraform {\n  required_providers {\n    hawebapp = { source = "hawebapp/hawebapp" }\n  }\n}\n' >"$copy/zz_check_providers.tf"
  fi
  # Pin each hashicorp provider to its declared lower bound.
  pins="$(awk '
    /source *= *"hashicorp\// { match($0, /hashicorp\/[a-z0-9-]+/); cur = substr($0, RSTART + 10, RLENGTH - 10) }
    cur != "" && /version *= *">= *[0-9]/ { match($0, />= *[0-9][0-9.]*/); v = substr($0, RSTART, RLENGTH); sub(/>= */, "", v)
      printf "    %s = { source = \"hashicorp/%s\", version = \"%s\" }\n", cur, cur, v; cur = "" }
    /}/ { cur = "" }' "$copy"/*.tf)"
  if [[ -n "$pins" ]]; then
    printf 'terraform {\n  required_providers {\n%s\n  }\n}\n' "$pins" >"$copy/zz_lower_bounds_override.tf"
  fi
  printf 'terraform validate %-40s ' "$dir"
  if terraform -chdir="$copy" init -backend=false -input=false -no-color >"$log" 2>&1 &&
    terraform -chdir="$copy" validate -no-color >>"$log" 2>&1; then
    echo ok
    filters=()
    for f in "$dir"/tests/*.tftest.hcl; do
      [[ -e "$f" && "$(basename "$f")" != apply*.tftest.hcl ]] && filters+=("-filter=tests/$(basename "$f")")
    done
    if ((${#filters[@]})); then
      printf 'terraform test     %-40s ' "$dir"
      if terraform -chdir="$copy" test -no-color "${filters[@]}" >>"$log" 2>&1; then
        echo ok
      else
        echo FAILED
        sed 's/^/    /' "$log" >&2
        failed=1
      fi
    fi
  else
    echo FAILED
    sed 's/^/    /' "$log" >&2
    failed=1
  fi
done < <(find "${dirs[@]}" -name '*.tf' -not -path '*/.terraform/*' -exec dirname {} \; | sort -u)

test/tools/tflint.sh || failed=1

exit "$failed"
