"""Serves the built repository to containers: one HTTP server container per docker network."""

import ipaddress
import os

from image.baseimage import IMAGE, image_status
from image.dockercli import TWIN_LABEL, docker, inspect, is_twin_owned, labels_of, require_engine
from package.twinutil import TwinError
from repo import aptrepo, suites

DEFAULT_PORT = 8080
DEFAULT_APT_HOST = 250
SERVER_ROLE = "apt"
READY_TIMEOUT = 60  # a busy machine running several twin clusters can take this long
# Polls from inside the server container, so readiness does not depend on host routing.
READY_PROBE = (
    "import sys, time, urllib.request\n"
    "url = sys.argv[1]\n"
    "for _ in range({tries}):\n"
    "    try:\n"
    "        urllib.request.urlopen(url, timeout=1).read(); sys.exit(0)\n"
    "    except OSError:\n"
    "        time.sleep(0.2)\n"
    "sys.exit(1)\n"
).format(tries=READY_TIMEOUT * 5)


def container_name(network):
    return f"esdb-twin-apt-{network}"


def urls(ip, port, sets=None):
    """APT_REPO_URL/APT_KEY_URL: the Debian mirror the twin's bookworm hosts install from (a user's own
    repository: packagecloud has no Debian builds); APT_PACKAGECLOUD_*: the packagecloud-shaped Ubuntu tree."""
    base = f"http://{ip}:{port}"
    sets = suites.load() if sets is None else sets
    found = {"APT_BASE_URL": base}
    mirror = sets.get("mirror")
    if mirror:
        found["APT_REPO_URL"] = f"{base}/{mirror['path']}/{mirror.get('distribution', 'debian')}/"
        found["APT_KEY_URL"] = f"{base}/{mirror['path']}/gpgkey"
    found["APT_PACKAGECLOUD_URL"] = f"{base}/{aptrepo.REPO_PATH}/ubuntu/"
    found["APT_PACKAGECLOUD_KEY_URL"] = f"{base}/{aptrepo.REPO_PATH}/gpgkey"
    return found


def network_subnets(net):
    return [ipaddress.ip_network(cfg["Subnet"]) for cfg in (net.get("IPAM", {}).get("Config") or [])
            if cfg.get("Subnet")]


def parse_subnet(subnet):
    try:
        return ipaddress.ip_network(subnet)
    except ValueError as exc:
        raise TwinError(f"--subnet {subnet!r} is not a CIDR network such as 10.42.250.0/24 ({exc})") from exc


