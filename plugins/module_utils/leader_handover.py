# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide whether and where to ask an EventStoreDB 22.10 Leader to resign, and when it is done.

Pure functions over cluster_verdict.evaluate() results; no Ansible objects, no I/O.

22.10 facts behind the rules (src/EventStore.Core/Services/ElectionsService.cs):
- only the Leader acts on a resignation; any other node answers 200 and ignores it (l.175-190),
  so the request must reach the node that answered as the Leader;
- the Leader steps down only once ClusterSize/2+1 nodes, itself included, acknowledged (l.206-220),
  so a quorum and at least one other voter must be alive;
- the next election skips the resigning Leader (l.534, IsLegitimateLeader l.545-560), so the
  handover is done when another instance leads.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

RESIGN = 'resign'
KEEP = 'keep'
REFUSE = 'refuse'


def plan(verdict, node_label=None):
    """What to do: {'action': resign | keep | refuse, 'msg': sentence, 'post_to': node label or None}.

    node_label, when given, is the node (host:port, as node_connection labels it) that should
    resign only if it is the Leader; when another node leads, nothing is to be done.
    """
    leader, leader_node = verdict.get('leader'), verdict.get('leader_node')
    if leader is None:
        return _refuse(_no_leader(verdict))
    if node_label is not None and leader_node is not None and node_label != leader_node:
        return dict(action=KEEP, post_to=None, msg='%s is not the Leader (%s leads, at %s); nothing was changed.'
                    % (node_label, member_name(leader), leader_node))
    if leader_node is None:
        return _refuse('The Leader, %s, did not answer at any of the given nodes, so there is no node to ask '
                       'to resign; list the node it runs on in nodes and check that it answers /gossip.'
                       % member_name(leader))
    if not verdict.get('followers'):
        return _refuse(_no_successor(verdict, leader))
    if verdict['voters_alive'] < verdict['quorum_size']:
        return _refuse('Only %d of %d voting members are alive (quorum %d); EventStoreDB hands leadership over '
                       'only once a quorum acknowledges the resignation, so nothing was posted.'
                       % (verdict['voters_alive'], verdict['expected_size'], verdict['quorum_size']))
    return dict(action=RESIGN, post_to=leader_node,
                msg='%s leads, at %s; %d Follower(s) can take over.'
                % (member_name(leader), leader_node, len(verdict['followers'])))


def unknown_node_error(node_label, given_labels):
    """A sentence when node is not one of the given nodes (its answer is needed to know its role)."""
    if node_label in given_labels:
        return None
    return ('node %s is not one of nodes (%s); add it to nodes, written with the same host and port'
            % (node_label, ', '.join(given_labels)))


def handover_done(verdict, previous_instance_id):
    """True once one agreed Leader other than previous_instance_id leads with a quorum alive."""
    leader = verdict.get('leader')
    return bool(leader and leader['instance_id'] != previous_instance_id
                and verdict['voters_alive'] >= verdict['quorum_size'])


def previous_leader(verdict):
    """The Leader before anything was done, with the given node that answered as it."""
    leader = verdict.get('leader')
    if leader is None:
        return None
    return dict(leader, node=verdict.get('leader_node'))


def success_message(previous, verdict, elapsed):
    return 'Leadership moved from %s to %s in %.1f s.' % (
        member_name(previous), member_name(verdict['leader']), elapsed)


def wait_failure_message(previous, verdict, wait_timeout):
    """One line: who resigned, that no other node took over in time, and why as far as gossip tells."""
    leader = verdict.get('leader')
    message = '%s resigned but no other node became Leader within %g s (cluster %s' % (
        previous['node'], wait_timeout, verdict['status'])
    if leader is not None and leader['instance_id'] == previous['instance_id']:
        message += ', still led by %s' % member_name(leader)
    message += ')'
    problems = verdict.get('problems') or []
    if problems:
        message += ': ' + problems[0]
        if len(problems) > 1:
            message += ' (%d more problems in the result)' % (len(problems) - 1)
    else:
        message += '.'
    return message.replace('\n', ' ')


def member_name(member):
    where = '%s:%s' % (member['host'], member['port']) if member.get('host') else 'unknown address'
    return 'member %s (%s)' % (where, member['instance_id'][:8])


def _refuse(sentence):
    return dict(action=REFUSE, post_to=None, msg=sentence)


def _no_leader(verdict):
    status = verdict.get('status')
    if status == 'unreachable':
        reason = 'No node answered'
    elif status == 'split_brain':
        reason = 'The nodes disagree about the Leader (split brain)'
    else:
        reason = 'No node reports an alive Leader (an election is running or quorum is lost)'
    message = '%s, so there is no agreed Leader to resign; nothing was posted' % reason
    problems = verdict.get('problems') or []
    return (message + (': ' + problems[0] if problems else '.')).replace('\n', ' ')


def _no_successor(verdict, leader):
    if verdict['expected_size'] == 1:
        why = 'this is a one-node cluster'
    else:
        why = 'no other voting member is alive as Follower (%d of %d voters alive)' % (
            verdict['voters_alive'], verdict['expected_size'])
    return ('Nobody can take over from the Leader, %s: %s; resigning would leave the cluster without a Leader, '
            'so nothing was posted.' % (member_name(leader), why))
