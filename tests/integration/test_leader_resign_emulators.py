"""esdb.cluster.leader_resign, run through `ansible`, against local three-node clusters.

The nodes are the test-only EventStoreDB 22.10 node emulator (tests/twin/emulator), one process per
loopback address: an Insecure cluster on 127.0.20.21-23, a TLS cluster on 127.0.20.24-26 (admin
endpoints need the admin or ops user there) and a TLS cluster with DisableAdminUi on 127.0.20.27-29.
"""

import time

import pytest

from ansible_collections.esdb.cluster.tests.lib.cs_cluster import CollectionModuleRun, EmulatorCluster, agreed_leader, wait_until
from ansible_collections.esdb.cluster.tests.lib.formed_cluster import cluster_fixture

pytestmark = pytest.mark.slow

INSECURE_HOSTS = ['127.0.20.21', '127.0.20.22', '127.0.20.23']
TLS_HOSTS = ['127.0.20.24', '127.0.20.25', '127.0.20.26']
NO_ADMIN_HOSTS = ['127.0.20.27', '127.0.20.28', '127.0.20.29']
ADMIN = {'url_username': 'admin', 'url_password': 'changeit'}


class NoAdminCluster(EmulatorCluster):
    """Nodes started with DisableAdminUi: true, so /admin/* is not registered."""

    def config(self, host):
        return super().config(host) + 'DisableAdminUi: true\n'


def resign(args, check_mode=False):
    return CollectionModuleRun('leader_resign', args, check_mode).result()


def settled(cluster):
    """The agreed Leader's gossip entry once the cluster is whole again (fails the test otherwise)."""
    leader = wait_until(lambda: agreed_leader(cluster), timeout=60)
    assert leader, 'the cluster did not settle with one agreed Leader'
    return leader


def state_of(cluster, instance_id):
    """The member's state as every node sees it, when they all agree; else None."""
    states = set()
    for host in cluster.hosts:
        view = cluster.gossip(host) or {'members': []}
        states.update(m['state'] for m in view['members'] if m['instanceId'] == instance_id and m['isAlive'])
    return states.pop() if len(states) == 1 else None


def resignations(cluster, host):
    """How many times the node has started resigning, from its own log (22.10's wording)."""
    log = cluster.workdir / host / 'stdout.log'
    return log.read_text(errors='replace').count('IS INITIATING LEADER RESIGNATION') if log.exists() else 0


insecure = cluster_fixture(INSECURE_HOSTS, 'Insecure')
tls = cluster_fixture(TLS_HOSTS, 'TLS', tls=True)
no_admin = cluster_fixture(NO_ADMIN_HOSTS, 'DisableAdminUi', tls=True, cluster_class=NoAdminCluster)


def assert_handed_over(cluster, result, old):
    assert result.get('failed') is not True, result.get('msg')
    old_id = old['instanceId'].lower()
    assert result['changed'] is True and result['status'] in ('ready', 'degraded')
    assert result['previous_leader'] == dict(instance_id=old_id, host=old['httpEndPointIp'], port=2113,
                                             node='%s:2113' % old['httpEndPointIp'])
    assert result['leader']['instance_id'] != old_id
    assert result['leader_node'] == '%s:2113' % result['leader']['host']
    assert result['msg'].startswith('Leadership moved from member %s:2113' % old['httpEndPointIp'])
    # Seen independently of the module: another node leads and the old Leader follows it.
    new = settled(cluster)
    assert new['instanceId'].lower() == result['leader']['instance_id']
    assert wait_until(lambda: state_of(cluster, old['instanceId']) == 'Follower', timeout=30)


def test_insecure_leader_hands_over(insecure):
    old = settled(insecure)
    before = resignations(insecure, old['httpEndPointIp'])
    result = resign({'nodes': insecure.nodes(), 'scheme': 'http', 'wait_timeout': 60, 'interval': 0.2})
    assert_handed_over(insecure, result, old)
    assert result['iterations'] >= 2 and result['elapsed'] < 60
    assert resignations(insecure, old['httpEndPointIp']) == before + 1


