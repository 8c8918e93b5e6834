"""End to end in Docker: the repository served to a systemd container, installed, upgraded and purged."""

import subprocess
import time

import pytest

from ansible_collections.esdb.cluster.tests.lib.twintesting import report, twin_build, twinctl

__all__ = ["twin_build"]
pytestmark = [pytest.mark.docker, pytest.mark.slow]

NETWORK = "esdb-twin-test"
SUBNET = "10.42.250.0/24"
NODE = "esdb-twin-test-node"
NODE_IP = "10.42.250.10"
SYSTEMD_RUN = ("--cap-add", "SYS_ADMIN", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
               "--tmpfs", "/run", "--tmpfs", "/run/lock", "--security-opt", "seccomp=unconfined")
KEY = "/etc/apt/keyrings/eventstore.asc"
SOURCES = "/etc/apt/sources.list.d/eventstore.sources"
FETCH_KEY = "import sys, urllib.request; open(sys.argv[2], 'wb').write(urllib.request.urlopen(sys.argv[1]).read())"
PROBE_HEALTH = (
    "import time, urllib.request\n"
    "for _ in range(100):\n"
    "    try:\n"
    "        print(urllib.request.urlopen('http://127.0.0.1:2113/health/live', timeout=1).status); break\n"
    "    except OSError:\n"
    "        time.sleep(0.2)\n"
)
INSECURE_CONFIG = "---\nInsecure: true\nRunProjections: None\n"


def docker(*args, check=True, timeout=120):
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def in_node(*cmd, check=True, timeout=180):
    return docker("exec", NODE, *cmd, check=check, timeout=timeout)


def shell(script, check=True):
    return in_node("sh", "-ec", script, check=check)


def write_file(path, text):
    proc = subprocess.run(["docker", "exec", "-i", NODE, "sh", "-ec", f"cat > {path}"], input=text, text=True,
                          capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


def write_sources(url, signed_by=None):
    lines = ["Types: deb", f"URIs: {url}", "Suites: bookworm", "Components: main"]
    write_file(SOURCES, "\n".join(lines + ([f"Signed-By: {signed_by}"] if signed_by else [])) + "\n")


@pytest.fixture(name="engine", scope="module")
def engine_fixture():
    try:
        proc = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                              text=True, timeout=20, check=False)
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"no Docker engine reachable: {exc}")
    if proc.returncode != 0:
        pytest.skip(f"no Docker engine reachable: {proc.stderr.strip()}")


@pytest.fixture(name="twin", scope="module")
def twin_fixture(engine, twin_build, request):
    """The twin network with its apt server, from `twinctl up`; torn down afterwards."""
    started = time.monotonic()
    proc = twinctl("up", "--network", NETWORK, "--subnet", SUBNET, build_dir=twin_build["dir"])
    report(request, f"twinctl up took {time.monotonic() - started:.2f}s: {' | '.join(proc.stderr.splitlines())}")
    values = dict(line.split("=", 1) for line in proc.stdout.splitlines())
    yield values
    docker("rm", "-f", NODE, check=False)
    twinctl("down", "--network", NETWORK, build_dir=twin_build["dir"])


@pytest.fixture(name="node", scope="module")
def node_fixture(twin):
    docker("rm", "-f", NODE, check=False)
    docker("run", "-d", "--name", NODE, "--label", "esdb.twin=1", "--network", NETWORK, "--ip", NODE_IP,
           *SYSTEMD_RUN, twin["TWIN_IMAGE"], "/sbin/init")
    assert wait_for_systemd() == "running", shell("systemctl --failed --no-legend || true", check=False).stdout
    yield NODE
    docker("rm", "-f", NODE, check=False)


