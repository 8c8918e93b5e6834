"""Test support for the twin's package, repository and image tests: twinctl runs, .deb reading, one build per session."""

import io
import os
import subprocess
import sys
import tarfile
import time

import pytest

TWIN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "twin")
TWINCTL = os.path.join(TWIN_DIR, "twinctl")
# Another emulator tree can be packaged and tested by pointing this variable at it.
EMULATOR_DIR = os.environ.get("ESDB_TWIN_EMULATOR_DIR") or os.path.join(TWIN_DIR, "emulator")
REPO_PATH = "EventStore/EventStore-OSS"


def twinctl(*args, build_dir=None, emulator_dir=EMULATOR_DIR, check=True, env=None, timeout=900):
    """Run twinctl with this interpreter; return the CompletedProcess (text)."""
    cmd = [sys.executable, TWINCTL]
    if build_dir:
        cmd += ["--build-dir", str(build_dir)]
    if emulator_dir:
        cmd += ["--emulator-dir", str(emulator_dir)]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"twinctl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def report(request, line):
    """Show a measured figure in the pytest output without asserting on it."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"[twin] {line}")


def deb_listing(deb):
    """{path: TarInfo} of a .deb's payload, paths as absolute ('/usr/bin/eventstored')."""
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {os.path.normpath("/" + m.name): m for m in archive.getmembers()}


def deb_control(deb, member="control"):
    return subprocess.run(["dpkg-deb", "--info", str(deb), member], capture_output=True, text=True,
                          check=True).stdout


def deb_fields(deb):
    """The control paragraph as a dict (continuation lines joined with newlines)."""
    fields, key = {}, None
    for line in deb_control(deb).splitlines():
        if line.startswith(" ") and key:
            fields[key] += "\n" + line[1:]
        else:
            key, _unused, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def extract(deb, dest):
    subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
    return dest


# Each test module imports the fixture below, which makes it a separate definition per module: this
# keeps one build per session.
_SESSION_BUILD = {}


@pytest.fixture(scope="session")
def twin_build(tmp_path_factory, request):
    """A from-scratch build (packages, throwaway key, signed repository) in a private directory."""
    if _SESSION_BUILD:
        return _SESSION_BUILD
    build_dir = tmp_path_factory.mktemp("twin-build")
    started = time.monotonic()
    proc = twinctl("build", build_dir=build_dir, emulator_dir=EMULATOR_DIR)
    seconds = time.monotonic() - started
    report(request, f"cold build (debs + key + signed repos) took {seconds:.2f}s wall: {proc.stderr.strip()}")
    debs = {v: build_dir / "debs" / f"eventstore-oss_{v}_amd64.deb" for v in ("22.10.0", "22.10.1", "22.10.4")}
    _SESSION_BUILD.update(dir=build_dir, debs=debs, repo=build_dir / "repo" / REPO_PATH, seconds=seconds)
    return _SESSION_BUILD
