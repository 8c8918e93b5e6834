"""Builds the eventstore-oss .deb of the test emulator with the real package's layout."""

import os
import re
import shutil

from package.twinutil import (EMULATOR_DIR, SOURCE_DATE_EPOCH, TwinError, run, walk_files)

PACKAGE = "eventstore-oss"
VERSIONS = ("22.10.0", "22.10.1")  # the default build; the repository builds what suites.json lists
ARCHITECTURE = "amd64"  # as the real package: it ships a self-contained x64 .NET build
FILES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
ENTRY_POINT = "eventstored"
VERSION_ASSIGNMENT = re.compile(r"""^(?P<lhs>[A-Z_]*VERSION[A-Z_]*\s*=\s*)(?P<q>["'])(?P<ver>\d+\.\d+\.\d+)(?P=q)""",
                                re.MULTILINE)

# (source file under files/, destination in the package, mode)
PAYLOAD = (
    ("eventstore.conf", "etc/eventstore/eventstore.conf", 0o644),
    ("eventstore.service", "usr/lib/systemd/system/eventstore.service", 0o644),
    ("README", "usr/share/doc/eventstore-oss/README", 0o644),
    ("copyright", "usr/share/doc/eventstore-oss/copyright", 0o644),
)
MAINTAINER_SCRIPTS = ("postinst", "prerm", "postrm")


def deb_name(version):
    return f"{PACKAGE}_{version}_{ARCHITECTURE}.deb"


def find_version_file(emulator_dir):
    """Return (relative path, version) of the emulator's version constant."""
    for rel in walk_files(emulator_dir):
        if os.path.basename(rel) == "version.py":
            with open(os.path.join(emulator_dir, rel), encoding="utf-8") as handle:
                match = VERSION_ASSIGNMENT.search(handle.read())
            if match:
                return rel, match.group("ver")
    raise TwinError(f"no version.py with a VERSION = \"X.Y.Z\" constant under {emulator_dir}: "
                    "the emulator tree is incomplete")


def check_emulator(emulator_dir):
    entry = os.path.join(emulator_dir, ENTRY_POINT)
    if not os.path.isfile(entry):
        raise TwinError(f"emulator entry point missing: {entry} (the emulator tree must exist before packaging)")
    if not os.access(entry, os.X_OK):
        raise TwinError(f"emulator entry point is not executable: {entry} (chmod +x it)")
    return find_version_file(emulator_dir)


def _copy(src, dest, mode):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copyfile(src, dest)
    os.chmod(dest, mode)


def _set_version(path, version):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    text, count = VERSION_ASSIGNMENT.subn(lambda m: f"{m.group('lhs')}{m.group('q')}{version}{m.group('q')}", text)
    if count != 1:
        raise TwinError(f"expected exactly one version constant in {path}, found {count}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _installed_size_kib(root):
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "DEBIAN"]
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                total += (os.path.getsize(path) + 1023) // 1024
    return total


def _normalise(root):
    """Fixed modes and timestamps, so that the same inputs give the same .deb."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.stat(path).st_mode & 0o111 else 0o644)
        for name in dirnames + filenames:
            os.utime(os.path.join(dirpath, name), (SOURCE_DATE_EPOCH,) * 2, follow_symlinks=False)
    os.utime(root, (SOURCE_DATE_EPOCH,) * 2)


def _pin_interpreter(path):
    """Point the entry point at the system python3, as Debian packaging does: the source uses
    "/usr/bin/env python", and a Debian 12 host may have no "python" at all."""
    with open(path, encoding="utf-8") as handle:
        first, rest = handle.read().split("\n", 1)
    if first.startswith("#!") and "python" in first:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("#!/usr/bin/python3\n" + rest)


def stage(stage_dir, version, emulator_dir=EMULATOR_DIR):
    """Lay out the package tree for one version in stage_dir."""
    version_rel, _unused = check_emulator(emulator_dir)
    app_dir = os.path.join(stage_dir, "usr/share/eventstore")
    for rel in walk_files(emulator_dir):
        src = os.path.join(emulator_dir, rel)
        _copy(src, os.path.join(app_dir, rel), 0o755 if os.access(src, os.X_OK) else 0o644)
    _set_version(os.path.join(app_dir, version_rel), version)
    _pin_interpreter(os.path.join(app_dir, ENTRY_POINT))
    os.makedirs(os.path.join(stage_dir, "usr/bin"))
    os.symlink(f"../share/eventstore/{ENTRY_POINT}", os.path.join(stage_dir, "usr/bin", ENTRY_POINT))
    for name, dest, mode in PAYLOAD:
        _copy(os.path.join(FILES_DIR, name), os.path.join(stage_dir, dest), mode)
    control_dir = os.path.join(stage_dir, "DEBIAN")
    for name in MAINTAINER_SCRIPTS:
        _copy(os.path.join(FILES_DIR, name), os.path.join(control_dir, name), 0o755)
    _copy(os.path.join(FILES_DIR, "conffiles"), os.path.join(control_dir, "conffiles"), 0o644)
    with open(os.path.join(FILES_DIR, "control.in"), encoding="utf-8") as handle:
        control = handle.read()
    control = control.replace("@VERSION@", version).replace("@ARCHITECTURE@", ARCHITECTURE)
    control = control.replace("@INSTALLED_SIZE@", str(_installed_size_kib(stage_dir)))
    with open(os.path.join(control_dir, "control"), "w", encoding="utf-8") as handle:
        handle.write(control)
    _normalise(stage_dir)


def build_deb(out_dir, version, emulator_dir=EMULATOR_DIR):
    """Build one .deb into out_dir and return its path."""
    os.makedirs(out_dir, exist_ok=True)
    stage_dir = os.path.join(out_dir, f".stage-{version}")
    shutil.rmtree(stage_dir, ignore_errors=True)
    try:
        stage(stage_dir, version, emulator_dir)
        target = os.path.join(out_dir, deb_name(version))
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(SOURCE_DATE_EPOCH))
        run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", stage_dir, target], env=env)
    finally:
        shutil.rmtree(stage_dir, ignore_errors=True)
    return target


def build_debs(out_dir, versions=VERSIONS, emulator_dir=EMULATOR_DIR):
    return [build_deb(out_dir, version, emulator_dir) for version in versions]
