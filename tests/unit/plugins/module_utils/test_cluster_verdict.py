"""The cluster verdict for each canned 22.10 scenario."""

import copy

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import evaluate, quorum_size
from ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http import IDS, answers


def verdict(scenario, validate='ready', expected_size=3, **kwargs):
    return evaluate(answers(scenario, **kwargs), expected_size, validate)


def test_quorum_sizes():
    assert [quorum_size(n) for n in (1, 2, 3, 4, 5, 7)] == [1, 2, 2, 3, 3, 4]


def test_healthy_trio_is_ready():
    result = verdict('healthy_trio')
    assert (result['status'], result['ready'], result['passed']) == ('ready', True, True)
    assert result['leader'] == {'instance_id': IDS['n1'], 'host': '10.0.1.11', 'port': 2113}
    assert [f['host'] for f in result['followers']] == ['10.0.1.12', '10.0.1.13']
    assert (result['voters_alive'], result['quorum_size'], result['expected_size']) == (3, 2, 3)
    assert result['unreachable_nodes'] == [] and result['problems'] == []
    assert len(result['members']) == 3


@pytest.mark.parametrize('validate, passed', [('ready', False), ('quorum', True), ('leader', True), ('none', True)])
def test_follower_catching_up_is_degraded(validate, passed):
    result = verdict('catching_up', validate)
    assert (result['status'], result['ready'], result['passed']) == ('degraded', False, passed)
    assert result['voters_alive'] == 3
    assert result['problems'] == [
        'member 10.0.1.13:2113 (9c8b7a6d) is CatchingUp, not Leader or Follower yet.']


@pytest.mark.parametrize('validate, passed', [('ready', False), ('quorum', True), ('leader', True), ('none', True)])
def test_one_dead_node_keeps_quorum(validate, passed):
    result = verdict('one_dead', validate)
    assert (result['status'], result['passed']) == ('degraded', passed)
    assert result['voters_alive'] == 2
    assert [u['node'] for u in result['unreachable_nodes']] == ['10.0.1.13:2113']
    assert result['problems'] == [
        '10.0.1.13:2113: connection refused; is EventStoreDB running and listening on HTTP port 2113?',
        'member 10.0.1.13:2113 (9c8b7a6d) is not alive (last seen as Follower).',
        '2 of 3 voting members are alive (quorum of 2 holds).',
    ]


@pytest.mark.parametrize('validate, passed', [('ready', False), ('quorum', False), ('leader', True), ('none', True)])
def test_two_dead_nodes_lose_quorum(validate, passed):
    result = verdict('two_dead', validate)
    assert (result['status'], result['passed']) == ('unavailable', passed)
    assert result['voters_alive'] == 1
    assert len(result['unreachable_nodes']) == 2
    assert result['problems'][-1] == 'Only 1 of 3 voting members are alive; quorum needs 2.'


@pytest.mark.parametrize('validate, passed', [('ready', False), ('quorum', False), ('leader', False), ('none', True)])
def test_split_brain_is_never_ready(validate, passed):
    result = verdict('split_brain', validate)
    assert (result['status'], result['ready'], result['passed']) == ('split_brain', False, passed)
    assert result['leader'] is None
    assert result['problems'][:2] == [
        'Split brain: 2 members are alive Leaders at once: member 10.0.1.11:2113 (3f2a1b2c), '
        'member 10.0.1.12:2113 (5b6c7d8e).',
        'Split brain: nodes disagree about the leader: 10.0.1.11:2113 names member 10.0.1.11:2113 (3f2a1b2c); '
        '10.0.1.12:2113 names member 10.0.1.12:2113 (5b6c7d8e); 10.0.1.13:2113 names member 10.0.1.12:2113 (5b6c7d8e).',
    ]


def test_two_leaders_in_one_view_is_split_brain():
    def second_leader(node, document):
        document['members'][1]['state'] = 'Leader'
    result = verdict('healthy_trio', edit=second_leader)
    assert result['status'] == 'split_brain'
    assert result['problems'][0].startswith('Split brain: 2 members are alive Leaders at once')


