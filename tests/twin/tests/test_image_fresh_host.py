"""The fresh-host image flavour: a base image that behaves like a new Ubuntu EC2 instance on first boot.

Checked at the level of the build recipe (no Docker): what the rootfs gets, and that the first-boot commands
hold apt's and dpkg's locks the way apt does and that `cloud-init status --wait` waits for them.
"""
import fcntl
import os
import subprocess
import sys
import time

import pytest

from image import baseimage, freshhost
from package.twinutil import TwinError

TWIN = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FILES = os.path.join(TWIN, "image", "fresh-host")


def locked(path):
    """True when another process holds an fcntl write lock on path (what apt's GetLock would meet)."""
    with open(path, "a+b") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(handle, fcntl.LOCK_UN)
        return False


def first_boot(root, phase):
    env = dict(os.environ, ESDB_TWIN_FIRST_BOOT_ROOT=str(root))
    return subprocess.Popen([sys.executable, os.path.join(FILES, "first-boot"), phase], env=env)


def cloud_init(root, *args):
    env = dict(os.environ, ESDB_TWIN_FIRST_BOOT_ROOT=str(root))
    return subprocess.run([sys.executable, os.path.join(FILES, "cloud-init"), *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_the_flavours_differ_only_where_a_fresh_host_differs():
    assert baseimage.image_name("systemd") == baseimage.IMAGE
    assert baseimage.image_name("fresh-host") == "esdb-twin/debian12-fresh-host:latest"
    assert "python3-debian" in baseimage.PACKAGES and "python3-debian" not in freshhost.PACKAGES
    assert set(baseimage.PACKAGES) - set(freshhost.PACKAGES) == {"python3-debian"}
    assert baseimage.recipe_key("systemd") != baseimage.recipe_key("fresh-host")
    assert baseimage.tarball_path("/c", "systemd") != baseimage.tarball_path("/c", "fresh-host")


def test_the_flavour_comes_from_the_environment_with_a_clear_error():
    assert baseimage.flavour_from_env({}) == "systemd"
    assert baseimage.flavour_from_env({"ESDB_TWIN_IMAGE_FLAVOUR": "fresh-host"}) == "fresh-host"
    with pytest.raises(TwinError, match="ESDB_TWIN_IMAGE_FLAVOUR='ubuntu' is not an image flavour"):
        baseimage.flavour_from_env({"ESDB_TWIN_IMAGE_FLAVOUR": "ubuntu"})


def test_the_rootfs_gets_enabled_first_boot_units_and_empty_apt_lists(tmp_path):
    lists = tmp_path / "var/lib/apt/lists"
    lists.mkdir(parents=True)
    (lists / "deb.debian.org_debian_dists_bookworm_InRelease").write_text("x")
    for rel in ("etc/apt/sources.list.d", "var/cache/apt/archives", "var/lib/dbus", "etc"):
        (tmp_path / rel).mkdir(parents=True, exist_ok=True)
    baseimage.harden(str(tmp_path))
    freshhost.apply(str(tmp_path))
    assert not [p for p in lists.iterdir() if p.is_file()]
    # Like a cloud host, it knows its distribution's archive but has not read it yet.
    assert (tmp_path / "etc/apt/sources.list").read_text() == "deb http://deb.debian.org/debian bookworm main\n"
    assert os.access(tmp_path / "usr/bin/cloud-init", os.X_OK)
    assert (tmp_path / "usr/bin/cloud-init").read_text().startswith("#!/usr/bin/python3\n")
    wants = tmp_path / "etc/systemd/system/multi-user.target.wants"
    assert os.readlink(wants / "cloud-init.service") == "/etc/systemd/system/cloud-init.service"
    unit = (tmp_path / "etc/systemd/system/cloud-init.service").read_text()
    assert "Type=oneshot" in unit and "ExecStart=/usr/lib/esdb-twin/first-boot cloud-init" in unit
    after = (tmp_path / "etc/systemd/system/unattended-upgrades-first-run.service").read_text()
    assert "After=cloud-init.service" in after
    defaults = (tmp_path / "etc/default/esdb-twin-first-boot").read_text()
    assert "CLOUD_INIT_SECONDS=15" in defaults and "UNATTENDED_UPGRADES_SECONDS=20" in defaults


def test_first_boot_holds_the_dpkg_lock_until_cloud_init_is_done(tmp_path):
    (tmp_path / "etc/default").mkdir(parents=True)
    (tmp_path / "etc/default/esdb-twin-first-boot").write_text("CLOUD_INIT_SECONDS=1.5\n"
                                                               "UNATTENDED_UPGRADES_SECONDS=1\n")
    assert cloud_init(tmp_path, "status").stdout.startswith("status: not started")
    boot = first_boot(tmp_path, "cloud-init")
    try:
        lock = tmp_path / "var/lib/dpkg/lock-frontend"
        deadline = time.monotonic() + 5
        while not (lock.exists() and locked(lock)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert locked(lock) and locked(tmp_path / "var/lib/dpkg/lock")
        assert cloud_init(tmp_path, "status").stdout == "status: running\n"
        waited = cloud_init(tmp_path, "status", "--wait")
        assert waited.returncode == 0 and waited.stdout.endswith("status: done\n") and "." in waited.stdout
        assert boot.wait(5) == 0
        assert not locked(lock)
    finally:
        boot.kill()
    upgrades = first_boot(tmp_path, "unattended-upgrades")
    try:
        time.sleep(0.4)
        assert locked(tmp_path / "var/lib/dpkg/lock-frontend")
        assert upgrades.wait(5) == 0
        assert not locked(tmp_path / "var/lib/dpkg/lock-frontend")
    finally:
        upgrades.kill()
