"""plugin_utils/eventstore_options.py against the options EventStoreDB 22.10 itself defines.

The reference is tests/data/eventstoredb-22.10-options.txt, read from ClusterVNodeOptions.cs at
oss-v22.10.0 by scripts/extract_esdb_options.py (its header names the commit), so neither the
layout's catalogue nor the twin emulator checks itself against its own list.
"""

import importlib.util
from pathlib import Path

import pytest

from ansible_collections.esdb.cluster.plugins.plugin_utils import eventstore_options

REPO = Path(__file__).resolve().parents[4]
REFERENCE = REPO / "tests" / "data" / "eventstoredb-22.10-options.txt"


def reference_options():
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


KNOWN = eventstore_options.KNOWN_OPTIONS
KNOWN_LOWER = {name.lower() for name in KNOWN}
REFERENCE_OPTIONS = reference_options()
REJECTED = {"renamed": eventstore_options.RENAMED_IN_23_10, "new": eventstore_options.NEW_IN_23_10,
            "removed": eventstore_options.REMOVED_BEFORE_22_10}


def test_reference_list_says_where_it_was_read_from():
    header = REFERENCE.read_text(encoding="utf-8").splitlines()[:4]
    assert any("ClusterVNodeOptions.cs at tag oss-v22.10.0 (commit " in line for line in header)
    assert len(REFERENCE_OPTIONS) == len(set(REFERENCE_OPTIONS)) > 100


def test_every_22_10_option_is_in_the_catalogue():
    assert sorted(set(REFERENCE_OPTIONS) - set(KNOWN)) == []


def test_every_catalogue_entry_is_a_22_10_option():
    assert sorted(set(KNOWN) - set(REFERENCE_OPTIONS)) == []


def test_known_options_are_unique_regardless_of_case():
    assert len(KNOWN_LOWER) == len(KNOWN)


@pytest.mark.parametrize("name", ["ClusterSize", "GossipSeed", "DiscoverViaDns", "IntIp", "ExtIp", "Insecure",
                                  "CertificateFile", "CertificatePrivateKeyFile", "TrustedRootCertificatesPath",
                                  "GossipIntervalMs", "GossipTimeoutMs", "IntTcpHeartbeatInterval",
                                  "IntTcpHeartbeatTimeout", "RunProjections", "NodePriority", "ReadOnlyReplica"])
def test_options_the_role_writes_are_22_10_options(name):
    assert name in REFERENCE_OPTIONS


@pytest.mark.parametrize("section", sorted(REJECTED))
def test_rejected_names_are_not_22_10_options(section):
    reference = {name.lower() for name in REFERENCE_OPTIONS}
    assert sorted(n for n in REJECTED[section] if n.lower() in reference) == []


def test_renames_point_at_22_10_options():
    renamed = eventstore_options.RENAMED_IN_23_10
    assert sorted(v for v in renamed.values() if v not in REFERENCE_OPTIONS) == []
    assert renamed["NodeIp"] == "ExtIp"


def test_twin_emulator_knows_exactly_the_22_10_options():
    path = REPO / "tests" / "twin" / "emulator" / "esdb_twin" / "options.py"
    spec = importlib.util.spec_from_file_location("twin_options", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    twin = {name for _unused, options in module.GROUPS for name, *_unused in options}
    assert sorted(twin ^ set(REFERENCE_OPTIONS)) == []
