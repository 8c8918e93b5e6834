#!/usr/bin/env bash
# Modules and module_utils run on the managed node's Python: 3.8 on Ubuntu focal, 3.10 on jammy.
# Proves they stay compatible with Python 3.8 and later, in two ways:
#   1. vermin (a static minimum-version check) with -t=3.8- over the files; any violation fails;
#   2. ansible-test's compile test (through scripts/sanity.sh) with every interpreter from 3.8 on
#      that this machine has besides the one sanity.sh already uses, found on PATH or under pyenv.
# Usage: scripts/check_target_python.sh [--no-compile] [PATH...]
#   PATH defaults to plugins/modules plugins/module_utils; --no-compile runs only vermin.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
floor=3.8
vermin_version=1.9.2
say() { printf '[target-python] %s\n' "$*"; }

compile=1
if [ "${1:-}" = "--no-compile" ]; then compile=0; shift; fi
if [ $# -eq 0 ]; then set -- plugins/modules plugins/module_utils; fi

if [ ! -x "$root/.venv/bin/vermin" ]; then
  say "installing vermin $vermin_version into .venv"
  "$root/.venv/bin/python" -m pip install -q "vermin==$vermin_version"
fi
say "vermin -t=$floor- over $*"
"$root/.venv/bin/vermin" -t="$floor-" --violations --no-tips --eval-annotations "$@"

[ "$compile" = 1 ] || exit 0
# ansible-test names a directory target with a trailing slash.
targets=()
for path in "$@"; do if [ -d "$path" ]; then targets+=("${path%/}/"); else targets+=("$path"); fi; done
# A version counts only when its interpreter really runs (pyenv shims exist for versions that
# are not selected, and fail).
interpreter_for() {
  local version=$1 candidate
  for candidate in "$(command -v "python$version" 2>/dev/null || true)" \
                   "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/"python$version"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && \
       "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" \
         >/dev/null 2>&1; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}
found=0
for version in 3.8 3.9 3.10 3.12 3.13; do
  if python=$(interpreter_for "$version"); then
    say "ansible-test compile on Python $version ($python)"
    PATH="$(dirname "$python"):$PATH" ESDB_SANITY_PYTHON=$version scripts/sanity.sh --test compile "${targets[@]}"
    found=$((found + 1))
  else
    say "no Python $version here; its compile test is skipped"
  fi
done
say "compile test ran on $found interpreter(s) besides the one scripts/sanity.sh uses"
