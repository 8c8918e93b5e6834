"""roles/eventstore/vars/options.yml: the 22.10 option catalogue preflight checks eventstore.conf against."""

import importlib.util

import pytest

from ansible_collections.esdb.cluster.tests.lib.role_files import REPO, load_yaml

CATALOGUE = load_yaml("vars/options.yml")
KNOWN = CATALOGUE["_eventstore_known_options"]
KNOWN_LOWER = {name.lower() for name in KNOWN}


def test_known_options_are_unique_regardless_of_case():
    assert len(KNOWN_LOWER) == len(KNOWN)


@pytest.mark.parametrize("name", ["ClusterSize", "GossipSeed", "DiscoverViaDns", "IntIp", "ExtIp", "Insecure",
                                  "CertificateFile", "CertificatePrivateKeyFile", "TrustedRootCertificatesPath",
                                  "GossipIntervalMs", "GossipTimeoutMs", "IntTcpHeartbeatInterval",
                                  "IntTcpHeartbeatTimeout", "RunProjections", "NodePriority", "ReadOnlyReplica"])
def test_options_the_role_writes_are_known(name):
    assert name in KNOWN


@pytest.mark.parametrize("section", ["_eventstore_renamed_options", "_eventstore_newer_options",
                                     "_eventstore_removed_options"])
def test_rejected_names_are_not_22_10_options(section):
    assert sorted(n for n in CATALOGUE[section] if n.lower() in KNOWN_LOWER) == []


def test_renames_point_at_22_10_options():
    assert sorted(v for v in CATALOGUE["_eventstore_renamed_options"].values() if v not in KNOWN) == []
    assert CATALOGUE["_eventstore_renamed_options"]["NodeIp"] == "ExtIp"


def test_catalogue_matches_the_twin_emulator_option_set():
    """Both are taken from ClusterVNodeOptions at oss-v22.10.0; a drift in either is a bug."""
    path = REPO / "tests" / "twin" / "emulator" / "esdb_twin" / "options.py"
    if not path.exists():
        pytest.skip("twin emulator not present")
    spec = importlib.util.spec_from_file_location("twin_options", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    twin = {name for _unused, options in module.GROUPS for name, *_unused in options}
    assert sorted(twin ^ set(KNOWN)) == []