def test_check_mode_posts_nothing(insecure):
    old = settled(insecure)
    before = resignations(insecure, old['httpEndPointIp'])
    result = resign({'nodes': insecure.nodes(), 'scheme': 'http'}, check_mode=True)
    assert result.get('failed') is not True, result.get('msg')
    assert result['changed'] is True
    assert result['msg'].startswith('Would ask %s:2113 to resign' % old['httpEndPointIp'])
    assert result['leader']['instance_id'] == old['instanceId'].lower()
    # Several gossip rounds later the same node still leads and never started resigning.
    time.sleep(1.5)
    assert settled(insecure)['instanceId'] == old['instanceId']
    assert resignations(insecure, old['httpEndPointIp']) == before


def test_a_follower_given_as_node_is_left_alone(insecure):
    old = settled(insecure)
    follower = next(h for h in insecure.hosts if h != old['httpEndPointIp'])
    before = resignations(insecure, old['httpEndPointIp'])
    result = resign({'nodes': insecure.nodes(), 'scheme': 'http', 'node': follower})
    assert result.get('failed') is not True, result.get('msg')
    assert result['changed'] is False
    assert result['msg'].startswith('%s:2113 is not the Leader (member %s:2113' % (follower, old['httpEndPointIp']))
    time.sleep(1.5)
    assert settled(insecure)['instanceId'] == old['instanceId']
    assert resignations(insecure, old['httpEndPointIp']) == before


def test_the_leader_given_as_node_hands_over(insecure):
    old = settled(insecure)
    result = resign({'nodes': insecure.nodes(), 'scheme': 'http', 'node': old['httpEndPointIp'],
                     'interval': 0.2})
    assert_handed_over(insecure, result, old)


def test_tls_leader_hands_over_with_admin_credentials(tls):
    old = settled(tls)
    result = resign(dict(ADMIN, nodes=tls.nodes(), ca_path=tls.pki['ca'], interval=0.2))
    assert_handed_over(tls, result, old)
    assert 'changeit' not in str(result)


def test_tls_ops_user_may_resign_too(tls):
    old = settled(tls)
    result = resign({'nodes': tls.nodes(), 'ca_path': tls.pki['ca'], 'interval': 0.2,
                     'url_username': 'ops', 'url_password': 'changeit'})
    assert_handed_over(tls, result, old)


@pytest.mark.parametrize('credentials', [dict(ADMIN, url_password='wrong'), {}], ids=['wrong password', 'none'])
def test_tls_refused_credentials(tls, credentials):
    old = settled(tls)
    before = resignations(tls, old['httpEndPointIp'])
    result = resign(dict(credentials, nodes=tls.nodes(), ca_path=tls.pki['ca']))
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'] == (
        '%s:2113 answered POST /admin/node/resign with HTTP 401 Unauthorized; the admin credentials were '
        'refused: set url_username and url_password to a user in $admins or $ops (admin and ops by default).'
        % old['httpEndPointIp'])
    assert 'wrong' not in str({k: v for k, v in result.items() if k != 'invocation'})
    time.sleep(1.0)
    assert settled(tls)['instanceId'] == old['instanceId']
    assert resignations(tls, old['httpEndPointIp']) == before


def test_admin_endpoints_off_is_a_404(no_admin):
    old = settled(no_admin)
    result = resign(dict(ADMIN, nodes=no_admin.nodes(), ca_path=no_admin.pki['ca']))
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'] == (
        '%s:2113 answered POST /admin/node/resign with HTTP 404 Not Found; the admin endpoints are off on that '
        'node (DisableAdminUi: true), so leadership cannot be handed over through HTTP there.'
        % old['httpEndPointIp'])


def test_a_leader_left_alone_is_not_asked_to_resign(insecure):
    old = settled(insecure)
    followers = [h for h in insecure.hosts if h != old['httpEndPointIp']]
    try:
        for host in followers:
            insecure.stop(host)
        # Wait until the Leader's own gossip marks both peers dead.
        assert wait_until(lambda: sum(m['isAlive'] for m in
                                      (insecure.gossip(old['httpEndPointIp']) or {'members': []})['members']) == 1,
                          timeout=30)
        result = resign({'nodes': insecure.nodes(), 'scheme': 'http', 'timeout': 1})
        assert result['failed'] is True and result['changed'] is False
        # Whether the lone node still calls itself Leader or has stepped down (quorum lost), nobody can take over.
        assert result['msg'].startswith((
            'Nobody can take over from the Leader, member %s:2113' % old['httpEndPointIp'],
            'No node reports an alive Leader (an election is running or quorum is lost), so there is no agreed '
            'Leader to resign; nothing was posted:'))
        assert result['iterations'] == 1
    finally:
        for host in followers:
            insecure.start(host)
    settled(insecure)
