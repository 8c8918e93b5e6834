# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read EventStoreDB 22.10 GET /gossip bodies into plain member records.

Parsing is tolerant on purpose: later versions add keys, some keys may be
missing, and seeds that have not been gossiped with show up as placeholder
members. Pure functions, no Ansible objects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from datetime import datetime, timedelta

PLACEHOLDER_INSTANCE_ID = '00000000-0000-0000-0000-000000000000'

VOTER_READY_STATES = ('Leader', 'Follower')
# States in which a member takes no part in elections or quorum.
NON_VOTING_STATES = ('Clone', 'ShuttingDown', 'Shutdown', 'Manager')
READ_ONLY_STATES = ('ReadOnlyLeaderless', 'PreReadOnlyReplica', 'ReadOnlyReplica')

_TIMESTAMP = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$')
_OLDEST = (datetime.min, 0)
# ASCII digits only: str.isdigit() also takes digits int() refuses, and .NET longs have at most 19.
_INT64_TEXT = re.compile(r'^-?[0-9]{1,19}$')
_INT64_MIN, _INT64_MAX = -2 ** 63, 2 ** 63 - 1


class GossipError(ValueError):
    """A gossip answer that cannot be used; the message is a human sentence."""


def parse_gossip(body, source):
    """Parse one node's /gossip body (bytes or str) into {'members': [...], 'server': ...}.

    source names the node in error sentences. Raises GossipError for bodies
    that are empty, not JSON, not an object, or carry no members list.
    """
    if isinstance(body, bytes):
        body = body.decode('utf-8', 'replace')
    body = body.lstrip(u'\ufeff')
    if not body or not body.strip():
        raise GossipError('%s answered /gossip with an empty body' % source)
    try:
        document = json.loads(body)
    except RecursionError:
        raise GossipError('%s answered /gossip with JSON nested too deeply to be a gossip document: %s'
                          % (source, _snippet(body)))
    except ValueError as exc:
        raise GossipError('%s answered /gossip with malformed JSON (%s): %s'
                          % (source, exc, _snippet(body)))
    if not isinstance(document, dict):
        raise GossipError('%s answered /gossip with a JSON %s, not an object with a members list'
                          % (source, _json_kind(document)))
    members = document.get('members')
    if not isinstance(members, list):
        raise GossipError("%s answered /gossip without a 'members' list; is this an EventStoreDB node?"
                          % source)
    parsed, ignored = [], 0
    for raw in members:
        member = parse_member(raw)
        if member is None:
            ignored += 1
        else:
            parsed.append(member)
    return {
        'members': parsed,
        'malformed_members': ignored,
        'server': _endpoint(document.get('serverIp'), document.get('serverPort')),
    }


def parse_member(raw):
    """One gossip member as a flat snake_case dict, or None when it lacks identity or state."""
    if not isinstance(raw, dict):
        return None
    instance_id = raw.get('instanceId')
    state = raw.get('state')
    if not isinstance(instance_id, str) or not isinstance(state, str):
        return None
    secure_port = _int(raw.get('internalSecureTcpPort'))
    plain_port = _int(raw.get('internalTcpPort'))
    return {
        'instance_id': instance_id.lower(),
        'state': state,
        'is_alive': raw.get('isAlive') is True,
        'host': _str(raw.get('httpEndPointIp')),
        'port': _int(raw.get('httpEndPointPort')),
        'is_read_only_replica': raw.get('isReadOnlyReplica') is True or state in READ_ONLY_STATES,
        'epoch_number': _int(raw.get('epochNumber')),
        'writer_checkpoint': _int(raw.get('writerCheckpoint')),
        'node_priority': _int(raw.get('nodePriority')),
        'internal_tcp_port': secure_port or plain_port,
        'internal_tcp_tls': bool(secure_port),
        'timestamp': _str(raw.get('timeStamp')),
    }


def is_placeholder(member):
    """Seed entries not yet gossiped with carry an all-zero instanceId."""
    return member['instance_id'].replace('-', '').strip('0') == ''


def is_voter(member):
    return not member['is_read_only_replica'] and member['state'] not in NON_VOTING_STATES


def is_clone(member):
    return member['state'] == 'Clone'


def alive_leaders(members):
    return [m for m in members if m['is_alive'] and m['state'] == 'Leader' and not is_placeholder(m)]


def self_member(gossip):
    """The answering node's own member: the alive one at the server's advertised endpoint.

    22.10 writes serverIp/serverPort and each member's httpEndPointIp/Port the same way
    (AdvertiseHostToClientAs/AdvertiseHttpPortToClientAs when set, else the HTTP endpoint;
    GossipServiceBase.Handle(ClientGossip), ClientClusterInfo.cs), so this holds whatever the
    node advertises. None when no single alive member matches.
    """
    server = gossip.get('server') or {}
    mine = [m for m in gossip['members']
            if m['is_alive'] and not is_placeholder(m)
            and (m['host'], m['port']) == (server.get('host'), server.get('port'))]
    return mine[0] if len(mine) == 1 else None


def merge_views(views):
    """De-duplicate members seen by several nodes by instanceId; the newest timeStamp wins.

    views is a list of member lists. Placeholders are dropped. The result keeps
    the order in which instances were first seen, so reports are stable.
    """
    newest, order = {}, []
    for members in views:
        for member in members:
            if is_placeholder(member):
                continue
            key = member['instance_id']
            if key not in newest:
                order.append(key)
                newest[key] = member
            elif timestamp_key(member['timestamp']) > timestamp_key(newest[key]['timestamp']):
                newest[key] = member
    return [newest[key] for key in order]


def timestamp_key(text):
    """Sortable key for .NET ISO timestamps (up to 7 fraction digits); unknown sorts oldest."""
    match = _TIMESTAMP.match(text or '')
    if not match:
        return _OLDEST
    parts = [int(p) for p in match.groups()[:6]]
    try:
        moment = datetime(*parts)
    except ValueError:
        return _OLDEST
    moment -= _utc_offset(match.group(8))
    fraction = (match.group(7) or '0')[:9].ljust(9, '0')
    return (moment, int(fraction))


def _utc_offset(zone):
    if not zone or zone == 'Z':
        return timedelta(0)
    sign = -1 if zone[0] == '-' else 1
    digits = zone[1:].replace(':', '')
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def _endpoint(host, port):
    host, port = _str(host), _int(port)
    if host is None and port is None:
        return None
    return {'host': host, 'port': port}


def _int(value):
    """A 64-bit integer as .NET writes them (a number, or digits in a string), else None."""
    if isinstance(value, str) and _INT64_TEXT.match(value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if _INT64_MIN <= value <= _INT64_MAX else None


def _str(value):
    return value if isinstance(value, str) and value else None


def _json_kind(value):
    if isinstance(value, list):
        return 'array'
    if isinstance(value, str):
        return 'string'
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    return 'number'


def _snippet(body, limit=60):
    flat = ' '.join(body.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + '...')
