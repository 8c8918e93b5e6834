"""Thin wrappers around the docker CLI with errors that say what to do."""

import json
import shutil
import subprocess

from package.twinutil import TwinError

ENGINE_HINT = "Docker engine not reachable: start dockerd (as root: dockerd >/var/log/dockerd.log 2>&1 &)"
TWIN_LABEL = "esdb.twin"


def docker(*args, timeout=300, check=True):
    """Run `docker ARGS`; return stdout text. With check, a failure raises TwinError."""
    try:
        proc = subprocess.run(["docker", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, check=False, text=True)
    except FileNotFoundError as exc:
        raise TwinError("docker CLI not found on PATH: install docker.io (apt-get install -y docker.io)") from exc
    except subprocess.TimeoutExpired as exc:
        raise TwinError(f"docker {' '.join(args[:2])} timed out after {timeout}s") from exc
    if check and proc.returncode != 0:
        raise TwinError(f"docker {' '.join(args)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout if proc.returncode == 0 else None


def engine_version():
    """The engine version, or None when no engine answers."""
    if shutil.which("docker") is None:
        return None
    try:
        out = docker("version", "--format", "{{.Server.Version}}", timeout=15, check=False)
    except TwinError:
        return None
    return out.strip() if out else None


def require_engine():
    if shutil.which("docker") is None:
        raise TwinError("docker CLI not found on PATH: install docker.io (apt-get install -y docker.io)")
    version = engine_version()
    if not version:
        raise TwinError(ENGINE_HINT)
    return version


def inspect(kind, name):
    """`docker KIND inspect NAME` as a dict, or None when it does not exist."""
    out = docker(kind, "inspect", name, check=False)
    if not out:
        return None
    data = json.loads(out)
    return data[0] if data else None


def labels_of(obj):
    if obj is None:
        return {}
    labels = obj.get("Config", {}).get("Labels") if "Config" in obj else obj.get("Labels")
    return labels or {}


def is_twin_owned(obj):
    return labels_of(obj).get(TWIN_LABEL) == "1"
