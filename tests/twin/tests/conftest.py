"""Shared fixtures for the twin tests: a throwaway PKI for the emulator's secure mode."""
import pytest

from ansible_collections.esdb.cluster.tests.lib.emu_pki import Pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A CA, node certificates for 127.0.10.1-9, and deliberately wrong ones (other CA, CN, SAN, key type)."""
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def emulators(tmp_path):
    """Build emulator nodes and clusters in tmp_path; every process is killed when the test ends."""
    from ansible_collections.esdb.cluster.tests.lib.emu_cluster import Cluster, Node  # pylint: disable=import-outside-toplevel

    created = []

    class Factory:
        root = tmp_path

        @staticmethod
        def cluster(ips, **kwargs):
            made = Cluster(tmp_path, ips, **kwargs)
            created.extend(made.nodes)
            return made

        @staticmethod
        def node(ip, settings, ca_file=None):
            made = Node(tmp_path, ip, settings, ca_file)
            created.append(made)
            return made

    yield Factory
    for node in created:
        node.kill()
