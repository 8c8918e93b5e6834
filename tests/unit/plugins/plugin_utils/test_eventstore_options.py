"""plugin_utils/eventstore_options.py: the 22.10 option catalogue the layout checks eventstore.conf against."""

import importlib.util
from pathlib import Path

import pytest

from ansible_collections.esdb.cluster.plugins.plugin_utils.eventstore_options import (
    KNOWN_OPTIONS,
    NEW_IN_23_10,
    REMOVED_BEFORE_22_10,
    RENAMED_IN_23_10,
)

REPO = Path(__file__).resolve().parents[4]
KNOWN_LOWER = {name.lower() for name in KNOWN_OPTIONS}


def test_known_options_are_unique_regardless_of_case():
    assert len(KNOWN_LOWER) == len(KNOWN_OPTIONS)


@pytest.mark.parametrize("name", ["ClusterSize", "GossipSeed", "DiscoverViaDns", "IntIp", "ExtIp", "Insecure",
                                  "CertificateFile", "CertificatePrivateKeyFile", "TrustedRootCertificatesPath",
                                  "GossipIntervalMs", "GossipTimeoutMs", "IntTcpHeartbeatInterval",
                                  "IntTcpHeartbeatTimeout", "RunProjections", "NodePriority", "ReadOnlyReplica"])
def test_options_the_role_writes_are_known(name):
    assert name in KNOWN_OPTIONS


@pytest.mark.parametrize("names", [RENAMED_IN_23_10, NEW_IN_23_10, REMOVED_BEFORE_22_10],
                         ids=["renamed", "new", "removed"])
def test_rejected_names_are_not_22_10_options(names):
    assert sorted(n for n in names if n.lower() in KNOWN_LOWER) == []


def test_renames_point_at_22_10_options():
    assert sorted(v for v in RENAMED_IN_23_10.values() if v not in KNOWN_OPTIONS) == []
    assert RENAMED_IN_23_10["NodeIp"] == "ExtIp"


def test_catalogue_matches_the_twin_emulator_option_set():
    """Both are taken from ClusterVNodeOptions at oss-v22.10.0; a drift in either is a bug."""
    path = REPO / "tests" / "twin" / "emulator" / "esdb_twin" / "options.py"
    spec = importlib.util.spec_from_file_location("twin_options", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    twin = {name for _unused, options in module.GROUPS for name, *_unused in options}
    assert sorted(twin ^ set(KNOWN_OPTIONS)) == []
