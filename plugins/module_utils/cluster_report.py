# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A short text table of a cluster verdict, for people reading a play's output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

COLUMNS = ('STATE', 'ALIVE', 'ENDPOINT', 'INSTANCE', 'EPOCH', 'WRITER', 'PRIO', 'ROLE')


def headline(verdict):
    """One line: status, leader and voter counts."""
    leader = verdict.get('leader')
    where = '%s:%s' % (leader['host'], leader['port']) if leader else 'none'
    return '%s: leader %s, %d/%d voters alive (quorum %d), %d unreachable' % (
        verdict['status'], where, verdict['voters_alive'], verdict['expected_size'],
        verdict['quorum_size'], len(verdict['unreachable_nodes']))


def report_lines(verdict):
    """Headline, one row per member and one per node that did not answer."""
    rows = [COLUMNS]
    for member in verdict['members']:
        rows.append((
            member['state'],
            'yes' if member['is_alive'] else 'no',
            _endpoint(member),
            member['instance_id'][:8],
            _number(member['epoch_number']),
            _number(member['writer_checkpoint']),
            _number(member['node_priority']),
            _role(member),
        ))
    for node in verdict['unreachable_nodes']:
        rows.append(('-', '?', node['node'], '-', '-', '-', '-', 'no answer'))
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    table = ['  '.join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return [headline(verdict)] + table


def report_text(verdict):
    return '\n'.join(report_lines(verdict))


def _role(member):
    if member['is_read_only_replica']:
        return 'read-only replica'
    if member['state'] == 'Clone':
        return 'clone'
    return 'voter'


def _endpoint(member):
    if not member['host']:
        return '?'
    return '%s:%s' % (member['host'], member['port'] if member['port'] is not None else '?')


def _number(value):
    return '?' if value is None else str(value)
