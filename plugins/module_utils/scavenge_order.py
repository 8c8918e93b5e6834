# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The order a cluster-wide scavenge visits the nodes in: every other node first, the Leader last.

22.10 scavenges each node's own database (docs/operations.md, "Scavenging events", at oss-v22.10.0);
the Leader serves every write, so its disk is the one to keep quiet longest. Pure functions: no
Ansible objects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def scavenge_order(nodes, leader_node, include_leader=True, hosts_by_address=None):
    """{'order', 'skipped', 'problems'} for scavenging `nodes` (C(host:port) as given) one at a time.

    `leader_node` is the entry of `nodes` that answered as the Leader (esdb.cluster.cluster_status's
    leader_node). `order` lists each node to scavenge as {'node', 'host', 'leader'}, the others in the
    order given, then the Leader unless `include_leader` is false, when it is in `skipped` instead.
    `host` is the inventory name from `hosts_by_address`, else the address. `problems` holds one
    sentence when the Leader is not among `nodes`; `order` is then empty, so nothing is scavenged.
    """
    names = hosts_by_address or {}
    nodes = [str(node) for node in nodes or []]
    result = {'order': [], 'skipped': [], 'problems': []}
    if not nodes:
        result['problems'].append('No node to scavenge: the cluster has no members.')
        return result
    if leader_node not in nodes:
        result['problems'].append(
            'No node of %s answered as the Leader (%s), so no scavenge was started; scavenge once '
            'esdb.cluster.cluster_status reports the cluster ready.'
            % (', '.join(nodes), 'none found' if leader_node is None else '%s is not one of them' % leader_node))
        return result

    def entry(node):
        return {'node': node, 'host': str(names.get(node, node)), 'leader': node == leader_node}

    seen = set()
    for node in nodes:
        if node != leader_node and node not in seen:
            seen.add(node)
            result['order'].append(entry(node))
    (result['order'] if include_leader else result['skipped']).append(entry(leader_node))
    return result


def describe_order(plan):
    """One line naming the nodes in the order they are scavenged, and a skipped Leader."""
    if plan['problems']:
        return ' '.join(plan['problems'])
    names = ['%s (%s%s)' % (e['host'], e['node'], ', Leader' if e['leader'] else '') for e in plan['order']]
    line = 'Scavenging one node at a time, each to its end: %s.' % ', then '.join(names) if names else (
        'No node is scavenged.')
    for skipped in plan['skipped']:
        line += (' The Leader %s (%s) is not scavenged: eventstore_scavenge_leader is false.'
                 % (skipped['host'], skipped['node']))
    return line
