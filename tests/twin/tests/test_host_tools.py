"""`make demo` / `make test` on a fresh machine: scripts/ensure-docker.sh (the Makefile's docker target) installs
what is missing (docker.io, debootstrap, gpg, openssh-client, iproute2) as root, and says what to install otherwise.

Run against stub commands: no package is installed and no daemon is started.
"""
import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "ensure-docker.sh"
REAL_TOOLS = ("bash", "seq", "sleep", "nohup", "dirname", "cat", "touch")
INSTALLED_BY = {"docker.io": ("docker", "dockerd"), "debootstrap": ("debootstrap",), "gpg": ("gpg",),
                "openssh-client": ("ssh", "ssh-keygen"), "iproute2": ("ip",)}
EVERY_PACKAGE = ["docker.io", "debootstrap", "gpg", "openssh-client", "iproute2"]


@pytest.fixture(name="host")
def host_fixture(tmp_path):
    """A PATH with only a few real tools and stubs for id, apt-get, docker and dockerd, logging their calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in REAL_TOOLS:
        os.symlink(shutil.which(tool), bin_dir / tool)
    log = tmp_path / "calls.log"

    def stub(name, body):
        path = bin_dir / name
        path.write_text("#!%s\necho \"%s $*\" >> %s\n%s\n" % (shutil.which("bash"), name, log, body))
        path.chmod(0o755)

    stub("id", 'echo "$FAKE_UID"')
    creators = "\n".join('  %s) for c in %s; do touch "%s/$c"; chmod +x "%s/$c"; done;;' % (
        package, " ".join(commands), bin_dir, bin_dir) for package, commands in INSTALLED_BY.items())
    stub("apt-get", 'for p in "$@"; do case "$p" in\n%s\nesac; done' % creators)

    class Host:
        def present(self, *commands):
            for command in commands:
                target = bin_dir / command
                if command == "docker":
                    stub("docker", '[ -e "%s/engine" ]' % tmp_path)
                elif command == "dockerd":
                    stub("dockerd", 'touch "%s/engine"' % tmp_path)
                else:
                    target.write_text("#!/bin/true\n")
                    target.chmod(0o755)

        @staticmethod
        def run(uid):
            env = {"PATH": str(bin_dir), "FAKE_UID": str(uid)}
            return subprocess.run([shutil.which("bash"), str(SCRIPT)], env=env, capture_output=True, text=True,
                                  timeout=120, check=False)

        @staticmethod
        def calls():
            return log.read_text().splitlines() if log.exists() else []

    return Host()


def test_as_root_a_fresh_machine_gets_every_host_tool(host, tmp_path):
    result = host.run(0)
    assert "[host] installing %s" % " ".join(EVERY_PACKAGE) in result.stdout
    installs = [c for c in host.calls() if c.startswith("apt-get")]
    assert installs[0] == "apt-get update -qq"
    assert installs[1].startswith("apt-get install -y -qq") and installs[1].split()[-5:] == EVERY_PACKAGE
    assert len(installs) == 2, "one install for every missing package"
    for command in ("debootstrap", "gpg", "dockerd", "docker", "ssh", "ssh-keygen", "ip"):
        assert (tmp_path / "bin" / command).exists()


def test_as_root_nothing_is_installed_when_everything_is_there(host):
    host.present("docker", "dockerd", "debootstrap", "gpg", "ssh", "ssh-keygen", "ip")
    host.run(0)
    assert not [c for c in host.calls() if c.startswith("apt-get")]


def test_as_root_only_the_missing_package_is_installed(host):
    host.present("docker", "dockerd", "gpg", "ssh", "ssh-keygen", "ip")
    result = host.run(0)
    assert "[host] installing debootstrap" in result.stdout
    assert [c for c in host.calls() if c.startswith("apt-get install")][0].split()[-1] == "debootstrap"


@pytest.mark.parametrize("missing, package", [("ssh", "openssh-client"), ("ssh-keygen", "openssh-client"),
                                              ("ip", "iproute2")])
def test_as_root_the_ssh_client_and_iproute2_are_installed_when_missing(host, missing, package):
    host.present(*(c for commands in INSTALLED_BY.values() for c in commands if c != missing))
    result = host.run(0)
    assert "[host] installing %s" % package in result.stdout
    assert [c for c in host.calls() if c.startswith("apt-get install")][0].split()[-1] == package


def test_without_root_it_says_what_to_install(host):
    host.present("docker", "dockerd", "ip")
    result = host.run(1000)
    assert result.returncode == 1
    assert "Missing host packages: debootstrap gpg openssh-client. Install them as root:" in result.stderr
    assert "apt-get update && apt-get install -y debootstrap gpg openssh-client" in result.stderr
    assert not [c for c in host.calls() if c.startswith("apt-get")]
