"""Emulator clusters on 127.0.20.x that the tests of one module share: started, formed, stopped.

    HOSTS = ['127.0.20.51', '127.0.20.52', '127.0.20.53']
    tls = cluster_fixture(HOSTS, 'TLS', tls=True)      # a module-scoped pytest fixture named `tls`

    def test_something(tls):
        ...  # tls is a formed cs_cluster.EmulatorCluster; tls.pki['ca'] is its CA file

Every node listens on port 2113 of its own address, so each cluster of each module needs addresses
no other test uses.
"""

import pytest

from ansible_collections.esdb.cluster.tests.lib.cs_cluster import EmulatorCluster, agreed_leader, make_pki, wait_until


def formed_cluster(tmp_path_factory, hosts, kind, tls=False, cluster_class=EmulatorCluster):
    """Generator: start one emulator node per host (with a fresh PKI when `tls`), yield the cluster once
    every node agrees on one Leader and sees the others as Followers, stop every node afterwards.

    `kind` names the cluster in its work directories and in the failure when it never forms.
    """
    pki = make_pki(tmp_path_factory.mktemp(kind + '-pki'), hosts) if tls else None
    cluster = cluster_class(tmp_path_factory.mktemp(kind), hosts, pki)
    cluster.start_all()
    try:
        assert wait_until(lambda: agreed_leader(cluster), timeout=60), 'the %s cluster never formed' % kind
        yield cluster
    finally:
        cluster.stop_all()


def cluster_fixture(hosts, kind, tls=False, cluster_class=EmulatorCluster):
    """A module-scoped pytest fixture yielding formed_cluster(...); it takes the name it is assigned to."""

    @pytest.fixture(scope='module')
    def fixture(tmp_path_factory):
        yield from formed_cluster(tmp_path_factory, hosts, kind, tls, cluster_class)

    return fixture
