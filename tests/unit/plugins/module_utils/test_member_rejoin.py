"""member_rejoin: a restarted node is back only as a Follower the others agree on, caught up."""

import json
from pathlib import Path

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import evaluate
from ansible_collections.esdb.cluster.plugins.module_utils.gossip import parse_gossip
from ansible_collections.esdb.cluster.plugins.module_utils.member_rejoin import rejoin

FIXTURES = Path(__file__).parent / 'fixtures'
N3 = '10.0.1.13:2113'


def answers(scenario, edit=None, silent=()):
    result = []
    for node in ('n1', 'n2', 'n3'):
        label = '10.0.1.1%s:2113' % node[1]
        document = json.loads((FIXTURES / scenario / (node + '.json')).read_text())
        if edit:
            edit(node, document)
        gossip = None if node in silent else parse_gossip(json.dumps(document), label)
        result.append(dict(node=label, url='https://%s/gossip' % label, gossip=gossip,
                           error='refused' if node in silent else None))
    return result


def check(scenario, member=N3, max_lag=0, expected=3, **kwargs):
    given = answers(scenario, **kwargs)
    return rejoin(given, member, evaluate(given, expected, 'none')['leader'], expected, max_lag)


def entry_of(document, host):
    return [m for m in document['members'] if m['httpEndPointIp'] == host][0]


def test_follower_seen_by_both_others_and_caught_up_is_back():
    result = check('healthy_trio')
    assert (result['rejoined'], result['state'], result['lag'], result['problems']) == (True, 'Follower', 0, [])
    assert result['seen_by'] == ['10.0.1.11:2113', '10.0.1.12:2113']


def test_catching_up_node_is_not_back():
    result = check('catching_up', max_lag=1048576)
    assert result['rejoined'] is False
    assert result['problems'][0] == '10.0.1.13:2113 is CatchingUp, not Follower or ReadOnlyReplica yet.'


def test_node_that_has_not_answered_is_not_back():
    result = check('healthy_trio', silent=('n3',))
    assert result['rejoined'] is False and result['state'] is None
    assert 'has not answered' in result['problems'][0]


def test_peers_still_showing_the_old_instance_do_not_count():
    def restarted(node, document):
        entry = entry_of(document, '10.0.1.13')
        if node == 'n3':
            entry['instanceId'] = 'aaaaaaaa-0000-4000-8000-000000000013'
    result = check('healthy_trio', edit=restarted)
    assert (result['rejoined'], result['seen_by']) == (False, [])
    assert result['problems'] == ['10.0.1.13:2113 is seen as Follower or ReadOnlyReplica by 0 other member(s) '
                                  '(none); 2 must agree.']


def test_one_peer_is_not_a_quorum_of_the_others():
    def stale(node, document):
        if node == 'n2':
            entry_of(document, '10.0.1.13')['state'] = 'CatchingUp'
    result = check('healthy_trio', edit=stale)
    assert (result['rejoined'], result['seen_by']) == (False, ['10.0.1.11:2113'])


@pytest.mark.parametrize('behind, max_lag, back', [(0, 0, True), (100, 100, True), (101, 100, False)])
def test_writer_checkpoint_lag_is_bounded(behind, max_lag, back):
    def lagging(node, document):
        if node == 'n3':
            entry_of(document, '10.0.1.13')['writerCheckpoint'] -= behind
    result = check('healthy_trio', edit=lagging, max_lag=max_lag)
    assert (result['rejoined'], result['lag']) == (back, behind)
    if not back:
        assert result['problems'] == ['10.0.1.13:2113 is 101 bytes behind the Leader (at most 100 allowed).']


def test_lag_is_read_from_each_nodes_own_entry_not_from_stale_views():
    def stale_view(node, document):
        if node == 'n1':   # the leader's view of n3 is a gossip round old
            entry_of(document, '10.0.1.13')['writerCheckpoint'] = 1
    assert check('healthy_trio', edit=stale_view)['rejoined'] is True


def test_other_epoch_is_not_caught_up():
    def old_epoch(node, document):
        if node == 'n3':
            entry_of(document, '10.0.1.13')['epochNumber'] = 3
    assert check('healthy_trio', edit=old_epoch, max_lag=10 ** 9)['problems'] == [
        '10.0.1.13:2113 is in epoch 3, the Leader in epoch 4.']


def test_without_a_leader_nothing_is_back():
    def leaderless(node, document):
        entry_of(document, '10.0.1.11')['state'] = 'Unknown'
    result = check('healthy_trio', edit=leaderless)
    assert result['rejoined'] is False and 'No agreed Leader to catch up with.' in result['problems']


def test_leader_answer_missing_means_lag_unknown():
    result = check('healthy_trio', silent=('n1',))
    assert result['rejoined'] is False
    assert result['problems'] == [
        '10.0.1.13:2113 is seen as Follower or ReadOnlyReplica by 1 other member(s) (10.0.1.12:2113); 2 must agree.',
        'The Leader has not answered, so how far 10.0.1.13:2113 lags cannot be told.']


def test_the_agreed_leader_is_back_as_leader():
    result = check('healthy_trio', member='10.0.1.11:2113')
    assert (result['rejoined'], result['state']) == (True, 'Leader')
