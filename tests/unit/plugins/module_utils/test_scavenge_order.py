"""scavenge_order: every other node first in the order given, the Leader last or skipped."""

from ansible_collections.esdb.cluster.plugins.filter.scavenge import FilterModule
from ansible_collections.esdb.cluster.plugins.module_utils.scavenge_order import describe_order, scavenge_order

NODES = ['10.0.1.11:2113', '10.0.1.12:2113', '10.0.1.13:2113']
HOSTS = {'10.0.1.11:2113': 'n1', '10.0.1.12:2113': 'n2', '10.0.1.13:2113': 'n3'}


def nodes_of(entries):
    return [e['node'] for e in entries]


def test_the_leader_goes_last_and_the_others_keep_their_order():
    for leader in NODES:
        plan = scavenge_order(NODES, leader, True, HOSTS)
        assert nodes_of(plan['order']) == [n for n in NODES if n != leader] + [leader]
        assert [e['leader'] for e in plan['order']] == [False, False, True]
        assert plan['skipped'] == [] and plan['problems'] == []


def test_hosts_are_named_from_the_inventory_else_by_address():
    assert [e['host'] for e in scavenge_order(NODES, NODES[0], True, HOSTS)['order']] == ['n2', 'n3', 'n1']
    assert [e['host'] for e in scavenge_order(NODES, NODES[0])['order']] == NODES[1:] + NODES[:1]


def test_a_leader_left_out_is_listed_as_skipped():
    plan = scavenge_order(NODES, NODES[1], False, HOSTS)
    assert nodes_of(plan['order']) == [NODES[0], NODES[2]]
    assert plan['skipped'] == [{'node': NODES[1], 'host': 'n2', 'leader': True}]
    assert 'The Leader n2 (10.0.1.12:2113) is not scavenged: eventstore_scavenge_leader is false.' in describe_order(plan)


def test_a_read_only_replica_is_scavenged_with_the_followers_and_a_node_listed_twice_once():
    nodes = NODES + ['10.0.1.14:2113', NODES[2]]
    plan = scavenge_order(nodes, NODES[0])
    assert nodes_of(plan['order']) == [NODES[1], NODES[2], '10.0.1.14:2113', NODES[0]]


def test_no_leader_or_a_stranger_scavenges_nothing_and_says_why():
    none = scavenge_order(NODES, None)
    assert none['order'] == [] and none['skipped'] == []
    assert none['problems'] == [
        'No node of 10.0.1.11:2113, 10.0.1.12:2113, 10.0.1.13:2113 answered as the Leader (none found), so no '
        'scavenge was started; scavenge once esdb.cluster.cluster_status reports the cluster ready.']
    stranger = scavenge_order(NODES, '10.0.9.9:2113')
    assert stranger['order'] == [] and '10.0.9.9:2113 is not one of them' in stranger['problems'][0]
    assert describe_order(stranger) == stranger['problems'][0]
    assert scavenge_order([], None)['problems'] == ['No node to scavenge: the cluster has no members.']


def test_the_summary_names_every_node_in_order():
    plan = scavenge_order(NODES, NODES[0], True, HOSTS)
    assert describe_order(plan) == ('Scavenging one node at a time, each to its end: n2 (10.0.1.12:2113), then '
                                    'n3 (10.0.1.13:2113), then n1 (10.0.1.11:2113, Leader).')
    assert describe_order(scavenge_order(NODES[:1], NODES[0], False)) == (
        'No node is scavenged. The Leader 10.0.1.11:2113 (10.0.1.11:2113) is not scavenged: '
        'eventstore_scavenge_leader is false.')


def test_the_filter_adds_the_summary():
    plan = FilterModule().filters()['scavenge_order'](NODES, NODES[2], True, HOSTS)
    assert nodes_of(plan['order']) == NODES[:2] + NODES[2:]
    assert plan['summary'] == describe_order(scavenge_order(NODES, NODES[2], True, HOSTS))
