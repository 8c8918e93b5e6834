"""cluster_size_guard: a run never lowers a running cluster's ClusterSize unless it means to."""

import base64

import pytest

from ansible_collections.esdb.cluster.plugins.plugin_utils.cluster_size_guard import (
    cluster_size_shrink_problems,
    configured_cluster_size,
)


def conf(size):
    return '# EventStoreDB 22.10.0 node n1 of cluster esdb.\nClusterSize: %d\nDiscoverViaDns: false\n' % size


def slurped(text):
    return {'content': base64.b64encode(text.encode()).decode(), 'encoding': 'base64', 'failed': False}


MISSING = {'failed': True, 'msg': 'file not found: /etc/eventstore/eventstore.conf'}
ADVICE = ('A stopped node is missing from the EC2 inventory: start it and run again. To shrink the cluster, move '
          'the leaving hosts to the leaving group (playbooks/resize.yml), or set '
          'eventstore_allow_cluster_size_change: true.')

SIZES = [
    ('plain text', conf(5), 5),
    ('slurp result', slurped(conf(3)), 3),
    ('quoted value and comment', "clustersize: '7'  # seven\n", 7),
    ('last line wins', 'ClusterSize: 3\nClusterSize: 5\n', 5),
    ('no such line', 'DiscoverViaDns: false\n', None),
    ('commented out', '# ClusterSize: 5\n', None),
    ('failed slurp (no file)', MISSING, None),
    ('skipped slurp', {'skipped': True}, None),
    ('not base64', {'content': '***'}, None),
    ('nothing', None, None),
]


@pytest.mark.parametrize('case,given,size', SIZES, ids=[row[0] for row in SIZES])
def test_configured_cluster_size(case, given, size):
    assert configured_cluster_size(given) == size, case


CASES = [
    ('same size', {'n1': conf(3), 'n2': conf(3), 'n3': conf(3)}, 3, [], False, []),
    ('growing is a resize that adds nodes', {'n1': conf(3), 'n2': conf(3)}, 5, [], False, []),
    ('new nodes without a config', {'n1': MISSING, 'n2': MISSING, 'n3': MISSING}, 3, [], False, []),
    ('one node stopped: 5 would become 3', {'n1': conf(5), 'n2': slurped(conf(5)), 'n3': conf(5), 'n4': MISSING}, 3,
     [], False,
     ["ClusterSize would shrink from 5 to 3: n1, n2, n3 run with ClusterSize 5, but the inventory group "
      "'eventstore' lists 3 voters. " + ADVICE]),
    ('one host, mixed sizes named largest first', {'n1': conf(5), 'n2': conf(7), 'n3': conf(3)}, 3, [], False,
     ["ClusterSize would shrink from 7 to 3: n2 runs with ClusterSize 7; n1 runs with ClusterSize 5, but the "
      "inventory group 'eventstore' lists 3 voters. " + ADVICE]),
    ('a resize lists leaving hosts', {'n1': conf(5), 'n2': conf(5), 'n3': conf(5)}, 3, ['n4', 'n5'], False, []),
    ('explicitly allowed', {'n1': conf(5), 'n2': conf(5), 'n3': conf(5)}, 3, [], True, []),
]


@pytest.mark.parametrize('case,live,size,leaving,allow,expected', CASES, ids=[row[0] for row in CASES])
def test_cluster_size_shrink_problems(case, live, size, leaving, allow, expected):
    assert cluster_size_shrink_problems(live, size, leaving, allow) == expected, case


def test_the_sentence_names_the_group():
    assert "inventory group 'esdb_prod' lists 1 voter" in cluster_size_shrink_problems(
        {'a': conf(3)}, 1, group='esdb_prod')[0]