def wait_for_systemd(deadline=60):
    """The system state once PID 1 answers (systemctl fails to connect while it starts)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        state = in_node("systemctl", "is-system-running", "--wait", check=False, timeout=deadline).stdout.strip()
        if state:
            return state
        time.sleep(0.3)
    return "no answer"


def version_installed():
    return in_node("dpkg-query", "-W", "-f=${Version}", "eventstore-oss").stdout


def test_up_is_idempotent_and_prints_urls(twin, twin_build):
    again = twinctl("up", "--network", NETWORK, "--subnet", SUBNET, build_dir=twin_build["dir"])
    assert "apt server esdb-twin-apt-esdb-twin-test reused" in again.stderr
    assert twin["APT_REPO_URL"] == "http://10.42.250.250:8080/mirror/eventstore-oss/debian/"
    assert twin["APT_KEY_URL"] == "http://10.42.250.250:8080/mirror/eventstore-oss/gpgkey"
    assert twin["APT_PACKAGECLOUD_URL"] == "http://10.42.250.250:8080/EventStore/EventStore-OSS/ubuntu/"
    assert dict(line.split("=", 1) for line in again.stdout.splitlines()) == twin


def test_serve_needs_an_existing_network(twin, twin_build):
    proc = twinctl("serve", "--network", "esdb-twin-test-absent", "--ip", "10.42.251.250",
                   build_dir=twin_build["dir"], check=False)
    assert proc.returncode == 1 and "docker network 'esdb-twin-test-absent' does not exist" in proc.stderr


def test_image_is_hermetic(node):
    assert shell("cat /etc/apt/sources.list; ls /etc/apt/sources.list.d").stdout.strip().startswith("# Empty")
    assert shell("ls /var/lib/apt/lists | grep -v -x partial || true").stdout.strip() == ""
    assert len(in_node("cat", "/etc/machine-id").stdout.strip()) == 32
    in_node("python3", "-c", "import apt, debian, yaml")
    in_node("sudo", "-n", "true")


def test_apt_refuses_the_repository_without_its_key(node, twin):
    write_sources(twin["APT_REPO_URL"])
    proc = in_node("apt-get", "update", "-o", "APT::Update::Error-Mode=any", check=False)
    assert proc.returncode != 0
    assert "NO_PUBKEY" in proc.stdout + proc.stderr or "not signed" in proc.stdout + proc.stderr


def test_install_upgrade_and_purge(node, twin):
    in_node("mkdir", "-p", "/etc/apt/keyrings")
    in_node("python3", "-c", FETCH_KEY, twin["APT_KEY_URL"], KEY)
    write_sources(twin["APT_REPO_URL"], signed_by=KEY)
    in_node("apt-get", "update", "-o", "APT::Update::Error-Mode=any")
    in_node("apt-get", "install", "-y", "eventstore-oss=22.10.0")
    assert version_installed() == "22.10.0"
    assert in_node("systemctl", "is-enabled", "eventstore", check=False).stdout.strip() == "disabled"
    assert in_node("systemctl", "is-active", "eventstore", check=False).stdout.strip() == "inactive"
    account = in_node("getent", "passwd", "eventstore").stdout.strip().split(":")
    assert account[5:] == ["/var/lib/eventstore", "/usr/sbin/nologin"]
    assert shell("stat -c '%U:%G %a' /var/lib/eventstore /var/log/eventstore").stdout.split("\n")[:2] == \
        ["eventstore:eventstore 750"] * 2
    first = in_node("eventstored", "--version").stdout
    assert "22.10.0" in first and "emulator" in first

    # The service runs as its user under systemd once configured; upgrades keep the edited conffile.
    write_file("/etc/eventstore/eventstore.conf", INSECURE_CONFIG)
    in_node("systemctl", "start", "eventstore")
    assert in_node("python3", "-c", PROBE_HEALTH).stdout.strip() == "204"
    pid = in_node("systemctl", "show", "-p", "MainPID", "--value", "eventstore").stdout.strip()
    assert shell(f"stat -c %U /proc/{pid}").stdout.strip() == "eventstore"

    in_node("apt-get", "install", "-y", "eventstore-oss=22.10.1")
    assert version_installed() == "22.10.1"
    assert in_node("cat", "/etc/eventstore/eventstore.conf").stdout == INSECURE_CONFIG
    upgraded = in_node("eventstored", "--version").stdout
    assert "22.10.1" in upgraded and "emulator" in upgraded
    assert in_node("systemctl", "is-enabled", "eventstore", check=False).stdout.strip() == "disabled"

    in_node("apt-get", "purge", "-y", "eventstore-oss")
    assert in_node("getent", "passwd", "eventstore", check=False).returncode == 2
    assert shell("ls -d /var/lib/eventstore /var/log/eventstore /usr/share/eventstore /etc/eventstore "
                 "2>/dev/null || true").stdout == ""
    assert in_node("systemctl", "is-active", "eventstore", check=False).stdout.strip() == "inactive"
