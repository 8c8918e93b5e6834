"""The eventstore-oss .debs: metadata, layout, conffiles, unit file and the packaged emulator."""

import configparser
import hashlib
import os
import stat
import subprocess
import sys

import pytest
import yaml

from ansible_collections.esdb.cluster.tests.lib.twintesting import (
    EMULATOR_DIR, deb_control, deb_fields, deb_listing, extract, twin_build, twinctl)

__all__ = ["twin_build"]
VERSIONS = ("22.10.0", "22.10.1")


@pytest.mark.parametrize("version", VERSIONS)
def test_control_names_the_package_and_says_it_is_a_test_emulator(twin_build, version):
    fields = deb_fields(twin_build["debs"][version])
    assert fields["Package"] == "eventstore-oss"
    assert fields["Version"] == version
    assert fields["Architecture"] == "amd64"
    depends = [d.strip() for d in fields["Depends"].split(",")]
    assert "python3" in depends and "python3-yaml" in depends
    summary, _unused, body = fields["Description"].partition("\n")
    assert "test emulator" in summary and "NOT EventStoreDB" in summary
    assert "TEST DOUBLE" in body
    assert int(fields["Installed-Size"]) > 0


def test_layout_matches_the_real_package(twin_build):
    listing = deb_listing(twin_build["debs"]["22.10.0"])
    entry = listing["/usr/share/eventstore/eventstored"]
    assert entry.isfile() and stat.S_IMODE(entry.mode) == 0o755
    link = listing["/usr/bin/eventstored"]
    assert link.issym()
    assert os.path.normpath(os.path.join("/usr/bin", link.linkname)) == "/usr/share/eventstore/eventstored"
    for path in ("/etc/eventstore/eventstore.conf", "/usr/lib/systemd/system/eventstore.service",
                 "/usr/share/doc/eventstore-oss/copyright"):
        assert listing[path].isfile() and stat.S_IMODE(listing[path].mode) == 0o644, path
    assert {(m.uname, m.gname) for m in listing.values()} == {("root", "root")}


def test_payload_is_the_emulator_tree_without_caches(twin_build):
    listing = deb_listing(twin_build["debs"]["22.10.0"])
    packaged = {p[len("/usr/share/eventstore/"):] for p, m in listing.items()
                if p.startswith("/usr/share/eventstore/") and m.isfile()}
    source = set()
    for dirpath, dirnames, filenames in os.walk(EMULATOR_DIR):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        source.update(os.path.relpath(os.path.join(dirpath, f), EMULATOR_DIR)
                      for f in filenames if not f.endswith(".pyc"))
    assert packaged == source
    assert not any("__pycache__" in p or p.endswith(".pyc") for p in listing)


def test_config_is_the_only_conffile(twin_build):
    assert deb_control(twin_build["debs"]["22.10.0"], "conffiles").split() == ["/etc/eventstore/eventstore.conf"]


def test_default_config_is_a_commented_single_node_yaml(twin_build, tmp_path):
    root = extract(twin_build["debs"]["22.10.0"], tmp_path)
    text = (root / "etc/eventstore/eventstore.conf").read_text()
    assert text.startswith("---\n")
    assert "\n# " in text
    config = yaml.safe_load(text)
    assert config["Db"] == "/var/lib/eventstore" and config["Log"] == "/var/log/eventstore"
    assert config.get("ClusterSize", 1) == 1 and "Insecure" not in config


def test_default_config_is_accepted_by_the_packaged_emulator(twin_build, tmp_path):
    root = extract(twin_build["debs"]["22.10.0"], tmp_path)
    config = root / "etc/eventstore/eventstore.conf"
    proc = subprocess.run([sys.executable, "-B", str(root / "usr/bin/eventstored"), "--config", str(config),
                           "--what-if"], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("(Yaml)") == len(yaml.safe_load(config.read_text()))


def test_unit_runs_as_eventstore_with_a_file_limit(twin_build, tmp_path):
    root = extract(twin_build["debs"]["22.10.0"], tmp_path)
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str
    unit.read(root / "usr/lib/systemd/system/eventstore.service")
    service = unit["Service"]
    assert service["User"] == "eventstore" and service["Group"] == "eventstore"
    assert service["ExecStart"] == "/bin/bash -c 'echo $$ > /run/eventstore/eventstore.pid; exec /usr/bin/eventstored'"
    assert service["Restart"] == "on-failure"
    assert service["RuntimeDirectory"] == "eventstore"
    assert int(service["LimitNOFILE"]) >= 30000
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "not EventStoreDB" in unit["Unit"]["Description"]


def _version_constant(root):
    version_files = [os.path.join(d, f) for d, _unused, fs in os.walk(root) for f in fs if f == "version.py"]
    assert len(version_files) == 1
    with open(version_files[0], encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("version", VERSIONS)
def test_packaged_command_reports_its_version_and_that_it_is_an_emulator(twin_build, tmp_path, version):
    root = extract(twin_build["debs"][version], tmp_path)
    assert f'VERSION = "{version}"' in _version_constant(root / "usr/share/eventstore")
    proc = subprocess.run([sys.executable, "-B", str(root / "usr/bin/eventstored"), "--version"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    assert version in proc.stdout and "emulator" in proc.stdout


def test_version_rewrite_leaves_the_source_tree_alone(twin_build):
    assert 'VERSION = "22.10.0"' in _version_constant(EMULATOR_DIR)


def test_same_sources_give_identical_debs(twin_build, tmp_path):
    twinctl("build", build_dir=tmp_path, emulator_dir=EMULATOR_DIR)
    for version, deb in twin_build["debs"].items():
        rebuilt = tmp_path / "debs" / deb.name
        assert hashlib.sha256(rebuilt.read_bytes()).digest() == hashlib.sha256(deb.read_bytes()).digest(), version


def test_packaged_entry_point_runs_on_the_system_python3(twin_build, tmp_path):
    root = extract(twin_build["debs"]["22.10.0"], tmp_path)
    with open(root / "usr/share/eventstore/eventstored", encoding="utf-8") as handle:
        assert handle.readline() == "#!/usr/bin/python3\n"
    with open(os.path.join(EMULATOR_DIR, "eventstored"), encoding="utf-8") as handle:
        assert handle.readline().startswith("#!/usr/bin/env python")
