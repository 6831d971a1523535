#!/usr/bin/env bash
# Checks the Terraform code the repository ships: `terraform fmt -check` on
# examples/ and modules/, then `terraform init -backend=false` and
# `terraform validate` in a copy of every directory under examples/ and
# modules/ that holds .tf files, with the provider built from this tree
# (dev_overrides) and hashicorp/* from the local mirror (test/tfcli); and
# `terraform test` where a directory has tests/, for the mocked test files
# only: tests/apply*.tftest.hcl apply to a real AWS endpoint and run from the
# Go suite (TestModulesApply, test/minimal_test.go) against a local emulator.
# The copies keep the repository's layout, so examples find ../../modules.
# init resolves every hashicorp provider at the lower bound its versions.tf
# declares (an override file pins ">= X" to X), so the lower bounds users
# are promised are the versions validated here. init and validate run twice:
# under the Terraform on PATH and under the oldest Terraform every
# versions.tf declares (built from its Go module by test/tools/client.sh);
# then tflint (test/tools/tflint.sh).
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

# check_dir validates one directory of a copied tree with one Terraform
# binary, then runs its mocked module tests; with "-no-tests" it leaves the
# test files out of both (they are the maintainers' tooling, run under the
# current Terraform only: they use newer test features such as
# override_during, Terraform 1.11).
check_dir() {
  local tf="$1" tree="$2" dir="$3" label="$4" tests="${5:-}" copy log filters=() f
  copy="$tree/$dir"
  log="$work/logs/${label}_${dir//\//_}.log"
  printf 'terraform %-7s validate %-40s ' "$label" "$dir"
  if ! "$tf" -chdir="$copy" init -backend=false -input=false -no-color >"$log" 2>&1 ||
    ! "$tf" -chdir="$copy" validate -no-color $tests >>"$log" 2>&1; then
    echo FAILED
    sed 's/^/    /' "$log" >&2
    return 1
  fi
  echo ok
  [[ "$tests" != -no-tests ]] || return 0
  for f in "$dir"/tests/*.tftest.hcl; do
    [[ -e "$f" && "$(basename "$f")" != apply*.tftest.hcl ]] && filters+=("-filter=tests/$(basename "$f")")
  done
  ((${#filters[@]})) || return 0
  printf 'terraform %-7s test     %-40s ' "$label" "$dir"
  if ! "$tf" -chdir="$copy" test -no-color "${filters[@]}" >>"$log" 2>&1; then
    echo FAILED
    sed 's/^/    /' "$log" >&2
    return 1
  fi
  echo ok
}

mapfile -t tf_dirs < <(find "${dirs[@]}" -name '*.tf' -not -path '*/.terraform/*' -exec dirname {} \; | sort -u)

# The Terraform on PATH: every directory, hashicorp providers at their
# declared lower bounds.
for dir in "${tf_dirs[@]}"; do
  copy="$work/tree/$dir"
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
done
cp -R "$work/tree" "$work/floor-tree"
# init would load them too (the modules a test run needs)
find "$work/floor-tree" -name '*.tftest.hcl' -delete
failed=0
for dir in "${tf_dirs[@]}"; do
  check_dir terraform "$work/tree" "$dir" current || failed=1
done

# The oldest Terraform the code declares: every versions.tf must say
# required_version = ">= <floor's major.minor>", and every directory is
# initialised and validated under exactly that release
# (test/tools/clients.env), test files aside.
# shellcheck source=clients.env
source test/tools/clients.env
floor="$HAWEBAPP_TERRAFORM_FLOOR" floor_mm="${HAWEBAPP_TERRAFORM_FLOOR%.*}"
while IFS= read -r f; do
  if ! grep -qE "required_version *= *\">= *$floor_mm\"" "$f"; then
    echo "$f: declares $(grep -oE 'required_version *= *"[^"]*"' "$f" || echo 'no required_version'); every module and example declares required_version = \">= $floor_mm\", the oldest Terraform tested (HAWEBAPP_TERRAFORM_FLOOR in test/tools/clients.env)" >&2
    failed=1
  fi
done < <(find "${dirs[@]}" -name versions.tf -not -path '*/.terraform/*' | sort)
if floor_bin="$(nice -n 19 test/tools/client.sh terraform "$floor")"; then
  for dir in "${tf_dirs[@]}"; do
    check_dir "$floor_bin" "$work/floor-tree" "$dir" "$floor" -no-tests || failed=1
  done
else
  echo "could not build Terraform $floor, the oldest version the code declares: see above" >&2
  failed=1
fi

test/tools/tflint.sh || failed=1

exit "$failed"
