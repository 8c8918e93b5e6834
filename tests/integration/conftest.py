"""Order of this directory's test files: the longest first.

`make test` runs this stage on two pytest-xdist workers with `--dist loadfile`: each file stays on one
worker (its module-scoped clusters and moto servers are started once, on addresses no other file uses),
and the files are handed out in collection order. Starting the longest files first keeps one long file
from running alone at the end while the other worker idles. The order changes nothing else: every file
builds the state it needs.
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
# Serial seconds on a two-core machine, longest first (the Molecule one needs Docker). Files not named
# here keep their alphabetical order after these.
LONGEST_FIRST = (
    "test_role_bad_input.py",  # about 480 s
    "test_provision.py",  # about 250 s
    "test_role_time_and_size.py",
    "test_db_backup_emulators.py",
    "test_role_preflight.py",
    "test_provision_bad_input.py",
    "test_provision_bastion.py",
    "test_cluster_status_emulators.py",
    "test_role_scavenge.py",
    "test_leader_resign_emulators.py",
)


def _rank(item):
    name = item.path.name
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items):
    """Reorder this directory's tests among the slots they hold; a stable sort keeps each file's own order."""
    slots = [index for index, item in enumerate(items) if item.path.parent == HERE]
    for index, item in zip(slots, sorted((items[index] for index in slots), key=_rank)):
        items[index] = item
