"""Whether and where to ask the Leader to resign, and when the handover is done, on canned 22.10 gossip."""


import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import evaluate
from ansible_collections.esdb.cluster.plugins.module_utils.leader_handover import (
    KEEP,
    REFUSE,
    RESIGN,
    handover_done,
    plan,
    previous_leader,
    success_message,
    unknown_node_error,
    wait_failure_message,
)
from ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http import IDS, REFUSED, answers


def verdict(scenario, nodes=('n1', 'n2', 'n3'), expected_size=3, edit=None):
    """evaluate() over the scenario's answers; a node without a fixture file did not answer."""
    return evaluate(answers(scenario, nodes, edit), expected_size, 'none')


def test_healthy_trio_resigns_at_the_node_that_answered_as_leader():
    decision = plan(verdict('healthy_trio'))
    assert decision == dict(action=RESIGN, post_to='10.0.1.11:2113',
                            msg='member 10.0.1.11:2113 (3f2a1b2c) leads, at 10.0.1.11:2113; '
                                '2 Follower(s) can take over.')


def test_the_leader_is_found_by_its_own_gossip_entry_not_by_address():
    # Every node advertises a name (AdvertiseHostToClientAs) while it is reached by IP.
    names = {'10.0.1.11': 'es-a.internal', '10.0.1.12': 'es-b.internal', '10.0.1.13': 'es-c.internal'}

    def advertise(_node, document):
        for member in document['members']:
            member['httpEndPointIp'] = names[member['httpEndPointIp']]
        document['serverIp'] = names[document['serverIp']]

    result = verdict('healthy_trio', edit=advertise)
    assert result['leader']['host'] == 'es-a.internal'
    assert plan(result)['post_to'] == '10.0.1.11:2113'
    assert plan(result, '10.0.1.11:2113')['action'] == RESIGN


def test_a_follower_given_as_node_changes_nothing():
    decision = plan(verdict('healthy_trio'), '10.0.1.12:2113')
    assert decision == dict(action=KEEP, post_to=None,
                            msg='10.0.1.12:2113 is not the Leader (member 10.0.1.11:2113 (3f2a1b2c) leads, '
                                'at 10.0.1.11:2113); nothing was changed.')


def test_the_leader_given_as_node_resigns():
    assert plan(verdict('healthy_trio'), '10.0.1.11:2113')['action'] == RESIGN


def test_a_dead_follower_given_as_node_changes_nothing():
    decision = plan(verdict('one_dead'), '10.0.1.13:2113')
    assert (decision['action'], decision['post_to']) == (KEEP, None)


def test_split_brain_is_refused():
    decision = plan(verdict('split_brain'))
    assert decision['action'] == REFUSE and decision['post_to'] is None
    assert decision['msg'].startswith(
        'The nodes disagree about the Leader (split brain), so there is no agreed Leader to resign; '
        'nothing was posted: Split brain: 2 members are alive Leaders at once')


def test_split_brain_is_refused_even_for_a_named_node():
    assert plan(verdict('split_brain'), '10.0.1.12:2113')['action'] == REFUSE


def test_an_election_in_progress_is_refused():
    decision = plan(verdict('resigning'))
    assert decision['action'] == REFUSE
    assert decision['msg'] == (
        'No node reports an alive Leader (an election is running or quorum is lost), so there is no agreed '
        'Leader to resign; nothing was posted: No alive Leader: no node reports one (an election is running '
        'or quorum is lost).')


def test_nothing_answering_is_refused():
    decision = plan(verdict('healthy_trio', nodes=()))
    assert decision['action'] == REFUSE
    assert decision['msg'] == 'No node answered, so there is no agreed Leader to resign; nothing was posted.'


def test_a_leader_that_did_not_answer_is_refused():
    # Only the followers were given (or the Leader's HTTP port is not reachable from here).
    result = verdict('healthy_trio', nodes=('n2', 'n3'))
    assert result['leader']['instance_id'] == IDS['n1'] and result['leader_node'] is None
    decision = plan(result)
    assert decision['action'] == REFUSE
    assert decision['msg'] == (
        'The Leader, member 10.0.1.11:2113 (3f2a1b2c), did not answer at any of the given nodes, so there is '
        'no node to ask to resign; list the node it runs on in nodes and check that it answers /gossip.')


def test_a_leader_alone_is_refused():
    decision = plan(verdict('two_dead'))
    assert decision['action'] == REFUSE
    assert decision['msg'] == (
        'Nobody can take over from the Leader, member 10.0.1.11:2113 (3f2a1b2c): no other voting member is '
        'alive as Follower (1 of 3 voters alive); resigning would leave the cluster without a Leader, '
        'so nothing was posted.')


def test_a_one_node_cluster_is_refused():
    def alone(_node, document):
        document['members'] = [m for m in document['members'] if m['instanceId'] == IDS['n1']]

    result = verdict('healthy_trio', nodes=('n1',), expected_size=1, edit=alone)
    assert result['status'] == 'ready'
    decision = plan(result, '10.0.1.11:2113')
    assert decision['action'] == REFUSE
    assert ': this is a one-node cluster; resigning would leave' in decision['msg']


def test_followers_that_are_only_catching_up_cannot_take_over():
    def catching_up(_node, document):
        for member in document['members']:
            if member['state'] == 'Follower':
                member['state'] = 'CatchingUp'

    decision = plan(verdict('healthy_trio', edit=catching_up))
    assert decision['action'] == REFUSE
    assert 'no other voting member is alive as Follower (3 of 3 voters alive)' in decision['msg']


