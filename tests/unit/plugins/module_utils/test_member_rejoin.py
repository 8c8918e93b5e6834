"""member_rejoin: a restarted node is back only as a Follower the others agree on, caught up."""

import json
from pathlib import Path

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import evaluate
from ansible_collections.esdb.cluster.plugins.module_utils.gossip import parse_gossip
from ansible_collections.esdb.cluster.plugins.module_utils.member_rejoin import rejoin

FIXTURES = Path(__file__).parent / 'fixtures'
N3 = '10.0.1.13:2113'
HOSTS = {'n1': '10.0.1.11', 'n2': '10.0.1.12', 'n3': '10.0.1.13'}


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


N1, N2 = '10.0.1.11:2113', '10.0.1.12:2113'
LEADER_ID = '3f2a1b2c-9d4e-4f60-8a71-b2c3d4e5f601'
N3_ID = '9c8b7a6d-2e31-4b42-8c53-d4e5f6071823'


def test_a_silent_node_has_nothing_known_but_its_name():
    given = answers('healthy_trio', silent=('n3',))
    assert rejoin(given, N3, evaluate(given, 3, 'none')['leader'], 3, 0) == dict(
        node=N3, state=None, instance_id=None, seen_by=[], lag=None, rejoined=False,
        problems=['10.0.1.13:2113 has not answered with its own gossip entry yet (it is starting, or opening its '
                  'database).'])


def test_a_caught_up_follower_reports_its_identity_and_views():
    result = check('healthy_trio')
    assert result == dict(node=N3, state='Follower', instance_id=N3_ID, seen_by=[N1, N2], lag=0, rejoined=True,
                          problems=[])


def test_the_answer_of_another_node_is_not_taken_for_the_members_own():
    # n3 answers nothing, but n1 and n2 list it as an alive Follower.
    result = check('healthy_trio', silent=('n3',))
    assert result['instance_id'] is None and result['seen_by'] == []


def test_a_leader_that_is_not_the_agreed_one_must_be_a_follower():
    result = rejoin(answers('healthy_trio'), N1, None, 3, 0)
    assert result['problems'] == ['10.0.1.11:2113 is Leader, not Follower or ReadOnlyReplica yet.',
                                  '10.0.1.11:2113 is seen as Follower or ReadOnlyReplica by 0 other member(s) '
                                  '(none); 2 must agree.',
                                  'No agreed Leader to catch up with.']


def test_the_agreed_leader_is_seen_as_leader_by_the_others():
    result = check('healthy_trio', member=N1)
    assert (result['seen_by'], result['problems'], result['lag']) == ([N2, '10.0.1.13:2113'], [], 0)


def test_a_follower_that_should_lead_is_not_back():
    def leader_demoted(node, document):
        if node == 'n1':
            entry_of(document, '10.0.1.11')['state'] = 'Follower'
    given = answers('healthy_trio', edit=leader_demoted)
    leader = evaluate(answers('healthy_trio'), 3, 'none')['leader']
    assert rejoin(given, N1, leader, 3, 0)['problems'] == ['10.0.1.11:2113 is Follower, not Leader yet.']


@pytest.mark.parametrize('expected, seen, needed', [(1, 0, 0), (2, 0, 1), (2, 1, 1), (5, 2, 3)])
def test_the_others_that_must_agree_are_a_quorum_less_the_member(expected, seen, needed):
    def hidden(node, document):
        if node != 'n3' and int(node[1]) > seen:
            entry_of(document, '10.0.1.13')['isAlive'] = False
    result = check('healthy_trio', edit=hidden, expected=expected)
    assert len(result['seen_by']) == seen
    agreeing = [p for p in result['problems'] if 'must agree' in p]
    if seen >= needed:
        assert agreeing == []
    else:
        assert agreeing == ['10.0.1.13:2113 is seen as Follower or ReadOnlyReplica by %d other member(s) (%s); '
                            '%d must agree.' % (seen, ', '.join([N1, N2][:seen]) or 'none', needed)]


def test_a_peer_that_sees_it_dead_does_not_count():
    def dead(node, document):
        if node == 'n2':
            entry_of(document, '10.0.1.13')['isAlive'] = False
    result = check('healthy_trio', edit=dead)
    assert result['seen_by'] == [N1]
    assert result['problems'] == ['10.0.1.13:2113 is seen as Follower or ReadOnlyReplica by 1 other member(s) '
                                  '(10.0.1.11:2113); 2 must agree.']


def test_a_silent_peer_does_not_count_and_the_rest_is_checked():
    result = check('healthy_trio', silent=('n2',), expected=2)
    assert (result['seen_by'], result['problems'], result['rejoined']) == ([N1], [], True)


def test_a_node_ahead_of_the_leader_lags_by_nothing():
    def ahead(node, document):
        if node == 'n3':
            entry_of(document, '10.0.1.13')['writerCheckpoint'] += 500
    result = check('healthy_trio', edit=ahead)
    assert (result['lag'], result['rejoined']) == (0, True)


def test_the_lag_is_the_difference_in_bytes():
    def behind(node, document):
        if node == 'n3':
            entry_of(document, '10.0.1.13')['writerCheckpoint'] -= 7
    result = check('healthy_trio', edit=behind, max_lag=3)
    assert result['lag'] == 7
    assert result['problems'] == ['10.0.1.13:2113 is 7 bytes behind the Leader (at most 3 allowed).']


@pytest.mark.parametrize('whose', ['n1', 'n3'])
def test_a_missing_epoch_is_not_caught_up(whose):
    def no_epoch(node, document):
        if node == whose:
            del entry_of(document, HOSTS[whose])['epochNumber']
    result = check('healthy_trio', edit=no_epoch)
    assert result['problems'] == ['10.0.1.13:2113 is in epoch %s, the Leader in epoch %s.'
                                  % ((4, None) if whose == 'n1' else (None, 4))]
    assert result['lag'] is None


@pytest.mark.parametrize('whose', ['n1', 'n3'])
def test_a_missing_writer_checkpoint_is_not_caught_up(whose):
    def no_checkpoint(node, document):
        if node == whose:
            del entry_of(document, HOSTS[whose])['writerCheckpoint']
    result = check('healthy_trio', edit=no_checkpoint, max_lag=10 ** 9)
    assert result['problems'] == ['10.0.1.13:2113 or the Leader reports no writer checkpoint.']
    assert (result['lag'], result['rejoined']) == (None, False)


def test_the_leader_entry_is_found_past_answers_without_an_own_entry():
    def no_self(node, document):
        if node == 'n2':
            document['serverIp'] = '10.9.9.9'
    given = answers('healthy_trio', edit=no_self)
    leader = dict(instance_id=LEADER_ID)
    # n1 (the Leader) answers first; reorder so that n2's answer without an own entry comes first.
    result = rejoin([given[1], given[2], given[0]], N3, leader, 3, 0)
    assert (result['lag'], result['problems']) == (0, [])
