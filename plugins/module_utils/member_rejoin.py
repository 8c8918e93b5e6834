# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a restarted node is back: a Follower the others agree on, caught up with the Leader.

A node that answers is not yet back: 22.10 brings a restarted node through PreReplica and
CatchingUp before Follower, and its peers' views of it lag by a gossip round. So a node counts
as back only when
- its own gossip entry says Follower (ReadOnlyReplica for a replica; Leader only when it is the
  agreed Leader, as in a one-node cluster);
- a quorum of the other members lists that same instance (a restarted node has a new
  instanceId) alive in that state;
- it is in the Leader's epoch, and its own writer checkpoint is within max_lag bytes of the
  Leader's own. Both come from each node's own entry in its own answer, read in the same round,
  so gossip staleness does not count as lag.
Pure functions over parsed answers (see gossip.parse_gossip); no Ansible objects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import quorum_size
from ansible_collections.esdb.cluster.plugins.module_utils.gossip import self_member

BACK_STATES = ('Follower', 'ReadOnlyReplica')


def rejoin(answers, member_node, leader, expected_size, max_lag):
    """{'node', 'state', 'instance_id', 'seen_by', 'lag', 'rejoined', 'problems'} for member_node.

    answers: as for cluster_verdict.evaluate; leader: its 'leader' result (or None).
    """
    result = dict(node=member_node, state=None, instance_id=None, seen_by=[], lag=None, rejoined=False)
    own = _own_entry(answers, member_node)
    if own is None:
        result['problems'] = ['%s has not answered with its own gossip entry yet (it is starting, '
                              'or opening its database).' % member_node]
        return result
    result.update(state=own['state'], instance_id=own['instance_id'])
    is_leader = leader is not None and leader['instance_id'] == own['instance_id']
    wanted = ('Leader',) if is_leader else BACK_STATES
    result['seen_by'] = _seen_by(answers, member_node, own['instance_id'], wanted)
    needed = min(quorum_size(expected_size), max(expected_size - 1, 0))
    problems = []
    if own['state'] not in wanted:
        problems.append('%s is %s, not %s yet.' % (member_node, own['state'], ' or '.join(wanted)))
    if len(result['seen_by']) < needed:
        problems.append('%s is seen as %s by %d other member(s) (%s); %d must agree.' % (
            member_node, ' or '.join(wanted), len(result['seen_by']), ', '.join(result['seen_by']) or 'none',
            needed))
    problems += _catch_up_problems(answers, member_node, own, leader, max_lag, result)
    result['problems'] = problems
    result['rejoined'] = not problems
    return result


def _catch_up_problems(answers, member_node, own, leader, max_lag, result):
    if leader is None:
        return ['No agreed Leader to catch up with.']
    lead = _leader_entry(answers, leader['instance_id'])
    if lead is None:
        return ['The Leader has not answered, so how far %s lags cannot be told.' % member_node]
    if own['epoch_number'] is None or own['epoch_number'] != lead['epoch_number']:
        return ['%s is in epoch %s, the Leader in epoch %s.'
                % (member_node, own['epoch_number'], lead['epoch_number'])]
    if own['writer_checkpoint'] is None or lead['writer_checkpoint'] is None:
        return ['%s or the Leader reports no writer checkpoint.' % member_node]
    result['lag'] = max(0, lead['writer_checkpoint'] - own['writer_checkpoint'])
    if result['lag'] > max_lag:
        return ['%s is %d bytes behind the Leader (at most %d allowed).' % (member_node, result['lag'], max_lag)]
    return []


def _own_entry(answers, node):
    for answer in answers:
        if answer['node'] == node and answer.get('gossip') is not None:
            return self_member(answer['gossip'])
    return None


def _leader_entry(answers, instance_id):
    for answer in answers:
        if answer.get('gossip') is not None:
            own = self_member(answer['gossip'])
            if own is not None and own['instance_id'] == instance_id:
                return own
    return None


def _seen_by(answers, member_node, instance_id, wanted):
    seen = []
    for answer in answers:
        if answer['node'] == member_node or answer.get('gossip') is None:
            continue
        if any(m['instance_id'] == instance_id and m['is_alive'] and m['state'] in wanted
               for m in answer['gossip']['members']):
            seen.append(answer['node'])
    return seen
