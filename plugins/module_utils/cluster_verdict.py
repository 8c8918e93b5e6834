# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judge a cluster from every node's gossip: status, leader, quorum and problems.

Pure functions over plain data (see gossip.parse_gossip); no Ansible objects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.esdb.cluster.plugins.module_utils.gossip import (
    VOTER_READY_STATES,
    alive_leaders,
    is_clone,
    is_voter,
    merge_views,
    self_member,
)

VALIDATIONS = ('ready', 'quorum', 'leader', 'none')
STATUSES = ('ready', 'degraded', 'unavailable', 'split_brain', 'unreachable')


def quorum_size(cluster_size):
    """EventStoreDB's quorum: ClusterSize/2 + 1, and 1 for a single node."""
    return 1 if cluster_size == 1 else cluster_size // 2 + 1


def evaluate(answers, expected_size, validate='ready'):
    """Verdict for one round of answers.

    answers: list of {'node': 'host:port', 'url': str, 'gossip': parsed | None, 'error': str | None}.
    Returns the module's result fields plus 'passed' (validation met).
    """
    reachable = [a for a in answers if a.get('gossip') is not None]
    unreachable = [dict(node=a['node'], url=a['url'], error=a['error'])
                   for a in answers if a.get('gossip') is None]
    members = merge_views([a['gossip']['members'] for a in reachable])
    leaders = alive_leaders(members)
    views = _leader_views(reachable)
    named = sorted(set(i for ids in views.values() for i in ids))
    split = len(leaders) > 1 or len(named) > 1
    leader = leaders[0] if len(leaders) == 1 and not split else None

    voters = [m for m in members if is_voter(m)]
    voters_alive = [m for m in voters if m['is_alive']]
    ready_voters = [m for m in voters_alive if m['state'] in VOTER_READY_STATES]
    not_ready = [m for m in voters_alive if m['state'] not in VOTER_READY_STATES]
    blind = [node for node, ids in views.items() if not ids]
    quorum = quorum_size(expected_size)
    has_quorum = len(voters_alive) >= quorum
    all_ready = bool(leader and not unreachable and not blind and not not_ready
                     and len(ready_voters) == expected_size)

    if not reachable:
        status = 'unreachable'
    elif split:
        status = 'split_brain'
    elif all_ready:
        status = 'ready'
    elif leader and has_quorum:
        status = 'degraded'
    else:
        status = 'unavailable'

    problems = [a['error'] for a in unreachable]
    problems += _malformed_problems(reachable)
    problems += _leader_problems(reachable, leaders, views, split, leader, blind, members)
    problems += ['%s is %s, not Leader or Follower yet.' % (_name(m), m['state']) for m in not_ready]
    if len(ready_voters) < expected_size:
        problems += ['%s is not alive (last seen as %s).' % (_name(m), m['state'])
                     for m in voters if not m['is_alive']]
    problems += _count_problems(len(voters_alive), len(ready_voters), expected_size, quorum, reachable)

    return dict(
        passed=_passes(validate, status, leader, has_quorum),
        ready=status == 'ready',
        status=status,
        leader=_brief(leader) if leader else None,
        leader_node=_node_of(leader, reachable),
        followers=[_brief(m) for m in ready_voters if m['state'] == 'Follower'],
        members=members,
        voters_alive=len(voters_alive),
        quorum_size=quorum,
        expected_size=expected_size,
        read_only_replicas=len([m for m in members if m['is_read_only_replica'] and m['is_alive']]),
        clones=len([m for m in members if is_clone(m) and m['is_alive']]),
        unreachable_nodes=unreachable,
        problems=problems,
    )


def _passes(validate, status, leader, has_quorum):
    if validate == 'none':
        return True
    if validate == 'leader':
        return leader is not None
    if validate == 'quorum':
        return leader is not None and has_quorum
    return status == 'ready'


def _node_of(member, reachable):
    """The given node address (as asked) that answered as this member, if it answered."""
    if member is None:
        return None
    for answer in reachable:
        own = self_member(answer['gossip'])
        if own is not None and own['instance_id'] == member['instance_id']:
            return answer['node']
    return None


def _leader_views(reachable):
    """Which alive Leader(s) each answering node names in its own gossip."""
    return dict((a['node'], sorted(set(m['instance_id'] for m in alive_leaders(a['gossip']['members']))))
                for a in reachable)


def _leader_problems(reachable, leaders, views, split, leader, blind, members):
    if not reachable:
        return []
    problems = []
    if len(leaders) > 1:
        problems.append('Split brain: %d members are alive Leaders at once: %s.'
                        % (len(leaders), ', '.join(_name(m) for m in leaders)))
    if len(set(i for ids in views.values() for i in ids)) > 1:
        by_id = dict((m['instance_id'], m) for a in reachable for m in a['gossip']['members'])
        problems.append('Split brain: nodes disagree about the leader: %s.' % '; '.join(
            '%s names %s' % (node, ' and '.join(_name(by_id[i]) for i in ids) or 'no leader')
            for node, ids in sorted(views.items())))
    if not split and leader is None:
        problems.append('No alive Leader: no node reports one (an election is running or quorum is lost).')
    if leader is not None:
        problems += ['%s sees no alive Leader yet, while the others name %s.' % (node, _name(leader))
                     for node in sorted(blind)]
    return problems


def _count_problems(alive, ready, expected, quorum, reachable):
    if not reachable:
        return []
    if alive < quorum:
        return ['Only %d of %d voting members are alive; quorum needs %d.' % (alive, expected, quorum)]
    if alive < expected:
        return ['%d of %d voting members are alive (quorum of %d holds).' % (alive, expected, quorum)]
    if ready > expected:
        return ['Gossip shows %d alive voting members but expected_size is %d; '
                'check ClusterSize on the nodes and expected_size here.' % (ready, expected)]
    return []


def _malformed_problems(reachable):
    return ['%s reported %d gossip member(s) without instanceId or state; they were ignored.'
            % (a['node'], a['gossip']['malformed_members'])
            for a in reachable if a['gossip'].get('malformed_members')]


def _name(member):
    where = '%s:%s' % (member['host'], member['port']) if member['host'] else 'unknown address'
    return 'member %s (%s)' % (where, member['instance_id'][:8])


def _brief(member):
    return dict(instance_id=member['instance_id'], host=member['host'], port=member['port'])
