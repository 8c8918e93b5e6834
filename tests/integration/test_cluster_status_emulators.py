"""esdb.cluster.cluster_status, run through `ansible`, against local three-node clusters.

The nodes are the test-only EventStoreDB 22.10 node emulator (tests/twin/emulator), one process per
loopback address: an Insecure cluster on 127.0.20.1-3 and a TLS cluster on 127.0.20.4-6.
"""

import time

import pytest

from ansible_collections.esdb.cluster.tests.lib.cs_cluster import (
    ClientGossipCounter, ModuleRun, SilentListener, run_module, wait_until)
from ansible_collections.esdb.cluster.tests.lib.formed_cluster import cluster_fixture

pytestmark = pytest.mark.slow

INSECURE_HOSTS = ['127.0.20.1', '127.0.20.2', '127.0.20.3']
TLS_HOSTS = ['127.0.20.4', '127.0.20.5', '127.0.20.6']
SILENT_HOST = '127.0.20.9'


def everyone_agrees(cluster):
    """Raw check, independent of the module: every running node sees 1 Leader + the rest Followers."""
    views = [cluster.gossip(host) for host in cluster.hosts]
    if not all(views):
        return False
    for view in views:
        states = sorted(m['state'] for m in view['members'] if m['isAlive'])
        if states != ['Follower'] * (len(cluster.hosts) - 1) + ['Leader']:
            return False
    return len(set(cluster.leader_of(host)['instanceId'] for host in cluster.hosts)) == 1


def followers(cluster):
    leader = cluster.leader_of(cluster.hosts[0])
    return [h for h in cluster.hosts if h != leader['httpEndPointIp']]


insecure = cluster_fixture(INSECURE_HOSTS, 'Insecure')
tls = cluster_fixture(TLS_HOSTS, 'TLS', tls=True)


def start_the_stopped(cluster):
    """Start every node that is not running: stopped by a test, or shut down by itself because it came back
    with writes the new Leader never had (22.10's offline truncation), as its service manager would."""
    for host in cluster.hosts:
        process = cluster.processes.get(host)
        if process is None or process.poll() is not None:
            cluster.start(host)


@pytest.fixture()
def healed(insecure):
    """Each test starts from, and leaves, a whole cluster."""
    yield insecure
    assert wait_until(lambda: start_the_stopped(insecure) or everyone_agrees(insecure), timeout=60), \
        'the cluster did not heal'


def test_ready_insecure_cluster(healed):
    result = run_module({'nodes': healed.nodes(), 'scheme': 'http', 'wait_timeout': 30})
    assert result.get('failed') is not True, result.get('msg')
    assert (result['changed'], result['ready'], result['status']) == (False, True, 'ready')
    assert result['leader']['host'] in INSECURE_HOSTS
    assert sorted(f['host'] for f in result['followers'] + [result['leader']]) == INSECURE_HOSTS
    assert (result['voters_alive'], result['quorum_size'], result['expected_size']) == (3, 2, 3)
    assert all(m['port'] == 2113 and m['internal_tcp_tls'] is False for m in result['members'])
    assert result['problems'] == [] and result['unreachable_nodes'] == []
    assert result['report_lines'][0].startswith('ready: leader %s:2113, 3/3 voters alive' % result['leader']['host'])
    # One clock for every node here: what is left is the age of each own entry and the round trips.
    assert sorted(o['node'] for o in result['clock_offsets']) == ['%s:2113' % h for h in INSECURE_HOSTS]
    assert result['clock_skew']['at_least_s'] == 0 and 0 <= result['max_clock_skew_s'] < 2


def test_max_clock_skew_passes_for_nodes_on_one_clock(healed):
    result = run_module({'nodes': healed.nodes(), 'scheme': 'http', 'wait_timeout': 30, 'max_clock_skew': 0})
    assert result.get('failed') is not True, result.get('msg')
    assert result['problems'] == []


def test_ready_tls_cluster_with_the_cluster_ca(tls):
    result = run_module({'nodes': tls.nodes(), 'ca_path': tls.pki['ca'], 'wait_timeout': 30})
    assert result.get('failed') is not True, result.get('msg')
    assert result['status'] == 'ready'
    assert all(m['internal_tcp_tls'] for m in result['members'])


def test_one_node_stopped_is_degraded_but_has_quorum(healed):
    stopped = followers(healed)[0]
    healed.stop(stopped)
    result = run_module({'nodes': healed.nodes(), 'scheme': 'http', 'validate': 'quorum'})
    assert result.get('failed') is not True, result.get('msg')
    assert (result['status'], result['ready']) == ('degraded', False)
    assert [u['node'] for u in result['unreachable_nodes']] == ['%s:2113' % stopped]
    assert 'connection refused' in result['unreachable_nodes'][0]['error']

    strict = run_module({'nodes': healed.nodes(), 'scheme': 'http'})
    assert strict['failed'] is True and strict['status'] == 'degraded'
    assert strict['msg'].startswith('EventStoreDB cluster is degraded, validate=ready not met after 1 check(s)')
    assert '%s:2113: connection refused' % stopped in strict['msg']


