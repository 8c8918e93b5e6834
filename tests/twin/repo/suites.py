"""Which versions the twin's apt repository publishes where (suites.json, or the file in ESDB_TWIN_REPO_SUITES)."""

import json
import os
import re

from package.twinutil import TwinError

DEFAULT_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "suites.json")
VARIABLE = "ESDB_TWIN_REPO_SUITES"
VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def config_file(environ=None):
    return (os.environ if environ is None else environ).get(VARIABLE) or DEFAULT_FILE


def load(path=None):
    """{'packagecloud': {distro: {suite: [versions]}}, 'mirror': {'path', 'distribution', 'suites'}}."""
    path = path or config_file()
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise TwinError(f"cannot read the repository suites from {path}: {exc} (see tests/twin/repo/suites.json)")
    sets = list(data.get("packagecloud", {}).items())
    mirror = data.get("mirror")
    if mirror:
        sets.append((mirror.get("distribution", "debian"), mirror.get("suites", {})))
    for _distro, suites in sets:
        for suite, versions in suites.items():
            bad = [v for v in versions if not VERSION.match(str(v))]
            if bad or not versions:
                raise TwinError(f"{path}: suite {suite} lists {bad or 'no versions'}: give X.Y.Z versions")
    return data


def all_versions(data):
    found = set()
    for suites in data.get("packagecloud", {}).values():
        for versions in suites.values():
            found.update(versions)
    for versions in (data.get("mirror") or {}).get("suites", {}).values():
        found.update(versions)
    return sorted(found, key=lambda v: tuple(int(p) for p in v.split(".")))
