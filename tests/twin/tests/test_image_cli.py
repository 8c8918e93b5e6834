"""twinctl's input checks and its answer when no Docker engine is reachable (no Docker needed)."""

import os

import pytest

from ansible_collections.esdb.cluster.tests.lib.twintesting import twinctl

ENGINE_HINT = "Docker engine not reachable: start dockerd (as root: dockerd"


@pytest.fixture(name="no_engine")
def no_engine_fixture(tmp_path):
    """An environment whose docker client points at a socket nobody listens on."""
    return dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/absent.sock")


@pytest.mark.parametrize("args", [
    ("image",),
    ("serve", "--network", "esdb-twin-test", "--ip", "10.42.250.250"),
    ("unserve", "--network", "esdb-twin-test"),
    ("up", "--network", "esdb-twin-test", "--subnet", "10.42.250.0/24"),
    ("down", "--network", "esdb-twin-test"),
])
def test_docker_commands_say_how_to_start_the_engine(no_engine, tmp_path, args):
    proc = twinctl(*args, build_dir=tmp_path, env=no_engine, check=False)
    assert proc.returncode == 1
    assert ENGINE_HINT in proc.stderr
    assert "Traceback" not in proc.stderr


def test_status_reports_a_missing_engine_and_build(no_engine, tmp_path):
    proc = twinctl("status", build_dir=tmp_path, env=no_engine)
    assert "build: missing" in proc.stdout
    assert ENGINE_HINT in proc.stdout


@pytest.mark.parametrize("args, message", [
    (("--subnet", "bogus"), "--subnet 'bogus' is not a CIDR network"),
    (("--subnet", "10.42.250.7/24"), "--subnet '10.42.250.7/24' is not a CIDR network"),
    (("--subnet", "10.42.250.0/30"), "too small for the default apt address .250: pass --apt-ip"),
    (("--subnet", "10.42.250.0/24", "--apt-ip", "10.9.9.9"), "10.9.9.9 is not a host address of --subnet"),
    (("--subnet", "10.42.250.0/24", "--apt-ip", "10.42.250.255"), "10.42.250.255 is not a host address"),
    (("--subnet", "10.42.250.0/24", "--apt-ip", "nonsense"), "'nonsense' is not an IP address"),
])
def test_up_rejects_bad_addresses_before_touching_docker(no_engine, tmp_path, args, message):
    proc = twinctl("up", "--network", "esdb-twin-test", *args, build_dir=tmp_path, env=no_engine, check=False)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert ENGINE_HINT not in proc.stderr


def test_port_out_of_range_is_rejected(tmp_path):
    proc = twinctl("serve", "--network", "n", "--ip", "10.42.250.250", "--port", "70000", build_dir=tmp_path,
                   check=False)
    assert proc.returncode == 2
    assert "--port 70000 is not a TCP port" in proc.stderr
