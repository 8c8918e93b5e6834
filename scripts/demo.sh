#!/usr/bin/env bash
# `make demo`: the whole of site.yml on this machine, against the local twin
# (moto for EC2, Docker containers for the instances, a signed local apt repository
# serving the test-only node emulator). `scripts/demo.sh down` removes all of it.
#
# It runs the way inventories/aws does by default (access mode bastion): the controller stands outside
# the VPC, in a network namespace of its own (tests/twin/ec2/edge.py) that reaches the EC2 API and
# the jump host only, and Ansible reaches every node over SSH through the jump host.
#
# ESDB_SOURCE=packagecloud uses the real packagecloud repository and an Ubuntu
# systemd image instead (needs internet and Docker Hub; see docs/demo.md).
set -euo pipefail
cd "$(dirname "$0")/.."
network=esdb-demo
subnet=10.42.0.0/24
edge=10.42.240.0/24
bastion_ip=10.42.0.249
source=${ESDB_SOURCE:-twin}

if [ "${1:-up}" = down ]; then
  tests/twin/ec2/ec2twin down
  tests/twin/twinctl down --network "$network"
  rm -rf "${XDG_DATA_HOME:-$HOME/.local/share}/esdb.cluster/demo-pki" .cache/twin
  echo "demo removed"
  exit 0
fi

extra=()
case "$source" in
  twin)
    tests/twin/twinctl up --network "$network" --subnet "$subnet" >/dev/null
    # Nodes boot like fresh cloud hosts: cloud-init runs, apt's lock is held, the apt lists are empty.
    image=$(tests/twin/twinctl image --flavour fresh-host | cut -d' ' -f1) ;;
  packagecloud)
    image=${ESDB_DEMO_IMAGE:-geerlingguy/docker-ubuntu2204-ansible:latest}
    docker network inspect "$network" >/dev/null 2>&1 || docker network create --subnet "$subnet" "$network" >/dev/null
    # Ubuntu images from Docker Hub run no SSH server: reached through Docker, from this machine.
    extra=(-e @inventories/packagecloud-demo.yml) ;;
  *) echo "ESDB_SOURCE must be twin or packagecloud, not '$source'" >&2; exit 2 ;;
esac
tests/twin/ec2/ec2twin up --network "$network" --subnet "$subnet" --image "$image" \
  --edge "$edge" --bastion-ip "$bastion_ip" >/dev/null
# SSH connection masters of this run only: a node of an earlier demo may have had the same address.
ANSIBLE_SSH_CONTROL_PATH_DIR=$(mktemp -d /tmp/esdb-demo-ssh.XXXXXX)
export ANSIBLE_SSH_CONTROL_PATH_DIR
trap 'rm -rf "$ANSIBLE_SSH_CONTROL_PATH_DIR"' EXIT
controller=(tests/twin/ec2/ec2twin exec --)
[ "$source" = packagecloud ] && controller=()
rc=0
"${controller[@]}" ansible-playbook site.yml -i inventories/local "${extra[@]}" "$@" || rc=$?
if [ "$rc" != 0 ] && [ -s .cache/twin/sync.log ]; then
  # The twin's instances are containers; when one did not come up, its syncer says why.
  echo "--- last lines of the twin's instance log (.cache/twin/sync.log) ---" >&2
  tail -n 20 .cache/twin/sync.log >&2
fi
exit "$rc"
