#!/usr/bin/env bash
# Installs the host tools `make demo` and `make test` need on a fresh Debian/Ubuntu machine, only when
# missing: the Docker engine (docker.io), debootstrap (builds the twin's base image), gpg (signs the
# twin's apt repository), the OpenSSH client (Ansible's connection to the twin's nodes) and iproute2 (the
# controller's network namespace). As root it installs them with apt-get; otherwise it says what to install.
set -euo pipefail

# command -> Debian package
tools=(dockerd:docker.io docker:docker.io debootstrap:debootstrap gpg:gpg ssh:openssh-client ssh-keygen:openssh-client ip:iproute2)
missing=()
for pair in "${tools[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 && continue
  package=${pair#*:}
  [[ " ${missing[*]-} " == *" $package "* ]] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "Missing host packages: ${missing[*]}. Install them as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  echo "(or run make as root, which installs them)" >&2
  exit 1
fi
echo "[host] installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
