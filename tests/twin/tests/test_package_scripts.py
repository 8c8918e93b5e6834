"""Maintainer scripts, run against recording stand-ins for the system commands they call."""

import os
import subprocess

import pytest

from ansible_collections.esdb.cluster.tests.lib.twintesting import twin_build

__all__ = ["twin_build"]
RECORDED = ("getent", "groupadd", "useradd", "userdel", "groupdel", "install", "systemctl", "rm", "rmdir", "find")
SERVICE_CHANGES = ("enable", "start", "restart", "reload-or-restart", "try-restart", "unmask")


@pytest.fixture(name="scripts")
def scripts_fixture(twin_build, tmp_path):
    """The maintainer scripts as packaged."""
    target = tmp_path / "control"
    subprocess.run(["dpkg-deb", "--control", str(twin_build["debs"]["22.10.0"]), str(target)], check=True)
    return target


def run_script(script, args, tmp_path, account_exists=False, with_adduser=False):
    """Run a maintainer script with stand-in commands; return the list of recorded calls."""
    shims = tmp_path / "shims"
    shims.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    log.write_text("")
    names = RECORDED + (("adduser", "addgroup") if with_adduser else ())
    for name in names:
        rc = (0 if account_exists else 2) if name == "getent" else 0
        path = shims / name
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> "$CALL_LOG"\nexit {rc}\n')
        path.chmod(0o755)
    env = {"PATH": f"{shims}:/usr/bin:/bin", "CALL_LOG": str(log)}
    proc = subprocess.run(["/bin/sh", str(script), *args], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return [line.split() for line in log.read_text().splitlines()]


def assert_service_untouched(calls):
    for call in calls:
        if call[0] == "systemctl":
            assert not set(call[1:]) & set(SERVICE_CHANGES), call


def test_scripts_are_valid_shell(scripts):
    for name in ("postinst", "prerm", "postrm"):
        subprocess.run(["/bin/sh", "-n", str(scripts / name)], check=True)
        assert os.access(scripts / name, os.X_OK), name


def test_postinst_creates_account_and_directories_without_starting_the_service(scripts, tmp_path):
    calls = run_script(scripts / "postinst", ["configure", ""], tmp_path)
    assert ["groupadd", "--system", "eventstore"] in calls
    useradd = next(c for c in calls if c[0] == "useradd")
    assert useradd[1:3] == ["--system", "--gid"] and useradd[-1] == "eventstore"
    assert "/usr/sbin/nologin" in useradd
    install = next(c for c in calls if c[0] == "install")
    assert install[1:8] == ["-d", "-m", "0750", "-o", "eventstore", "-g", "eventstore"]
    assert install[8:] == ["/var/lib/eventstore", "/var/log/eventstore"]
    assert_service_untouched(calls)


def test_postinst_prefers_adduser_when_present(scripts, tmp_path):
    calls = run_script(scripts / "postinst", ["configure", ""], tmp_path, with_adduser=True)
    commands = [c[0] for c in calls]
    assert "addgroup" in commands and "adduser" in commands
    assert "groupadd" not in commands and "useradd" not in commands


def test_postinst_is_idempotent_when_the_account_exists(scripts, tmp_path):
    calls = run_script(scripts / "postinst", ["configure", "22.10.0"], tmp_path, account_exists=True)
    commands = [c[0] for c in calls]
    assert not {"groupadd", "useradd", "adduser", "addgroup"} & set(commands)
    assert "install" in commands
    assert_service_untouched(calls)


def test_prerm_on_upgrade_clears_byte_code_but_keeps_the_service(scripts, tmp_path):
    calls = run_script(scripts / "prerm", ["upgrade", "22.10.1"], tmp_path)
    assert not any(c[0] == "systemctl" for c in calls)
    find = next(c for c in calls if c[0] == "find")
    assert find[1] == "/usr/share/eventstore" and "__pycache__" in find


def test_postrm_purge_removes_data_logs_and_account(scripts, tmp_path):
    calls = run_script(scripts / "postrm", ["purge"], tmp_path, account_exists=True)
    assert ["rm", "-rf", "/var/lib/eventstore", "/var/log/eventstore"] in calls
    assert ["userdel", "eventstore"] in calls and ["groupdel", "eventstore"] in calls


def test_postrm_remove_keeps_data_and_account(scripts, tmp_path):
    calls = run_script(scripts / "postrm", ["remove"], tmp_path, account_exists=True)
    assert not any(c[0] in ("rm", "userdel", "groupdel") for c in calls)