def check_host_address(ip, subnets, where):
    """Raise unless ip is a usable host address in one of subnets."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError as exc:
        raise TwinError(f"{ip!r} is not an IP address") from exc
    if not any(address in s and address not in (s.network_address, s.broadcast_address) for s in subnets):
        have = ", ".join(str(s) for s in subnets) or "no fixed subnet"
        raise TwinError(f"{ip} is not a host address of {where} ({have})")


def apt_address(subnet, apt_ip=None):
    """The apt server address: apt_ip when given, else .250 of the subnet; checked against the subnet."""
    net = parse_subnet(subnet)
    if apt_ip is None:
        if net.num_addresses < DEFAULT_APT_HOST + 2:
            raise TwinError(f"subnet {subnet} is too small for the default apt address .{DEFAULT_APT_HOST}: "
                            "pass --apt-ip")
        apt_ip = str(net.network_address + DEFAULT_APT_HOST)
    check_host_address(apt_ip, [net], "--subnet")
    return apt_ip


def require_network(network):
    net = inspect("network", network)
    if net is None:
        raise TwinError(f"docker network '{network}' does not exist: create it "
                        f"(docker network create --subnet CIDR {network}) or use `twinctl up`")
    return net


def ensure_network(network, subnet):
    """Create a twin-labelled network with this subnet, or accept an existing one that has it."""
    wanted = parse_subnet(subnet)
    net = inspect("network", network)
    if net is None:
        docker("network", "create", "--driver", "bridge", "--subnet", str(wanted),
               "--label", f"{TWIN_LABEL}=1", network)
        return "created"
    if wanted not in network_subnets(net):
        have = ", ".join(str(s) for s in network_subnets(net)) or "none"
        raise TwinError(f"docker network '{network}' exists with subnet(s) {have}, not {wanted}: "
                        f"use that subnet or `twinctl down --network {network}` first")
    return "exists"


def _matches(container, ip, port, repo_root, image_id):
    labels = labels_of(container)
    return (container["State"].get("Running") and container.get("Image") == image_id
            and labels.get("esdb.twin.apt.ip") == ip and labels.get("esdb.twin.apt.port") == str(port)
            and labels.get("esdb.twin.apt.repo") == repo_root)


def serve(network, ip, port, repo_root):
    """Make sure the apt server container runs on network at ip:port; return (urls, action)."""
    require_engine()
    repo_root = os.path.abspath(repo_root)
    if not os.path.isfile(os.path.join(repo_root, aptrepo.REPO_PATH, "gpgkey")):
        raise TwinError(f"no repository under {repo_root}: run `tests/twin/twinctl build` first")
    net = require_network(network)
    check_host_address(ip, network_subnets(net), f"network '{network}'")
    image_id, _unused = image_status()
    if image_id is None:
        raise TwinError(f"image {IMAGE} missing: run `tests/twin/twinctl image` first")
    name = container_name(network)
    existing = inspect("container", name)
    if existing is not None and not is_twin_owned(existing):
        raise TwinError(f"container '{name}' exists but was not created by twinctl: remove or rename it")
    if existing is not None and _matches(existing, ip, port, repo_root, image_id):
        action = "reused"
    else:
        if existing is not None:
            docker("rm", "-f", name)
        docker("run", "-d", "--name", name, "--label", f"{TWIN_LABEL}=1",
               "--label", f"{TWIN_LABEL}.role={SERVER_ROLE}", "--label", f"esdb.twin.apt.ip={ip}",
               "--label", f"esdb.twin.apt.port={port}", "--label", f"esdb.twin.apt.repo={repo_root}",
               "--network", network, "--ip", ip, "--user", "65534:65534", "--read-only",
               "--restart", "unless-stopped", "-v", f"{repo_root}:/srv/repo:ro", IMAGE,
               "python3", "-m", "http.server", str(port), "--bind", ip, "--directory", "/srv/repo")
        action = "started"
    found = urls(ip, port)
    if docker("exec", name, "python3", "-c", READY_PROBE, found["APT_PACKAGECLOUD_KEY_URL"], check=False) is None:
        logs = docker("logs", "--tail", "20", name, check=False) or ""
        raise TwinError(f"apt server {name} did not answer on {found['APT_BASE_URL']} "
                        f"within {READY_TIMEOUT}s:\n{logs}")
    return found, action


def unserve(network):
    require_engine()
    name = container_name(network)
    existing = inspect("container", name)
    if existing is None:
        return "absent"
    if not is_twin_owned(existing):
        raise TwinError(f"container '{name}' was not created by twinctl: leaving it alone")
    docker("rm", "-f", name)
    return "removed"


def remove_network(network):
    net = inspect("network", network)
    if net is None:
        return "absent"
    if not is_twin_owned(net):
        return "kept (not created by twinctl)"
    attached = sorted(c.get("Name", cid) for cid, c in (net.get("Containers") or {}).items())
    if attached:
        raise TwinError(f"docker network '{network}' still has containers attached: {', '.join(attached)}; "
                        "remove them first")
    docker("network", "rm", network)
    return "removed"


def servers():
    """Rows (name, state, ip, port) of every apt server container twinctl made."""
    out = docker("ps", "-a", "--filter", f"label={TWIN_LABEL}.role={SERVER_ROLE}", "--format",
                 '{{.Names}}\t{{.State}}\t{{.Label "esdb.twin.apt.ip"}}\t{{.Label "esdb.twin.apt.port"}}')
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def twin_networks():
    out = docker("network", "ls", "--filter", f"label={TWIN_LABEL}=1", "--format", "{{.Name}}")
    return [line for line in out.splitlines() if line.strip()]
