# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scavenging one EventStoreDB 22.10 node over HTTP: paths, replies and problem sentences.

22.10 starts a scavenge with POST /admin/scavenge?startFromChunk=&threads= ($admins or $ops; 200 with
{"scavengeId": ...}; 400 with a sentence for a bad parameter, or "Bad Request" while one is running), stops it
with DELETE /admin/scavenge/{id}, and reports progress only as events: $scavengeStarted and $scavengeCompleted
(result Success, Stopped or Failed) in the stream $scavenges-{id}, read with
GET /streams/$scavenges/{id}/{event}/{count} ($ops or $admins) (Controllers/AdminController.cs l.41-62, 123-261;
TransactionLog/Chunks/TFChunkScavengerLog.cs). Pure functions: no Ansible objects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.esdb.cluster.plugins.module_utils.gossip import is_placeholder, self_member

START_PATH = '/admin/scavenge'
SERVING_STATES = ('Leader', 'Follower', 'ReadOnlyReplica')
ATOM_JSON = 'application/vnd.eventstore.atom+json'


class ScavengeError(Exception):
    """A scavenge that cannot start or finish; the message is one sentence naming the node and the fix."""


def check_parameters(start_from_chunk, threads):
    """None, or a sentence naming the bad value; the same limits 22.10 applies (AdminController.cs l.123-140)."""
    if start_from_chunk < 0:
        return 'start_from_chunk is %d; give 0 (the first chunk) or a higher chunk number' % start_from_chunk
    if threads < 1:
        return 'threads is %d; give 1 or more' % threads
    return None


def start_path(start_from_chunk, threads):
    return '%s?startFromChunk=%d&threads=%d' % (START_PATH, start_from_chunk, threads)


def status_path(scavenge_id):
    """The newest events of $scavenges-{id}, with bodies."""
    return '/streams/$scavenges/%s/head/20?embed=body' % scavenge_id


def readiness_problem(gossip, label):
    """None when the node serves as Leader, Follower or ReadOnlyReplica beside one alive Leader, else why not."""
    me = self_member(gossip)
    if me is None:
        return '%s does not list itself as an alive member in /gossip, so it is not ready to scavenge' % label
    if me['state'] not in SERVING_STATES:
        return ('%s is %s, not Leader, Follower or ReadOnlyReplica; wait until the cluster is ready '
                '(esdb.cluster.cluster_status) before scavenging' % (label, me['state']))
    leaders = [m for m in gossip['members'] if m['is_alive'] and m['state'] == 'Leader' and not is_placeholder(m)]
    if len(leaders) != 1:
        return ('%s sees %d alive leaders; scavenge only a cluster with exactly one Leader'
                % (label, len(leaders)))
    return None


def parse_started(body, label):
    """The scavenge id from POST /admin/scavenge's 200 reply."""
    try:
        document = json.loads(_text(body))
    except ValueError:
        document = None
    scavenge_id = document.get('scavengeId') if isinstance(document, dict) else None
    if not isinstance(scavenge_id, str) or not scavenge_id:
        raise ScavengeError('%s accepted the scavenge but its reply carries no scavengeId: %s'
                            % (label, _text(body)[:200]))
    return scavenge_id


def describe_start_status(label, code, reason):
    """A sentence for a reply other than 200 to POST /admin/scavenge."""
    text = ('%s answered POST %s with HTTP %d %s' % (label, START_PATH, code, reason or '')).rstrip()
    if code == 401:
        return text + '; set url_username and url_password to a user in $admins or $ops (admin or ops).'
    if code == 400 and (reason or '').strip() in ('', 'Bad Request'):
        return text + '; a scavenge is already running on that node: wait for it, or stop it first.'
    if code == 400:
        return text + '; 22.10 refused the parameters.'
    if code == 404:
        return text + '; the admin endpoints are off on that node (DisableAdminUi: true).'
    if code == 408:
        return text + '; the node is still initialising; retry once it is up.'
    return text + '; only HTTP 200 means the scavenge started.'


def parse_progress(body):
    """{'completed': bool, 'result', 'time_taken', 'space_saved', 'error'} from the $scavenges-{id} feed."""
    try:
        feed = json.loads(_text(body))
    except ValueError:
        raise ScavengeError('the scavenge status feed is not JSON: %s' % _text(body)[:200])
    entries = feed.get('entries') if isinstance(feed, dict) else None
    if not isinstance(entries, list):
        raise ScavengeError('the scavenge status feed has no entries list: %s' % _text(body)[:200])
    for entry in entries:
        if isinstance(entry, dict) and entry.get('eventType') == '$scavengeCompleted':
            data = entry.get('data')
            try:
                data = json.loads(data) if isinstance(data, str) else data
            except ValueError:
                data = None
            if not isinstance(data, dict):
                raise ScavengeError('a $scavengeCompleted event carries no readable data: %r' % (entry.get('data'),))
            return {'completed': True, 'result': data.get('result'), 'time_taken': data.get('timeTaken'),
                    'space_saved': data.get('spaceSaved'), 'error': data.get('error')}
    return {'completed': False, 'result': None, 'time_taken': None, 'space_saved': None, 'error': None}


def describe_status_code(label, scavenge_id, code):
    """A sentence for a reply other than 200 (or 404 before the first event) when reading the progress."""
    text = '%s answered GET %s with HTTP %d' % (label, status_path(scavenge_id), code)
    if code == 401:
        return text + '; reading $scavenges-%s needs a user in $ops or $admins.' % scavenge_id
    return text + '; the scavenge progress cannot be read there.'


def outcome_problem(progress, label):
    """None for a Success, else the sentence that fails the task."""
    if progress['result'] == 'Success':
        return None
    detail = ': %s' % progress['error'] if progress.get('error') else ''
    return 'the scavenge on %s ended with %s%s' % (label, progress['result'], detail)


def _text(body):
    return body.decode('utf-8', 'replace') if isinstance(body, bytes) else (body or '')