def test_a_leader_without_quorum_is_refused():
    # Two of five voters alive: 22.10 needs 3 acknowledgements before the Leader steps down.
    decision = plan(verdict('one_dead', expected_size=5))
    assert decision['action'] == REFUSE
    assert decision['msg'] == (
        'Only 2 of 5 voting members are alive (quorum 3); EventStoreDB hands leadership over only once a '
        'quorum acknowledges the resignation, so nothing was posted.')


def test_one_dead_follower_still_allows_a_handover():
    assert plan(verdict('one_dead'))['action'] == RESIGN


def test_previous_leader_names_the_node_that_answered_as_it():
    assert previous_leader(verdict('healthy_trio')) == dict(
        instance_id=IDS['n1'], host='10.0.1.11', port=2113, node='10.0.1.11:2113')
    assert previous_leader(verdict('healthy_trio', nodes=('n2', 'n3')))['node'] is None
    assert previous_leader(verdict('split_brain')) is None


@pytest.mark.parametrize('scenario, old, done', [
    ('healthy_trio', 'n1', False),   # the request was not acted on yet
    ('resigning', 'n1', False),      # election under way
    ('split_brain', 'n1', False),
    ('handed_over', 'n1', True),
    ('handed_over', 'n2', False),    # n2 leads: it is the one that had to go
])
def test_handover_done(scenario, old, done):
    assert handover_done(verdict(scenario), IDS[old]) is done


def test_handover_is_not_done_without_quorum():
    def survivors_dead(_node, document):
        for member in document['members']:
            member['isAlive'] = member['instanceId'] == IDS['n2']

    result = verdict('handed_over', nodes=('n2',), edit=survivors_dead)
    assert result['leader']['instance_id'] == IDS['n2'] and result['voters_alive'] == 1
    assert handover_done(result, IDS['n1']) is False


def test_unknown_node_error():
    given = ['10.0.1.11:2113', '10.0.1.12:2113']
    assert unknown_node_error('10.0.1.12:2113', given) is None
    assert unknown_node_error('10.0.1.12:2114', given) == (
        'node 10.0.1.12:2114 is not one of nodes (10.0.1.11:2113, 10.0.1.12:2113); add it to nodes, '
        'written with the same host and port')


def test_success_message_names_both_leaders():
    previous = previous_leader(verdict('healthy_trio'))
    assert success_message(previous, verdict('handed_over'), 2.345) == (
        'Leadership moved from member 10.0.1.11:2113 (3f2a1b2c) to member 10.0.1.12:2113 (5b6c7d8e) in 2.3 s.')


def test_wait_failure_while_no_one_leads():
    previous = previous_leader(verdict('healthy_trio'))
    assert wait_failure_message(previous, verdict('resigning'), 60.0) == (
        '10.0.1.11:2113 resigned but no other node became Leader within 60 s (cluster unavailable): '
        'No alive Leader: no node reports one (an election is running or quorum is lost). '
        '(1 more problems in the result)')
    assert 'member 10.0.1.11:2113 (3f2a1b2c) is ResigningLeader, not Leader or Follower yet.' in (
        verdict('resigning')['problems'])


def test_wait_failure_while_the_old_leader_still_leads():
    previous = previous_leader(verdict('healthy_trio'))
    message = wait_failure_message(previous, verdict('one_dead'), 2.5)
    assert message == (
        '10.0.1.11:2113 resigned but no other node became Leader within 2.5 s (cluster degraded, still led by '
        'member 10.0.1.11:2113 (3f2a1b2c)): %s (2 more problems in the result)' % (REFUSED % '10.0.1.13:2113'))


def test_wait_failure_without_problems_ends_the_sentence():
    previous = previous_leader(verdict('healthy_trio'))
    assert wait_failure_message(previous, verdict('healthy_trio'), 5).endswith(
        '(cluster ready, still led by member 10.0.1.11:2113 (3f2a1b2c)).')


def test_handover_is_done_with_exactly_a_quorum_alive():
    result = dict(verdict('handed_over'), voters_alive=2, quorum_size=2)
    assert handover_done(result, IDS['n1']) is True
    assert handover_done(dict(result, voters_alive=1), IDS['n1']) is False


def test_a_member_without_an_address_is_named_by_its_id():
    previous = dict(node='10.0.1.11:2113', host=None, port=None, instance_id=IDS['n1'])
    leader = dict(host='', port=2113, instance_id=IDS['n2'])
    assert success_message(previous, dict(leader=leader), 1.0) == (
        'Leadership moved from member unknown address (3f2a1b2c) to member unknown address (5b6c7d8e) in 1.0 s.')


def test_wait_failure_with_one_multi_line_problem_is_one_line():
    previous = previous_leader(verdict('healthy_trio'))
    result = dict(leader=None, status='unavailable', problems=['No alive Leader:\nan election is running.'])
    assert wait_failure_message(previous, result, 3) == (
        '10.0.1.11:2113 resigned but no other node became Leader within 3 s (cluster unavailable): '
        'No alive Leader: an election is running.')


def test_refusal_without_a_leader_is_one_line():
    result = dict(leader=None, status='unavailable', problems=['No alive Leader:\nan election is running.'])
    assert plan(result)['msg'] == (
        'No node reports an alive Leader (an election is running or quorum is lost), so there is no agreed Leader '
        'to resign; nothing was posted: No alive Leader: an election is running.')
