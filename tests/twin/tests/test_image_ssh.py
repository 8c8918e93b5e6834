"""SSH into the twin's instances as into a new EC2 instance: the launch key pair's user, sudo, own host keys.

The syncer seeds the key pair's public key into the container before it boots (tests/twin/ec2/instance_sync.py);
the image's instance-login unit makes host keys and installs the key for `ubuntu` (image/instance_login.py).
"""
import subprocess
import time

import pytest

from ec2 import instance_sync
from image import baseimage

pytestmark = [pytest.mark.docker, pytest.mark.slow]

NETWORK, SUBNET = "esdb-twin-ssh", "10.42.241.0/24"


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120, check=check)


def ssh(key, ip, command, known_hosts):
    return subprocess.run(["ssh", "-i", str(key), "-o", "BatchMode=yes", "-o", "ConnectTimeout=3",
                           "-o", "UserKnownHostsFile=%s" % known_hosts, "-o", "StrictHostKeyChecking=accept-new",
                           "ubuntu@" + ip, command], capture_output=True, text=True, timeout=60, check=False)


def ssh_when_up(key, ip, command, known_hosts, deadline=60):
    """The first answer that is not "connection refused" while sshd starts."""
    started = time.monotonic()
    while True:
        result = ssh(key, ip, command, known_hosts)
        booting = "Connection refused" in result.stderr or "No route" in result.stderr or "timed out" in result.stderr
        if not booting or time.monotonic() - started > deadline:
            return result
        time.sleep(0.5)


@pytest.fixture(name="launch", scope="module")
def launch_fixture(tmp_path_factory):
    if docker("info", check=False).returncode != 0:
        pytest.skip("no Docker engine reachable")
    key = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    docker("network", "rm", NETWORK, check=False)
    docker("network", "create", "--subnet", SUBNET, NETWORK)
    made = []

    def launch(suffix, ip, flavour="systemd", with_key=True):
        instance = {"InstanceId": "i-ssh" + suffix, "PrivateIpAddress": ip}
        image = baseimage.image_name(flavour)
        instance_sync.start_container(instance, NETWORK, image, key.with_suffix(".pub").read_text() if with_key else "")
        made.append(instance["InstanceId"])
        return ip

    launch.key = key
    yield launch
    for instance_id in made:
        instance_sync.remove_container(instance_id)
    docker("network", "rm", NETWORK, check=False)


@pytest.mark.parametrize("flavour, ip", [("systemd", "10.42.241.11"), ("fresh-host", "10.42.241.12")])
def test_the_key_pairs_user_logs_in_and_becomes_root_without_a_password(launch, flavour, ip, tmp_path):
    launch(flavour, ip, flavour)
    result = ssh_when_up(launch.key, ip, "id -un; sudo -n id -u", tmp_path / "known_hosts")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ubuntu", "0"]


def test_every_instance_has_host_keys_of_its_own(launch, tmp_path):
    fingerprints = []
    for suffix, ip in (("a", "10.42.241.21"), ("b", "10.42.241.22")):
        launch(suffix, ip)
        result = ssh_when_up(launch.key, ip, "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub", tmp_path / "kh")
        assert result.returncode == 0, result.stderr
        fingerprints.append(result.stdout.split()[1])
    assert fingerprints[0] != fingerprints[1]


def test_an_instance_launched_without_a_key_pair_admits_nobody(launch, tmp_path):
    ip = launch("nokey", "10.42.241.31", with_key=False)
    result = ssh_when_up(launch.key, ip, "true", tmp_path / "known_hosts")
    assert result.returncode == 255 and "Permission denied" in result.stderr, result.stderr
