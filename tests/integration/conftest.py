"""How this directory's tests share two pytest-xdist workers: whole files, the longest first.

`make test` runs the stage with `-n 2 --dist loadfile --no-loadscope-reorder`: each file stays on one
worker (its module-scoped clusters and moto servers start once), and files are handed out in
collection order, so the longest start first and no long file runs alone at the end while the other
worker idles. Files that name the same emulator address (127.0.x.y, not moto's 127.0.0.1 with its free
ports) would clash when run side by side, so they are kept together on one worker, one after the
other. The order changes nothing else: every file builds the state it needs. Tests that count what
happened in a time window wait for what they count (the gossip monitor's samples, a node's state),
so the other worker's load slows them down instead of failing them.
"""
import pathlib
import re

import pytest

HERE = pathlib.Path(__file__).resolve().parent
# Serial seconds on a two-core machine, longest first (the Molecule one needs Docker). Files not named
# here keep their alphabetical order after these.
LONGEST_FIRST = (
    "test_role_bad_input.py",  # about 480 s
    "test_provision.py",  # about 250-350 s
    "test_role_time_and_size.py",
    "test_db_backup_emulators.py",
    "test_backup_s3.py",
    "test_role_preflight.py",
    "test_provision_bad_input.py",
    "test_provision_bastion.py",
    "test_cluster_status_emulators.py",
    "test_role_scavenge.py",
    "test_leader_resign_emulators.py",
)
EMULATOR_ADDRESS = re.compile(r"\b127\.0\.(?!0\.)\d{1,3}\.\d{1,3}\b")


def _rank(item):
    name = item.path.name
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items):
    """Reorder this directory's tests among the slots they hold; a stable sort keeps each file's own order."""
    slots = [index for index, item in enumerate(items) if item.path.parent == HERE]
    for index, item in zip(slots, sorted((items[index] for index in slots), key=_rank)):
        items[index] = item


def address_groups(directory=HERE):
    """{test file name: the first file name of its group}: files naming a common emulator address, directly
    or through another file, form one group."""
    leader, first_user = {}, {}

    def find(name):
        while leader[name] != name:
            name = leader[name]
        return name

    for path in sorted(directory.glob("test_*.py")):
        leader[path.name] = path.name
        for address in sorted(set(EMULATOR_ADDRESS.findall(path.read_text(encoding="utf-8")))):
            ours, theirs = find(path.name), find(first_user.setdefault(address, path.name))
            leader[max(ours, theirs)] = min(ours, theirs)
    return {name: find(name) for name in leader}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling  # pylint: disable=import-outside-toplevel

    groups = address_groups()

    class AddressSharersTogether(LoadFileScheduling):
        """loadfile, with the files of one address group as one unit of work."""

        def _split_scope(self, nodeid):
            path = nodeid.split("::", 1)[0]
            folder, _slash, name = path.rpartition("/")
            if folder.endswith("tests/integration") and name in groups:
                return "%s/%s" % (folder, groups[name])
            return super()._split_scope(nodeid)

    return AddressSharersTogether(config, log)