def test_two_nodes_stopped_is_unavailable(healed):
    lone = healed.leader_of(healed.hosts[0])['httpEndPointIp']
    for host in followers(healed):
        healed.stop(host)
    # Wait until the survivor's own gossip marks both peers dead.
    assert wait_until(lambda: sum(m['isAlive'] for m in healed.gossip(lone)['members']) == 1, timeout=30)
    report = run_module({'nodes': healed.nodes(), 'scheme': 'http', 'validate': 'none'})
    assert report.get('failed') is not True
    assert (report['status'], report['voters_alive'], len(report['unreachable_nodes'])) == ('unavailable', 1, 2)

    result = run_module({'nodes': healed.nodes(), 'scheme': 'http', 'validate': 'quorum'})
    assert result['failed'] is True and result['status'] == 'unavailable'
    assert 'Only 1 of 3 voting members are alive; quorum needs 2.' in result['problems']


def test_waits_and_returns_within_one_interval_of_ready(healed):
    stopped = followers(healed)[0]
    healed.stop(stopped)
    stand_in = ClientGossipCounter(stopped)
    try:
        run = ModuleRun({'nodes': healed.nodes(), 'scheme': 'http', 'wait_timeout': 120, 'interval': 2})
        assert wait_until(lambda: stand_in.client_checks >= 1, timeout=60), 'the module never asked the node'
    finally:
        stand_in.close()
    healed.start(stopped)
    became_ready = wait_until(lambda: everyone_agrees(healed) and time.monotonic(), timeout=60, step=0.05)
    result = run.result()
    assert result.get('failed') is not True, result.get('msg')
    assert result['status'] == 'ready' and result['iterations'] >= 2
    # Within one interval of the cluster becoming ready, plus the time Ansible needs to hand the result back.
    assert run.finished - became_ready < 2 + 2


def test_resign_hands_leadership_to_another_node_and_the_module_sees_it_ready(healed):
    old = healed.leader_of(healed.hosts[0])
    assert healed.post(old['httpEndPointIp'], '/admin/node/resign') == 200
    result = run_module({'nodes': healed.nodes(), 'scheme': 'http', 'wait_timeout': 60, 'interval': 0.5})
    assert result.get('failed') is not True, result.get('msg')
    assert result['status'] == 'ready'
    assert result['leader']['instance_id'] != old['instanceId'].lower()


@pytest.mark.parametrize('case', ['wrong port', 'silent node'])
def test_nodes_that_do_not_answer(insecure, case):
    if case == 'wrong port':
        node, expected = '127.0.20.1:2199', '127.0.20.1:2199: connection refused; is EventStoreDB running'
        result = run_module({'nodes': [node], 'scheme': 'http', 'validate': 'none'})
    else:
        listener = SilentListener(SILENT_HOST)
        try:
            run = ModuleRun({'nodes': [listener.address], 'scheme': 'http', 'validate': 'none', 'timeout': 1})
            result = run.result()
        finally:
            listener.close()
        expected = '%s gave no answer within 1 s (timed out).' % listener.address
        assert result['elapsed'] < 1 + 1
    assert result['status'] == 'unreachable'
    assert result['problems'][0].startswith(expected)


def test_plain_http_to_a_tls_node_is_an_empty_reply(tls):
    result = run_module({'nodes': tls.nodes()[:1], 'scheme': 'http', 'validate': 'none'})
    assert result['status'] == 'unreachable'
    assert result['problems'] == ['%s closed the connection without an HTTP answer (empty reply); '
                                  'the node probably requires TLS: use scheme https.' % tls.nodes()[0]]


def test_tls_node_with_the_wrong_ca(tls):
    result = run_module({'nodes': tls.nodes(), 'ca_path': tls.pki['other_ca']})
    assert result['failed'] is True and result['status'] == 'unreachable'
    assert all('its TLS certificate could not be verified' in p for p in result['problems'])
    assert 'set ca_path to the cluster CA certificate' in result['msg']


def test_a_ca_path_that_is_not_pem_is_named_before_any_request(tls, tmp_path):
    der = tmp_path / 'ca.der'
    der.write_bytes(b'0\x82\x03\x1e binary, not PEM')
    result = run_module({'nodes': tls.nodes(), 'ca_path': str(der)})
    assert result['failed'] is True
    assert result['msg'] == ('ca_path %s is not a PEM file with a CA certificate (no -----BEGIN ...CERTIFICATE----- '
                             'line)' % der)


def test_tls_node_without_certificate_checks(tls):
    result = run_module({'nodes': tls.nodes(), 'validate_certs': False})
    assert result['status'] == 'ready'


def test_https_to_an_insecure_node_names_the_handshake(insecure):
    result = run_module({'nodes': insecure.nodes()[:1], 'validate': 'none', 'validate_certs': False})
    assert result['problems'][0].startswith('%s: the TLS handshake failed (' % insecure.nodes()[0])