def test_disagreement_alone_is_split_brain():
    # n3 lags: it still names n2 although everyone's newest entries agree on n1.
    def stale_view(node, document):
        if node == 'n3':
            document['members'][0]['state'] = 'Follower'
            document['members'][1]['state'] = 'Leader'
            for member in document['members']:
                member['timeStamp'] = '2022-11-20T10:15:00.0000000Z'
    result = verdict('healthy_trio', edit=stale_view)
    assert result['status'] == 'split_brain'
    assert result['problems'] == [
        'Split brain: nodes disagree about the leader: 10.0.1.11:2113 names member 10.0.1.11:2113 (3f2a1b2c); '
        '10.0.1.12:2113 names member 10.0.1.11:2113 (3f2a1b2c); 10.0.1.13:2113 names member 10.0.1.12:2113 (5b6c7d8e).']


def test_node_without_a_leader_view_blocks_ready_but_not_quorum():
    def electing(node, document):
        if node == 'n3':
            document['members'] = [m for m in document['members'] if m['state'] != 'Leader']
    assert verdict('healthy_trio', edit=electing)['status'] == 'degraded'
    result = verdict('healthy_trio', 'quorum', edit=electing)
    assert result['passed'] is True
    assert result['problems'] == [
        '10.0.1.13:2113 sees no alive Leader yet, while the others name member 10.0.1.11:2113 (3f2a1b2c).']


def test_no_leader_anywhere_is_unavailable():
    def leaderless(node, document):
        for member in document['members']:
            member['state'] = 'Unknown' if member['state'] == 'Leader' else member['state']
    result = verdict('healthy_trio', 'leader', edit=leaderless)
    assert (result['status'], result['passed'], result['leader']) == ('unavailable', False, None)
    assert 'No alive Leader: no node reports one (an election is running or quorum is lost).' in result['problems']


def test_seed_placeholders_are_ignored():
    result = verdict('seed_placeholders')
    assert result['status'] == 'ready'
    assert len(result['members']) == 3
    assert all(m['instance_id'] != '00000000-0000-0000-0000-000000000000' for m in result['members'])


def test_read_only_replica_and_clone_are_not_voters():
    result = verdict('replica_and_clone')
    assert result['status'] == 'ready'
    assert (result['voters_alive'], result['read_only_replicas'], result['clones']) == (3, 1, 1)
    assert len(result['members']) == 5
    assert len(result['followers']) == 2


def test_replica_does_not_make_up_for_a_missing_voter():
    def voter_down(node, document):
        document['members'][2]['isAlive'] = False
    result = verdict('replica_and_clone', 'quorum', edit=voter_down)
    assert (result['status'], result['voters_alive'], result['passed']) == ('degraded', 2, True)


def test_secure_ports_cluster_is_ready():
    result = verdict('secure_ports')
    assert result['status'] == 'ready'
    assert all(m['internal_tcp_tls'] for m in result['members'])


def test_unknown_keys_cluster_is_ready():
    assert verdict('unknown_keys')['status'] == 'ready'


def test_nothing_answered_is_unreachable():
    result = verdict('one_dead', 'none', nodes=('n3',))
    assert (result['status'], result['passed'], result['members']) == ('unreachable', True, [])
    assert result['problems'] == [result['unreachable_nodes'][0]['error']]
    assert verdict('one_dead', 'leader', nodes=('n3',))['passed'] is False


def test_more_alive_voters_than_expected_is_flagged():
    result = verdict('healthy_trio', expected_size=1)
    assert result['status'] == 'degraded'
    assert result['problems'] == [
        'Gossip shows 3 alive voting members but expected_size is 1; '
        'check ClusterSize on the nodes and expected_size here.']


def test_expected_size_larger_than_members_seen():
    result = verdict('healthy_trio', 'quorum', expected_size=5)
    assert (result['status'], result['quorum_size'], result['passed']) == ('degraded', 3, True)
    assert result['problems'] == ['3 of 5 voting members are alive (quorum of 3 holds).']


