#!/usr/bin/env bash
# Makes sure a Docker engine answers and the host tools the twin needs are installed
# (scripts/ensure-host-tools.sh). As root it installs what is missing and starts dockerd
# when needed; otherwise it says what is missing.
set -euo pipefail
"$(dirname "$0")/ensure-host-tools.sh"
docker info >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "No Docker engine answers. Start one (or run as root so this script can)." >&2
  exit 1
fi
echo "[docker] starting dockerd (log: /var/log/dockerd.log)"
nohup dockerd >/var/log/dockerd.log 2>&1 &
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "dockerd did not answer within 60 s; see /var/log/dockerd.log" >&2
exit 1
