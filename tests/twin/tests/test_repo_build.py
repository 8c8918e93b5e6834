"""`twinctl build`: a no-op when nothing changed, a rebuild (same key) when the emulator changes."""

import shutil
import time

from ansible_collections.esdb.cluster.tests.lib.twintesting import EMULATOR_DIR, REPO_PATH, deb_fields, report, twinctl


def fingerprint_of(proc):
    return proc.stderr.split("signing key ")[1].split(")")[0]


def test_warm_build_changes_nothing(tmp_path, request):
    twinctl("build", build_dir=tmp_path, emulator_dir=EMULATOR_DIR)
    release = tmp_path / "repo" / REPO_PATH / "ubuntu/dists/jammy/InRelease"
    before = (release.stat().st_mtime_ns, release.read_bytes())
    started = time.monotonic()
    warm = twinctl("build", build_dir=tmp_path, emulator_dir=EMULATOR_DIR)
    report(request, f"warm build took {time.monotonic() - started:.2f}s wall: {warm.stderr.strip()}")
    assert "up to date" in warm.stderr
    assert (release.stat().st_mtime_ns, release.read_bytes()) == before


def test_changed_emulator_is_rebuilt_and_signed_with_the_same_key(tmp_path):
    emulator = tmp_path / "emulator"
    shutil.copytree(EMULATOR_DIR, emulator, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    build_dir = tmp_path / "build"
    first = twinctl("build", build_dir=build_dir, emulator_dir=emulator)
    deb = build_dir / "debs" / "eventstore-oss_22.10.0_amd64.deb"
    size_before = deb_fields(deb)["Installed-Size"]
    (emulator / "extra_notes.txt").write_text("x" * 40000)
    second = twinctl("build", build_dir=build_dir, emulator_dir=emulator)
    assert "built in" in second.stderr
    assert int(deb_fields(deb)["Installed-Size"]) > int(size_before)
    assert fingerprint_of(second) == fingerprint_of(first)


def test_new_key_replaces_the_signing_key(tmp_path):
    first = twinctl("build", build_dir=tmp_path, emulator_dir=EMULATOR_DIR)
    key_before = (tmp_path / "repo" / REPO_PATH / "gpgkey").read_bytes()
    second = twinctl("build", "--new-key", build_dir=tmp_path, emulator_dir=EMULATOR_DIR)
    assert fingerprint_of(second) != fingerprint_of(first)
    assert (tmp_path / "repo" / REPO_PATH / "gpgkey").read_bytes() != key_before


def test_missing_emulator_is_a_clear_error(tmp_path):
    proc = twinctl("build", build_dir=tmp_path / "build", emulator_dir=tmp_path / "nowhere", check=False)
    assert proc.returncode == 1
    assert "emulator entry point missing" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "build" / "repo").exists()
