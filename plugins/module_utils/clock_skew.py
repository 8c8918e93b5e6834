# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How far apart the members' clocks are, from the timeStamp of each node's own gossip entry.

What 22.10 gives (oss-v22.10.0):
- GET /gossip (Controllers/GossipController.cs l.34-42) answers the node's current cluster view
  as it is (GossipServiceBase.cs l.182-193, Handle(ClientGossip)); the reply does not restamp it.
- Each member entry carries TimeStamp, a UTC DateTime (Cluster/ClientClusterInfo.cs l.30, l.62).
- A node stamps its own entry with its own clock, DateTime.UtcNow (NodeGossipService.cs l.73-81,
  GetUpdatedMe), on every gossip round (GossipServiceBase.cs l.131-133), on every gossip received
  from a peer (l.162-166) and on every state change (l.199). Rounds run every GossipIntervalMs,
  2000 ms by default (ClusterVNodeOptions.cs l.335).

So when a node answers, its clock reads its own entry's timeStamp plus an age between 0 and about
one gossip interval, and it answered between the moment the request left and the moment the reply
came back (on the reader's clock). Each node's offset from the reader's clock is estimated at the
middle of both ranges (half the round trip subtracted, half a gossip interval added), with an
uncertainty of half the round trip plus half a gossip interval. Between two nodes the estimates
are subtracted and the uncertainties added; a limit is only judged exceeded when the skew is
certainly larger (the estimate less its uncertainty). Pure functions, no Ansible objects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime

from ansible_collections.esdb.cluster.plugins.module_utils.gossip import self_member, timestamp_key

GOSSIP_INTERVAL_S = 2.0
_EPOCH = datetime(1970, 1, 1)


def timestamp_seconds(text):
    """Seconds since 1970 UTC of a .NET ISO timestamp, or None when it cannot be read."""
    moment, nanoseconds = timestamp_key(text)
    if moment == datetime.min:
        return None
    return (moment - _EPOCH).total_seconds() + nanoseconds / 1e9


def clock_offsets(answers, gossip_interval=GOSSIP_INTERVAL_S):
    """Per node whose answer has its own entry, a readable timeStamp and the request's times:
    {'node', 'offset_s' (its clock minus the reader's), 'uncertainty_s'}, in the answers' order.

    The answers are gossip_client.fetch_all's; gossip carries 'requested_at' and 'answered_at',
    the reader's wall clock (seconds since 1970) when the request left and the reply came.
    """
    offsets = []
    for answer in answers:
        gossip = answer.get('gossip')
        me = self_member(gossip) if gossip else None
        stamp = timestamp_seconds(me['timestamp']) if me else None
        sent, received = (gossip or {}).get('requested_at'), (gossip or {}).get('answered_at')
        if stamp is None or sent is None or received is None or received < sent:
            continue
        half_trip = (received - sent) / 2
        offsets.append(dict(
            node=answer['node'],
            offset_s=stamp + gossip_interval / 2 - (sent + half_trip),
            uncertainty_s=half_trip + gossip_interval / 2,
        ))
    return offsets


def widest_skew(offsets):
    """The pair of nodes whose clocks are furthest apart, or None with fewer than two offsets:
    {'nodes': [ahead, behind], 'skew_s', 'at_least_s', 'at_most_s'}."""
    widest = None
    for index, first in enumerate(offsets):
        for second in offsets[index + 1:]:
            ahead, behind = (first, second) if first['offset_s'] >= second['offset_s'] else (second, first)
            skew = ahead['offset_s'] - behind['offset_s']
            if widest is None or skew > widest['skew_s']:
                slack = ahead['uncertainty_s'] + behind['uncertainty_s']
                widest = dict(nodes=[ahead['node'], behind['node']], skew_s=skew,
                              at_least_s=max(0.0, skew - slack), at_most_s=skew + slack)
    return widest


def skew_problem(widest, limit):
    """A sentence when the widest skew is certainly more than limit seconds, else None."""
    if widest is None or limit is None or widest['at_least_s'] <= limit:
        return None
    return ('The clocks of %s and %s are %.1f s apart (at least %.1f s, allowing for the round trips and '
            'the gossip interval), more than max_clock_skew %g s; synchronise them (chrony, NTP).'
            % (widest['nodes'][0], widest['nodes'][1], widest['skew_s'], widest['at_least_s'], limit))


def clock_report(answers, limit=None, gossip_interval=GOSSIP_INTERVAL_S):
    """(result keys clock_offsets, clock_skew and max_clock_skew_s, rounded to ms; the sentence when
    the skew is certainly more than limit, else None)."""
    offsets = clock_offsets(answers, gossip_interval)
    widest = widest_skew(offsets)
    report = dict(
        clock_offsets=[dict(o, offset_s=round(o['offset_s'], 3), uncertainty_s=round(o['uncertainty_s'], 3))
                       for o in offsets],
        clock_skew=None,
        max_clock_skew_s=None,
    )
    if widest is not None:
        report['clock_skew'] = dict(nodes=widest['nodes'], skew_s=round(widest['skew_s'], 3),
                                    at_least_s=round(widest['at_least_s'], 3), at_most_s=round(widest['at_most_s'], 3))
        report['max_clock_skew_s'] = report['clock_skew']['skew_s']
    return report, skew_problem(widest, limit)
