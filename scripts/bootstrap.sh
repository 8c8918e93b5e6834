#!/usr/bin/env bash
# Prepares everything the Makefile targets need, and skips what is already in place:
#   .venv         pinned Python tools (requirements.txt is the lock, requirements.in the intent)
#   .collections  the collections from requirements.yml, plus esdb.cluster -> this checkout
#   ~/.ansible/test/cache  the pip bootstrap that ansible-test would otherwise download
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=$root/.venv
cols=$root/.collections/ansible_collections
cache=$root/.cache
ansible_bundle=12.3.0   # the `ansible` release whose wheel carries the collections below

say() { printf '[bootstrap] %s\n' "$*"; }

pick_python() {
  for py in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    if [ -z "$py" ] || ! command -v "$py" >/dev/null 2>&1; then continue; fi
    if "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"; return
    fi
  done
  echo "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)" >&2
  exit 1
}

ensure_venv() {
  local stamp=$venv/.requirements.sha256 want
  want=$(sha256sum requirements.txt | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return
  fi
  say "creating .venv from requirements.txt"
  [ -x "$venv/bin/python" ] || "$(pick_python)" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
}

collections_complete() {
  "$venv/bin/python" - "$cols" requirements.yml <<'PY'
import json, sys, yaml, os
cols, req = sys.argv[1], sys.argv[2]
for c in yaml.safe_load(open(req))["collections"]:
    ns, name = c["name"].split(".")
    try:
        info = json.load(open(os.path.join(cols, ns, name, "MANIFEST.json")))["collection_info"]
    except OSError:
        sys.exit(1)
    if info["version"] != c["version"]:
        sys.exit(1)
PY
}

install_from_galaxy() {
  "$venv/bin/ansible-galaxy" collection install -r requirements.yml -p "$root/.collections" \
    --force --timeout 20 >"$cache/galaxy.log" 2>&1
}

install_from_wheel() {
  local wheel_dir=$cache/wheels
  mkdir -p "$wheel_dir"
  if ! ls "$wheel_dir"/ansible-"$ansible_bundle"-*.whl >/dev/null 2>&1; then
    say "downloading the ansible $ansible_bundle wheel from PyPI (it carries the collections)"
    "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
      "ansible==$ansible_bundle" -d "$wheel_dir"
  fi
  "$venv/bin/python" - "$wheel_dir"/ansible-"$ansible_bundle"-*.whl "$root/.collections" requirements.yml <<'PY'
import sys, zipfile, yaml
wheel, dest, req = sys.argv[1:4]
wanted = tuple("ansible_collections/%s/" % c["name"].replace(".", "/")
               for c in yaml.safe_load(open(req))["collections"])
with zipfile.ZipFile(wheel) as z:
    z.extractall(dest, [n for n in z.namelist() if n.startswith(wanted)])
PY
}

ensure_collections() {
  mkdir -p "$cols/esdb" "$cache"
  ln -sfn ../../.. "$cols/esdb/cluster"
  collections_complete && return
  say "installing collections into .collections"
  if [ "${ESDB_COLLECTIONS_SOURCE:-auto}" != wheel ] && install_from_galaxy; then
    say "collections installed from Galaxy"
  else
    [ "${ESDB_COLLECTIONS_SOURCE:-auto}" = galaxy ] && { cat "$cache/galaxy.log"; exit 1; }
    say "Galaxy unreachable; using the pinned ansible wheel from PyPI"
    install_from_wheel
  fi
  collections_complete || { echo "collections are incomplete after install" >&2; exit 1; }
}

ensure_ansible_test_pip() {
  # ansible-test fetches get-pip from a host outside PyPI; give it a local one that
  # runs pip from the pip wheel, which PyPI serves.
  local version target
  version=$("$venv/bin/python" - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
class P: version = "3.11"
print(get_venv_packages(P)["pip"])
PY
)
  target=$HOME/.ansible/test/cache/get_pip_${version//./_}.py
  [ -f "$target" ] && return
  say "providing ansible-test's pip $version bootstrap"
  mkdir -p "$(dirname "$target")" "$cache/wheels"
  "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
    "pip==$version" -d "$cache/wheels"
  sed "s|@PIP_WHEEL@|$(ls "$cache"/wheels/pip-"$version"-*.whl)|" scripts/get_pip_offline.py > "$target"
}

# ansible-test sanity runs shellcheck on the scripts only where it is installed.
ensure_shellcheck() {
  command -v shellcheck >/dev/null 2>&1 && return
  if [ "$(id -u)" -ne 0 ]; then
    say "shellcheck is missing, so sanity will skip the shell scripts: apt-get install shellcheck"
    return
  fi
  say "installing shellcheck"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }
}

ensure_venv
ensure_collections
ensure_ansible_test_pip
ensure_shellcheck