def test_malformed_members_are_reported():
    def junk(node, document):
        if node == 'n2':
            document['members'].append({'state': 'Follower'})
    result = verdict('healthy_trio', edit=junk)
    assert result['status'] == 'ready'
    assert result['problems'] == [
        '10.0.1.12:2113 reported 1 gossip member(s) without instanceId or state; they were ignored.']


def test_answers_are_not_modified():
    given = answers('split_brain')
    snapshot = copy.deepcopy(given)
    evaluate(given, 3, 'ready')
    assert given == snapshot


def test_leader_node_is_the_given_address_that_answered_as_leader():
    assert verdict('healthy_trio')['leader_node'] == '10.0.1.11:2113'


def test_leader_node_holds_when_nodes_advertise_another_host():
    def advertised(node, document):
        for member in document['members']:
            member['httpEndPointIp'] = 'client-' + member['httpEndPointIp']
        document['serverIp'] = 'client-' + document['serverIp']
    result = verdict('healthy_trio', edit=advertised)
    assert (result['leader']['host'], result['leader_node']) == ('client-10.0.1.11', '10.0.1.11:2113')


def test_leader_node_is_none_when_the_leader_did_not_answer():
    result = verdict('healthy_trio', nodes=('n2', 'n3'), validate='leader')
    assert result['leader']['host'] == '10.0.1.11' and result['leader_node'] is None


def _stale_view_on_n3(node, document):
    # n3 lags: it still names n2 although everyone's newest entries agree on n1.
    if node == 'n3':
        document['members'][0]['state'] = 'Follower'
        document['members'][1]['state'] = 'Leader'
        for member in document['members']:
            member['timeStamp'] = '2022-11-20T10:15:00.0000000Z'


@pytest.mark.parametrize('validate, passed', [('ready', False), ('quorum', False), ('leader', False), ('none', True)])
def test_disagreement_fails_every_validation_but_none_and_names_no_leader(validate, passed):
    result = verdict('healthy_trio', validate, edit=_stale_view_on_n3)
    assert (result['status'], result['ready'], result['passed']) == ('split_brain', False, passed)
    assert (result['leader'], result['leader_node']) == (None, None)


def test_a_node_alive_to_its_peers_but_unreachable_from_here_is_degraded():
    given = answers('healthy_trio')
    given[2].update(gossip=None, error='10.0.1.13:2113 gave no answer within 5 s (timed out).')
    result = evaluate(given, 3, 'ready')
    assert (result['status'], result['ready'], result['passed']) == ('degraded', False, False)
    assert (result['voters_alive'], len(result['followers'])) == (3, 2)
    assert result['unreachable_nodes'] == [dict(node='10.0.1.13:2113', url='https://10.0.1.13:2113/gossip',
                                                error='10.0.1.13:2113 gave no answer within 5 s (timed out).')]
    assert result['problems'] == ['10.0.1.13:2113 gave no answer within 5 s (timed out).']
    assert evaluate(given, 3, 'quorum')['passed'] is True


@pytest.mark.parametrize('validate, passed', [('ready', False), ('quorum', False), ('leader', True), ('none', True)])
def test_leader_with_a_shutting_down_and_a_dead_node_has_no_quorum(validate, passed):
    result = verdict('leader_shutting_down_dead', validate)
    assert (result['status'], result['passed'], result['voters_alive']) == ('unavailable', passed, 1)
    assert result['leader']['host'] == '10.0.1.11'
    assert result['problems'][1:] == [
        'member 10.0.1.13:2113 (9c8b7a6d) is not alive (last seen as Follower).',
        'Only 1 of 3 voting members are alive; quorum needs 2.']


def test_shutdown_and_manager_members_do_not_vote():
    result = verdict('shutdown_and_manager', 'quorum')
    assert (result['status'], result['passed'], result['voters_alive']) == ('degraded', True, 2)
    assert (len(result['members']), result['clones'], result['read_only_replicas']) == (4, 0, 0)
    assert result['problems'] == ['2 of 3 voting members are alive (quorum of 2 holds).']


