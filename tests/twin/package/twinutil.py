"""Shared helpers for the local twin build scripts: errors, commands, hashing."""

import contextlib
import fcntl
import hashlib
import os
import subprocess

# The package payload carries this timestamp so that rebuilding the same tree gives the same bytes
# (2022-11-10, the day EventStoreDB 22.10.0 was tagged).
SOURCE_DATE_EPOCH = 1668038400

TWIN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMULATOR_DIR = os.path.join(TWIN_DIR, "emulator")
DEFAULT_BUILD_DIR = os.path.join(TWIN_DIR, ".build")

# Files that never belong in a build input or payload.
IGNORED_NAMES = {"__pycache__", ".pytest_cache", ".mypy_cache"}
IGNORED_SUFFIXES = (".pyc", ".pyo", "~", ".swp")


class TwinError(Exception):
    """A failure with a message that says what went wrong and how to fix it."""


def run(cmd, *, env=None, input_data=None, timeout=600, cwd=None):
    """Run a command and return its stdout (bytes); raise TwinError with its stderr on failure."""
    try:
        proc = subprocess.run(
            cmd, env=env, input=input_data, cwd=cwd, timeout=timeout,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
        )
    except FileNotFoundError as exc:
        raise TwinError(f"command not found: {cmd[0]} (install it, then retry)") from exc
    except subprocess.TimeoutExpired as exc:
        raise TwinError(f"command timed out after {timeout}s: {' '.join(cmd)}") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip() or proc.stdout.decode(errors="replace").strip()
        raise TwinError(f"command failed (exit {proc.returncode}): {' '.join(cmd)}\n{detail}")
    return proc.stdout


@contextlib.contextmanager
def exclusive(lock_path):
    """Hold an exclusive lock on lock_path, so that concurrent twinctl runs take turns."""
    os.makedirs(os.path.dirname(lock_path), exist_ok=True)
    with open(lock_path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_ignored(name):
    return name in IGNORED_NAMES or name.endswith(IGNORED_SUFFIXES)


def walk_files(root):
    """Yield the relative paths of the files under root, sorted, skipping caches and editor files."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not is_ignored(d))
        for name in sorted(filenames):
            if not is_ignored(name):
                yield os.path.relpath(os.path.join(dirpath, name), root)


def file_digest(path, algorithm="sha256"):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_digest(roots):
    """Digest of every file (path, exec bit, content) under the given directories or files."""
    digest = hashlib.sha256()
    for root in roots:
        paths = [""] if os.path.isfile(root) else walk_files(root)
        for rel in paths:
            path = os.path.join(root, rel) if rel else root
            digest.update(os.path.basename(root).encode() + b"/" + rel.encode() + b"\0")
            digest.update(b"x" if os.access(path, os.X_OK) else b"-")
            digest.update(file_digest(path).encode())
    return digest.hexdigest()
