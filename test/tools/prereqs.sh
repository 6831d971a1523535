#!/usr/bin/env bash
# Checks (and where it can, installs) what `make test`, `make demo` and the
# sandbox need: go, terraform, python3 with moto, haproxy, ab and PostgreSQL.
# haproxy, apache2-utils (ab) and postgresql are installed with apt when
# missing and running as root; everything else is reported with what to do.
#
# Usage: test/tools/prereqs.sh [--no-install]
set -euo pipefail

install=1
[[ "${1:-}" == "--no-install" ]] && install=0

missing=()
note() { printf '  %-10s %s\n' "$1" "$2"; }

echo "Checking prerequisites:"

if command -v go >/dev/null 2>&1; then
  note go "$(go version | awk '{print $3}')"
else
  missing+=("go: install Go 1.26 or later (https://go.dev/dl)")
fi

if command -v terraform >/dev/null 2>&1; then
  note terraform "$(terraform version 2>/dev/null | head -n1)"
else
  missing+=("terraform: install Terraform CLI 1.11 or later and put it on PATH")
fi

py="${PYTHON:-python3}"
if command -v "$py" >/dev/null 2>&1; then
  if v="$("$py" -c 'import moto, sys; sys.stdout.write(moto.__version__)' 2>/dev/null)"; then
    note moto "$v ($py)"
  else
    missing+=("moto: $py cannot import moto; install it with: $py -m pip install 'moto[server]==5.2.1'")
  fi
else
  missing+=("python3: install Python 3 and then: python3 -m pip install 'moto[server]==5.2.1'")
fi

# Debian packages the sandbox's data plane uses.
apt_missing=()
command -v haproxy >/dev/null 2>&1 || apt_missing+=(haproxy)
command -v ab >/dev/null 2>&1 || apt_missing+=(apache2-utils)
# PostgreSQL stands in for RDS: initdb on PATH, else the newest Debian
# /usr/lib/postgresql/<version>/bin that has it, and as root a postgres user
# to run it as. The same search, in the same order, as postgres.Binary in
# test/sandbox/postgres/find.go, which the tests, the sandbox and the demo use.
pg_bin() {
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$d/initdb" ]]; then echo "$d"; return; fi
  done
}
if [[ -z "$(pg_bin)" ]] || { [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; }; then
  apt_missing+=(postgresql)
fi
if ((${#apt_missing[@]})); then
  if ((install)) && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${apt_missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
  else
    missing+=("${apt_missing[*]}: install with: sudo apt-get install ${apt_missing[*]}")
  fi
fi
command -v haproxy >/dev/null 2>&1 && note haproxy "$(haproxy -v 2>/dev/null | head -n1 | awk '{print $3}')"
command -v ab >/dev/null 2>&1 && note ab "$(ab -V 2>/dev/null | head -n1 | awk '{print $5}')"
if pg="$(pg_bin)" && [[ -n "$pg" ]]; then
  note postgres "$("$pg/postgres" --version 2>/dev/null | awk '{print $3}') ($pg)"
fi

# The hashicorp/aws provider: from a local filesystem mirror when there is one.
mirror=""
for d in "${HAWEBAPP_TF_MIRROR:-}" /opt/tf-plugins /usr/share/terraform/plugins /usr/local/share/terraform/plugins \
  "${HOME:-/root}/.terraform.d/plugins" "${HOME:-/root}/.local/share/terraform/plugins"; do
  # <mirror>/<registry host>/hashicorp/<provider>: any host (test/tfcli
  # offers it under every client's own host).
  if [[ -n "$d" ]] && compgen -G "$d/*/hashicorp/*/" >/dev/null; then mirror="$d"; break; fi
done
if [[ -n "$mirror" ]]; then
  note mirror "$mirror"
else
  note mirror "none found (set HAWEBAPP_TF_MIRROR); hashicorp/aws will be installed from the public registry"
fi

if ((${#missing[@]})); then
  echo
  echo "Missing prerequisites:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi
echo "All prerequisites are present."