def test_unknown_member_votes_but_is_not_ready():
    result = verdict('unknown_member', 'quorum')
    assert (result['status'], result['passed'], result['voters_alive']) == ('degraded', True, 3)
    assert result['problems'] == ['member 10.0.1.13:2113 (9c8b7a6d) is Unknown, not Leader or Follower yet.']


def test_dead_replica_and_clone_are_not_counted():
    def both_down(node, document):
        for member in document['members']:
            if member['isReadOnlyReplica'] or member['state'] == 'Clone':
                member['isAlive'] = False
    result = verdict('replica_and_clone', edit=both_down)
    assert (result['status'], result['read_only_replicas'], result['clones']) == ('ready', 0, 0)


def test_single_node_cluster_needs_only_itself():
    result = verdict('healthy_trio', 'quorum', expected_size=1, nodes=('n1',),
                     edit=lambda node, doc: doc.update(members=doc['members'][:1]))
    assert (result['status'], result['quorum_size'], result['passed']) == ('ready', 1, True)


def test_default_validation_is_ready():
    given = answers('catching_up')
    assert evaluate(given, 3)['passed'] is False
    assert evaluate(given, 3)['passed'] == evaluate(given, 3, 'ready')['passed']


def test_disagreement_names_each_view_including_none_and_several():
    def views(node, document):
        if node == 'n2':
            document['members'] = [m for m in document['members'] if m['state'] != 'Leader']
        if node == 'n3':
            document['members'][1]['state'] = 'Leader'
    result = verdict('healthy_trio', edit=views)
    assert result['status'] == 'split_brain'
    assert ('Split brain: nodes disagree about the leader: 10.0.1.11:2113 names member 10.0.1.11:2113 (3f2a1b2c); '
            '10.0.1.12:2113 names no leader; 10.0.1.13:2113 names member 10.0.1.11:2113 (3f2a1b2c) and '
            'member 10.0.1.12:2113 (5b6c7d8e).') in result['problems']


def test_blind_nodes_are_each_named_after_other_problems():
    def blind(node, document):
        if node in ('n2', 'n3'):
            document['members'] = [m for m in document['members'] if m['state'] != 'Leader']
        if node == 'n1':
            document['members'].append({'state': 'Follower'})
    result = verdict('healthy_trio', edit=blind)
    assert result['problems'] == [
        '10.0.1.11:2113 reported 1 gossip member(s) without instanceId or state; they were ignored.',
        '10.0.1.12:2113 sees no alive Leader yet, while the others name member 10.0.1.11:2113 (3f2a1b2c).',
        '10.0.1.13:2113 sees no alive Leader yet, while the others name member 10.0.1.11:2113 (3f2a1b2c).']


def test_member_without_an_address_is_named_as_such():
    def no_address(node, document):
        document['members'][2]['httpEndPointIp'] = ''
        document['members'][2]['state'] = 'CatchingUp'
    result = verdict('healthy_trio', edit=no_address)
    assert 'member unknown address (9c8b7a6d) is CatchingUp, not Leader or Follower yet.' in result['problems']


def test_a_dead_extra_voter_is_not_a_problem_once_the_expected_voters_are_ready():
    result = verdict('one_dead', expected_size=2)
    assert (result['status'], result['voters_alive']) == ('degraded', 2)
    assert result['problems'] == [
        '10.0.1.13:2113: connection refused; is EventStoreDB running and listening on HTTP port 2113?']


def test_a_surplus_node_still_catching_up_is_not_yet_counted_as_over_size():
    # A node beyond ClusterSize catches up before 22.10 makes it a Clone (or shuts it down):
    # only ready voters count against expected_size, the catching-up one is named as such.
    result = verdict('catching_up', 'quorum', expected_size=2)
    assert (result['status'], result['passed'], result['voters_alive']) == ('degraded', True, 3)
    assert result['problems'] == ['member 10.0.1.13:2113 (9c8b7a6d) is CatchingUp, not Leader or Follower yet.']
