"""The short text table."""

import json
from pathlib import Path

from ansible_collections.esdb.cluster.plugins.module_utils.cluster_report import report_lines, report_text
from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import evaluate
from ansible_collections.esdb.cluster.plugins.module_utils.gossip import parse_gossip

FIXTURES = Path(__file__).parent / 'fixtures'


def verdict(scenario, nodes):
    answers = []
    for node, label in nodes:
        path = FIXTURES / scenario / (node + '.json')
        gossip = parse_gossip(path.read_bytes(), label) if path.exists() else None
        answers.append(dict(node=label, url='https://%s/gossip' % label, gossip=gossip,
                            error=None if gossip else '%s: connection refused.' % label))
    return evaluate(answers, 3, 'ready')


def test_replica_and_clone_table():
    result = verdict('replica_and_clone', [('n1', '10.0.1.11:2113')])
    assert report_lines(result) == [
        'ready: leader 10.0.1.11:2113, 3/3 voters alive (quorum 2), 0 unreachable',
        'STATE            ALIVE  ENDPOINT        INSTANCE  EPOCH  WRITER  PRIO  ROLE',
        'Leader           yes    10.0.1.11:2113  3f2a1b2c  4      181234  0     voter',
        'Follower         yes    10.0.1.12:2113  5b6c7d8e  4      181234  0     voter',
        'Follower         yes    10.0.1.13:2113  9c8b7a6d  4      181234  0     voter',
        'ReadOnlyReplica  yes    10.0.1.21:2113  c4d5e6f7  4      181234  0     read-only replica',
        'Clone            yes    10.0.1.22:2113  d1e2f3a4  4      181234  0     clone',
    ]


def test_unreachable_nodes_get_a_row_and_missing_values_show_as_question_marks():
    result = verdict('one_dead', [('n1', '10.0.1.11:2113'), ('n3', '10.0.1.13:2113')])
    result['members'][1] = dict(result['members'][1], host=None, node_priority=None)
    lines = report_text(result).split('\n')
    assert lines[0] == 'degraded: leader 10.0.1.11:2113, 2/3 voters alive (quorum 2), 1 unreachable'
    assert lines[3].split() == ['Follower', 'yes', '?', '5b6c7d8e', '4', '181234', '?', 'voter']
    assert lines[-1].split() == ['-', '?', '10.0.1.13:2113', '-', '-', '-', '-', 'no', 'answer']


def test_no_leader_headline():
    result = verdict('one_dead', [('n3', '10.0.1.13:2113')])
    assert report_lines(result)[0] == 'unreachable: leader none, 0/3 voters alive (quorum 2), 1 unreachable'
    assert len(report_lines(result)) == 3
    json.dumps(result)


def test_dead_member_and_unknown_port():
    result = verdict('one_dead', [('n1', '10.0.1.11:2113'), ('n3', '10.0.1.13:2113')])
    result['members'][1] = dict(result['members'][1], port=None)
    lines = report_lines(result)
    assert lines[3].split()[:3] == ['Follower', 'yes', '10.0.1.12:?']
    assert lines[4].split()[:3] == ['Follower', 'no', '10.0.1.13:2113']
