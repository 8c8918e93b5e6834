#!/usr/bin/env bash
# ansible-test sanity needs the tree at .../ansible_collections/esdb/cluster, so it
# runs on a fresh copy of the files git knows about (tracked, or new and not ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# ansible-test skips every file below a hidden directory, so the copy lives in TMPDIR.
base=${TMPDIR:-/tmp}/esdb-cluster-sanity-$(printf '%s' "$root" | sha256sum | cut -c1-12)
mirror=$base/ansible_collections/esdb/cluster
rm -rf "$mirror" && mkdir -p "$mirror"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar -c --null -T - | tar -x -C "$mirror"
cd "$mirror"
# Keep git from finding this checkout above the copy: ansible-test would then see no files.
export GIT_CEILING_DIRECTORIES=$base
export ANSIBLE_COLLECTIONS_PATH=$base:$root/.collections
exec "$root/.venv/bin/ansible-test" sanity --color no --python "${ESDB_SANITY_PYTHON:-3.11}" "$@"
