"""Builds the packages and the signed repository, skipping the work when nothing changed."""

import json
import os
import shutil
import time

from package import debbuild
from package.twinutil import DEFAULT_BUILD_DIR, EMULATOR_DIR, exclusive, tree_digest
from repo import aptrepo
from repo import suites as suite_sets

BUILDER_SOURCES = (
    debbuild.FILES_DIR,
    os.path.abspath(debbuild.__file__),
    os.path.abspath(aptrepo.__file__),
    os.path.join(os.path.dirname(os.path.abspath(debbuild.__file__)), "twinutil.py"),
    os.path.abspath(__file__),
    os.path.abspath(suite_sets.__file__),
)


class BuildLayout:
    """Where a build puts things."""

    def __init__(self, build_dir=DEFAULT_BUILD_DIR, sets=None):
        self.sets = sets if sets is not None else suite_sets.load()
        self.versions = suite_sets.all_versions(self.sets)
        self.build_dir = os.path.abspath(build_dir)
        self.debs_dir = os.path.join(self.build_dir, "debs")
        self.repo_root = os.path.join(self.build_dir, "repo")
        self.gnupg_home = os.path.join(self.build_dir, "gnupg")
        self.stamp = os.path.join(self.build_dir, "build.json")

    def debs(self):
        return [os.path.join(self.debs_dir, debbuild.deb_name(v)) for v in self.versions]

    def key_file(self):
        return os.path.join(self.repo_root, aptrepo.REPO_PATH, "gpgkey")

    def outputs(self):
        archives, keys = aptrepo.layout(self.sets)
        suite_files = [os.path.join(self.repo_root, archive, "dists", suite, name)
                       for archive, suites in archives for suite in suites
                       for name in ("InRelease", "Release", "Release.gpg")]
        return self.debs() + suite_files + [os.path.join(self.repo_root, key) for key in keys]

    def read_stamp(self):
        try:
            with open(self.stamp, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}


def inputs_digest(emulator_dir=EMULATOR_DIR):
    """What a build depends on: the emulator tree, these build scripts and the suites file in use."""
    return tree_digest([emulator_dir, *BUILDER_SOURCES, suite_sets.config_file()])


def build(build_dir=DEFAULT_BUILD_DIR, emulator_dir=EMULATOR_DIR, force=False, new_key=False):
    """Build when inputs changed (or when forced); return a summary dict."""
    layout = BuildLayout(build_dir)
    with exclusive(os.path.join(layout.build_dir, ".build.lock")):
        return _build(layout, emulator_dir, force, new_key)


def _build(layout, emulator_dir, force, new_key):
    started = time.monotonic()
    debbuild.check_emulator(emulator_dir)
    inputs = inputs_digest(emulator_dir)
    stamp = layout.read_stamp()
    if new_key:
        aptrepo.stop_gpg_agent(layout.gnupg_home)
        shutil.rmtree(layout.gnupg_home, ignore_errors=True)
    up_to_date = (not force and not new_key and stamp.get("inputs") == inputs
                  and all(os.path.exists(p) for p in layout.outputs()))
    if not up_to_date:
        if os.path.exists(layout.stamp):
            os.remove(layout.stamp)
        os.makedirs(layout.debs_dir, exist_ok=True)
        for name in os.listdir(layout.debs_dir):
            if name.endswith(".deb"):
                os.remove(os.path.join(layout.debs_dir, name))
        debs = debbuild.build_debs(layout.debs_dir, layout.versions, emulator_dir=emulator_dir)
        os.makedirs(layout.repo_root, exist_ok=True)
        fingerprint = aptrepo.build_repo(layout.repo_root, dict(zip(layout.versions, debs)), layout.gnupg_home,
                                         layout.sets)
        stamp = {"inputs": inputs, "fingerprint": fingerprint, "versions": layout.versions}
        with open(layout.stamp, "w", encoding="utf-8") as handle:
            json.dump(stamp, handle, indent=2)
    return {
        "built": not up_to_date,
        "seconds": round(time.monotonic() - started, 3),
        "debs": layout.debs(),
        "repo": layout.repo_root,
        "fingerprint": stamp["fingerprint"],
    }
