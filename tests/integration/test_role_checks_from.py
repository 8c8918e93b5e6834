"""Where the role's HTTP checks run (eventstore_checks_from), against a local TLS cluster.

The verify entry point runs against three emulator nodes on 127.0.20.31-33 whose inventory hosts use
the local connection, so "on a node" and "on the controller" share this machine and differ only in the
host the task is delegated to and the CA file it trusts: the node's installed CA
(eventstore_cert_dir/ca/ca.crt) or the controller PKI's (eventstore_pki_dir/ca.crt). Each test gives
only the CA of its mode the cluster's certificate, so a check trusting the other file fails.
"""

import shutil

import pytest

from ansible_collections.esdb.cluster.tests.lib.formed_cluster import cluster_fixture
from ansible_collections.esdb.cluster.tests.lib.role_local import entry_point_play, inventory, node_hosts, run_playbook

pytestmark = pytest.mark.slow

HOSTS = ['127.0.20.31', '127.0.20.32', '127.0.20.33']
cluster = cluster_fixture(HOSTS, 'TLS', tls=True)


def verify(tmp_path, emulators, mode):
    """Run the verify entry point with checks from `mode`; only that mode's CA file is the cluster's."""
    pki = emulators.pki
    cert_dir, pki_dir = tmp_path / 'node-certs', tmp_path / 'controller-pki'
    (cert_dir / 'ca').mkdir(parents=True)
    pki_dir.mkdir()
    right, wrong = pki['ca'], pki['other_ca']
    shutil.copy(right if mode == 'node' else wrong, cert_dir / 'ca' / 'ca.crt')
    shutil.copy(right if mode == 'controller' else wrong, pki_dir / 'ca.crt')
    local = inventory(node_hosts(HOSTS), eventstore_cert_dir=str(cert_dir), eventstore_pki_dir=str(pki_dir),
                      eventstore_checks_from=mode, eventstore_wait_timeout=30)
    return run_playbook(tmp_path, entry_point_play('verify'), local)


def status_line(output):
    """The header line of the cluster_status task's result, naming the host it ran on."""
    after = output.split('TASK [esdb.cluster.eventstore : The cluster has one agreed Leader', 1)[1]
    return next(line for line in after.split('\n') if line.startswith(('ok:', 'fatal:', 'changed:')))


def test_checks_run_on_the_first_member_and_trust_the_node_ca(tmp_path, cluster):
    rc, output = verify(tmp_path, cluster, 'node')
    assert rc == 0, output[-3000:]
    assert status_line(output).startswith('ok: [n1]'), status_line(output)
    assert 'Versions: n1 22.10' in output


def test_checks_run_on_the_controller_and_trust_the_controller_pki(tmp_path, cluster):
    rc, output = verify(tmp_path, cluster, 'controller')
    assert rc == 0, output[-3000:]
    assert status_line(output).startswith('ok: [n1 -> localhost]'), status_line(output)


def test_an_unknown_place_is_refused_by_name(tmp_path, cluster):
    rc, output = verify(tmp_path, cluster, 'laptop')
    assert rc != 0
    assert 'eventstore_checks_from' in output and 'laptop' in output, output[-2000:]
