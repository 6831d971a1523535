#!/usr/bin/env bash
# Builds a Terraform-compatible CLI from its Go module, once per version, and
# prints the binary's path. The tests run the provider under every client CI
# supports (see contributing/clients.md); this is how they get the binaries.
#
# Usage: test/tools/client.sh tofu|terraform [version]
#
# Binaries are cached in $HAWEBAPP_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/hawebapp) as <client>-<version>/<client>, so
# only the first run builds (several minutes on two cores); later runs print
# the cached path at once.
#
# Neither module installs with `go install`: their go.mod files have replace
# directives. So the module is downloaded with `go mod download -json`,
# copied (the module cache is read-only) and built inside the copy.
# Every build drops the cloud-storage state backends (azurerm, consul, cos,
# gcs, kubernetes, oss, pg, s3, oci) from the backend registry
# (internal/backend/init); the binary keeps every other feature and the
# local, remote, http, inmem and cloud backends (the tests use local state):
#  - Terraform 1.10 and later replace those backends with nested modules
#    in go.mod, which a module download never contains: they must go.
#  - OpenTofu and older Terraform keep them in their own module: dropping
#    them skips their SDKs, most of a cold build (OpenTofu 1.10.10 with
#    them: 9.5 min on two cores).
set -euo pipefail

# shellcheck source=clients.env
source "$(dirname "${BASH_SOURCE[0]}")/clients.env"

client="${1:-}"
case "$client" in
tofu) version="${2:-$HAWEBAPP_TOFU_VERSION}" module=github.com/opentofu/opentofu pkg=./cmd/tofu ;;
terraform) version="${2:-$HAWEBAPP_TERRAFORM_VERSION}" module=github.com/hashicorp/terraform pkg=. ;;
*)
  echo "usage: $0 tofu|terraform [version]" >&2
  exit 2
  ;;
esac
version="${version#v}"

cache="${HAWEBAPP_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/hawebapp}"
dir="$cache/$client-$version"
bin="$dir/$client"
# One build per version at a time: a second caller (make test starts
# several) waits for the first and takes its binary.
mkdir -p "$cache"
exec 9>"$cache/.lock-$client-$version"
flock 9
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || {
  echo "$0: go is not on PATH: install Go to build $client $version" >&2
  exit 1
}
# The build must not fetch another toolchain nor rewrite the module's files
# behind our back; GOFLAGS from the caller (e.g. -mod=vendor) would break it.
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0

echo "building $client $version into $dir (once per version; several minutes)" >&2
work="$(mktemp -d "$cache/.build-$client-$version.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

src="$(cd "$work" && go mod download -json "$module@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [[ -z "$src" || ! -d "$src" ]]; then
  echo "$0: go mod download $module@v$version gave no module directory" >&2
  exit 1
fi
cp -R "$src" "$work/src"
chmod -R u+w "$work/src"
cd "$work/src"

# drop_backend removes one backend package's import from the backend
# registry and the lines that use it (one line per backend there); any
# other file importing it means the source changed shape.
registry=./internal/backend/init/init.go
drop_backend() {
  local pkg="$1" f alias
  while read -r f; do
    [[ -n "$f" ]] || continue
    if [[ "$f" != "$registry" ]]; then
      echo "$0: $f imports $pkg: the recipe needs a look" >&2
      exit 1
    fi
  done < <(grep -rlF --include='*.go' --exclude='*_test.go' "\"$pkg\"" .)
  alias="$(sed -n "s|^[[:space:]]*\([A-Za-z0-9_]*\)[[:space:]]*\"$pkg\"\$|\1|p" "$registry")"
  [[ -n "$alias" ]] || alias="$(basename "$pkg")"
  sed -i -e "\|\"$pkg\"|d" -e "/[^A-Za-z0-9_]$alias\./d" "$registry"
  echo "  without backend $pkg ($alias)" >&2
}

# Terraform 1.10 and later replace their state-storage backends with nested
# modules that a module download never contains: drop each from go.mod and
# from the backend registry.
if [[ "$client" == terraform ]]; then
  mapfile -t nested < <(sed -n 's|^replace[[:space:]]\+\(github.com/hashicorp/terraform/[^[:space:]]*\)[[:space:]]\+=>[[:space:]]\+\./.*|\1|p' go.mod)
  for m in "${nested[@]}"; do
    go mod edit -dropreplace "$m" -droprequire "$m"
    if grep -rqF --include='*.go' --exclude='*_test.go' "\"$m\"" .; then
      drop_backend "$m"
    fi
  done
fi
# OpenTofu, and Terraform before 1.10, keep them in their own module: drop
# the cloud-storage ones from the registry, so every build has the same
# backends (local, remote, http, inmem, cloud) and skips their SDKs.
for b in azure consul cos gcs kubernetes oss pg s3 oci; do
  backend="$module/internal/backend/remote-state/$b"
  if grep -qF "\"$backend\"" "$registry"; then
    drop_backend "$backend"
  fi
done
if grep -q '/internal/backend/remote-state/\(azure\|consul\|cos\|gcs\|kubernetes\|oss\|pg\|s3\|oci\)"' "$registry"; then
  echo "$0: $registry still imports a cloud-storage backend: the recipe needs a look" >&2
  exit 1
fi

if ! gofmt -e "$registry" >/dev/null; then
  echo "$0: $registry no longer parses after the edit: the recipe needs a look" >&2
  exit 1
fi

go build -p 2 -trimpath -ldflags "-s -w" -o "$work/$client" "$pkg"
# A binary that cannot print its version is not kept (its warnings about
# the caller's CLI configuration are not a failure).
if ! out="$("$work/$client" version 2>&1)"; then
  echo "$out" >&2
  echo "$0: the $client $version just built does not run" >&2
  exit 1
fi
mkdir -p "$dir"
mv "$work/$client" "$bin"
echo "$bin"
