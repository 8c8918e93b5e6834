"""The repository publishes what packagecloud publishes: per-suite version sets for focal and jammy, amd64 only,
no Debian archive; Debian hosts use a user's own mirror, configured explicitly (suites.json).

The role's default path (packagecloud URL + /ubuntu/ + the host's codename) is exercised with the real apt
tools against the built tree (file: URIs, an isolated apt state directory, no network).
"""

import json
import os
import subprocess

import pytest

from ansible_collections.esdb.cluster.tests.lib.twintesting import REPO_PATH, deb_fields, twin_build, twinctl

__all__ = ["twin_build"]
PACKAGECLOUD_SETS = {"focal": ["22.10.0", "22.10.1"], "jammy": ["22.10.4"]}
MIRROR = "mirror/eventstore-oss"


@pytest.fixture(name="keyring", scope="module")
def keyring_fixture(twin_build, tmp_path_factory):
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    armored = (twin_build["repo"] / "gpgkey").read_bytes()
    binary = subprocess.run(["gpg", "--homedir", str(home), "--batch", "--dearmor"], input=armored,
                            capture_output=True, check=True).stdout
    (home / "repo.gpg").write_bytes(binary)
    return home / "repo.gpg"


def madison(tmp_path, url, suite, keyring):
    """`apt-cache madison eventstore-oss` for one deb822 source, in a private apt state (no host state used)."""
    root = tmp_path / suite
    for rel in ("etc/sources.list.d", "etc/preferences.d", "etc/apt.conf.d", "state/lists/partial",
                "cache/archives/partial"):
        (root / rel).mkdir(parents=True, exist_ok=True)
    (root / "etc/sources.list").write_text("")
    (root / "etc/sources.list.d/eventstore.sources").write_text(
        f"Types: deb\nURIs: {url}\nSuites: {suite}\nComponents: main\nSigned-By: {keyring}\n")
    options = ["-o", f"Dir::Etc={root}/etc", "-o", f"Dir::State={root}/state", "-o", f"Dir::Cache={root}/cache",
               "-o", "Dir::State::status=/dev/null", "-o", "APT::Architecture=amd64",
               "-o", "APT::Architectures=amd64", "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root"]
    update = subprocess.run(["apt-get", *options, "update"], capture_output=True, text=True, timeout=120,
                            check=False)
    listing = subprocess.run(["apt-cache", *options, "madison", "eventstore-oss"], capture_output=True, text=True,
                             timeout=60, check=False)
    versions = sorted(line.split("|")[1].strip() for line in listing.stdout.splitlines() if "|" in line)
    return update, versions


@pytest.mark.parametrize("suite", sorted(PACKAGECLOUD_SETS))
def test_each_ubuntu_suite_offers_its_own_versions(twin_build, keyring, tmp_path, suite):
    url = (twin_build["repo"] / "ubuntu").as_uri() + "/"
    update, versions = madison(tmp_path, url, suite, keyring)
    assert update.returncode == 0, update.stdout + update.stderr
    assert versions == PACKAGECLOUD_SETS[suite]


def test_packagecloud_has_no_debian_suite(twin_build, keyring, tmp_path):
    assert not (twin_build["repo"] / "debian").exists()
    update, versions = madison(tmp_path, (twin_build["repo"] / "ubuntu").as_uri() + "/", "bookworm", keyring)
    assert versions == []
    assert "bookworm Release" in update.stdout + update.stderr


def test_the_mirror_serves_debian_hosts_what_it_was_given(twin_build, keyring, tmp_path):
    mirror = twin_build["dir"] / "repo" / MIRROR
    assert (mirror / "gpgkey").read_bytes() == (twin_build["repo"] / "gpgkey").read_bytes()
    update, versions = madison(tmp_path, (mirror / "debian").as_uri() + "/", "bookworm", keyring)
    assert update.returncode == 0, update.stdout + update.stderr
    assert versions == ["22.10.0", "22.10.1"]


def test_packages_are_amd64_like_the_real_ones(twin_build):
    for version, deb in twin_build["debs"].items():
        assert deb.name == f"eventstore-oss_{version}_amd64.deb"
        assert deb_fields(deb)["Architecture"] == "amd64"


def test_other_sets_can_be_configured(tmp_path):
    sets = {"packagecloud": {"ubuntu": {"jammy": ["22.10.2", "22.10.3"]}},
            "mirror": {"path": "apt/own", "distribution": "debian", "suites": {"bookworm": ["22.10.3"]}}}
    config = tmp_path / "suites.json"
    config.write_text(json.dumps(sets))
    env = dict(os.environ, ESDB_TWIN_REPO_SUITES=str(config))
    twinctl("build", build_dir=tmp_path / "build", env=env)
    repo = tmp_path / "build" / "repo"
    assert sorted(p.name for p in (tmp_path / "build" / "debs").glob("*.deb")) == [
        "eventstore-oss_22.10.2_amd64.deb", "eventstore-oss_22.10.3_amd64.deb"]
    assert not (repo / REPO_PATH / "ubuntu/dists/focal").exists()
    assert "Version: 22.10.3" in (repo / "apt/own/debian/dists/bookworm/main/binary-amd64/Packages").read_text()


def test_a_bad_suites_file_is_a_clear_error(tmp_path):
    config = tmp_path / "suites.json"
    config.write_text(json.dumps({"packagecloud": {"ubuntu": {"jammy": ["latest"]}}}))
    proc = twinctl("build", build_dir=tmp_path / "build", env=dict(os.environ, ESDB_TWIN_REPO_SUITES=str(config)),
                   check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "suite jammy lists ['latest']: give X.Y.Z versions" in proc.stderr
