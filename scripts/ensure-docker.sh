#!/usr/bin/env bash
# Makes sure a Docker engine answers. As root it installs docker.io and starts
# dockerd when needed; otherwise it says what is missing.
set -euo pipefail
docker info >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "No Docker engine answers. Start one (or run as root so this script can)." >&2
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "[docker] installing docker.io"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
echo "[docker] starting dockerd (log: /var/log/dockerd.log)"
nohup dockerd >/var/log/dockerd.log 2>&1 &
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "dockerd did not answer within 60 s; see /var/log/dockerd.log" >&2
exit 1
