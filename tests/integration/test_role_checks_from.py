"""Where the role's HTTP checks run (eventstore_checks_from), against a local TLS cluster.

The verify entry point runs against three emulator nodes on 127.0.20.31-33 whose inventory hosts use
the local connection, so "on a node" and "on the controller" share this machine and differ only in the
host the task is delegated to and the CA file it trusts: the node's installed CA
(eventstore_cert_dir/ca/ca.crt) or the controller PKI's (eventstore_pki_dir/ca.crt). Each test gives
only the CA of its mode the cluster's certificate, so a check trusting the other file fails.
"""

import json
import shutil
import subprocess

import pytest

from ansible_collections.esdb.cluster.tests.lib.cs_cluster import EmulatorCluster, make_pki, wait_until
from ansible_collections.esdb.cluster.tests.lib.role_files import REPO
from ansible_collections.esdb.cluster.tests.lib.role_molecule import environment

pytestmark = pytest.mark.slow

HOSTS = ['127.0.20.31', '127.0.20.32', '127.0.20.33']
PLAYBOOK = """
- hosts: eventstore
  gather_facts: false
  tasks:
    - name: The cluster is verified
      ansible.builtin.include_role:
        name: esdb.cluster.eventstore
        tasks_from: verify
"""


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    pki = make_pki(tmp_path_factory.mktemp('pki'), HOSTS)
    emulators = EmulatorCluster(tmp_path_factory.mktemp('tls'), HOSTS, pki)
    emulators.start_all()
    try:
        assert wait_until(lambda: all(emulators.gossip(h) for h in HOSTS), timeout=60), 'the cluster never formed'
        yield pki
    finally:
        emulators.stop_all()


def verify(tmp_path, pki, mode):
    """Run the verify entry point with checks from `mode`; only that mode's CA file is the cluster's."""
    cert_dir, pki_dir = tmp_path / 'node-certs', tmp_path / 'controller-pki'
    (cert_dir / 'ca').mkdir(parents=True)
    pki_dir.mkdir()
    right, wrong = pki['ca'], pki['other_ca']
    shutil.copy(right if mode == 'node' else wrong, cert_dir / 'ca' / 'ca.crt')
    shutil.copy(right if mode == 'controller' else wrong, pki_dir / 'ca.crt')
    hosts = {'n%d' % i: {'eventstore_node_ip': ip} for i, ip in enumerate(HOSTS, 1)}
    inventory = {'all': {'vars': {'ansible_connection': 'local', 'ansible_become_method': 'ansible.builtin.su',
                                  'ansible_python_interpreter': str(REPO / '.venv/bin/python'),
                                  'eventstore_admin_password': 'a-secret', 'eventstore_ops_password': 'o-secret',
                                  'eventstore_cert_dir': str(cert_dir), 'eventstore_pki_dir': str(pki_dir),
                                  'eventstore_checks_from': mode, 'eventstore_wait_timeout': 30,
                                  # This controller runs Debian: only a repository of one's own serves it.
                                  'eventstore_apt_repo_url': 'http://mirror.invalid/eventstore-oss/debian/'},
                         'children': {'eventstore': {'hosts': hosts}}}}
    (tmp_path / 'inventory.json').write_text(json.dumps(inventory))
    (tmp_path / 'play.yml').write_text(PLAYBOOK)
    result = subprocess.run([str(REPO / '.venv/bin/ansible-playbook'), '-i', str(tmp_path / 'inventory.json'),
                             str(tmp_path / 'play.yml')], cwd=REPO, env=environment(), capture_output=True,
                            text=True, check=False)
    return result.returncode, result.stdout + result.stderr


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
