# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fetch GET /gossip from every node at once, each bounded by the timeout.

One daemon thread per node: a dead node costs one timeout, not one per node,
and a lookup that ignores socket timeouts (DNS) cannot hold the module past
its deadline. Every failure becomes a sentence naming the node and the cause.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import ssl
import threading
import time
from http import client as http_client
from urllib.error import HTTPError, URLError
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.esdb.cluster.plugins.module_utils.gossip import GossipError, parse_gossip

GOSSIP_PATH = '/gossip'
# Past the socket timeout, allow this long for the thread to hand back its error.
JOIN_GRACE = 0.5
MAX_BODY_BYTES = 4 * 1024 * 1024


def fetch_all(endpoints, options, opener=None, clock=time.monotonic):
    """GET /gossip from every endpoint concurrently.

    options are open_url keyword arguments (see node_connection.open_url_options).
    Returns one answer per endpoint, in order:
    {'node', 'url', 'gossip' (parsed) or None, 'error' (sentence) or None}.
    """
    timeout = float(options.get('timeout', 5.0))
    results = [None] * len(endpoints)
    threads = []
    for index, endpoint in enumerate(endpoints):
        thread = threading.Thread(target=_fetch_into, args=(results, index, endpoint, options, opener),
                                  name='gossip %s' % endpoint.label)
        thread.daemon = True
        thread.start()
        threads.append(thread)
    deadline = clock() + timeout + JOIN_GRACE
    for thread in threads:
        thread.join(max(0.0, deadline - clock()))
    answers = []
    for endpoint, (gossip, error) in zip(endpoints, [r or (None, None) for r in results]):
        if gossip is None and error is None:
            error = '%s gave no answer within %s s (timed out).' % (endpoint.label, _seconds(timeout))
        answers.append(dict(node=endpoint.label, url=endpoint.url(GOSSIP_PATH), gossip=gossip, error=error))
    return answers


def _fetch_into(results, index, endpoint, options, opener):
    # One assignment per slot, so the caller never sees a half-written answer.
    results[index] = fetch_one(endpoint, options, opener)


def fetch_one(endpoint, options, opener=None, wall_clock=time.time):
    """(parsed gossip, None) or (None, sentence) for one node.

    The parsed gossip also holds 'requested_at' and 'answered_at': wall_clock() when the request
    left and when the reply's status line came, which bound when the node wrote its answer.
    """
    label = endpoint.label
    opener = opener or open_url
    try:
        requested_at = wall_clock()
        response = opener(endpoint.url(GOSSIP_PATH), method='GET', **options)
        answered_at = wall_clock()
        try:
            body = response.read(MAX_BODY_BYTES + 1)
        finally:
            response.close()
        if len(body) > MAX_BODY_BYTES:
            raise GossipError('%s answered /gossip with more than %d bytes, which is not a gossip document'
                              % (label, MAX_BODY_BYTES))
        return dict(parse_gossip(body, label), requested_at=requested_at, answered_at=answered_at), None
    except GossipError as exc:
        return None, '%s.' % exc
    except Exception as exc:  # pylint: disable=broad-except
        # Any failure of one node must become a sentence, never a traceback.
        return None, describe_failure(endpoint, exc, options.get('timeout', 5.0))


def describe_failure(endpoint, exc, timeout=5.0):
    """A sentence naming the node, the cause and the likely fix."""
    label = endpoint.label
    if isinstance(exc, HTTPError):
        return _describe_http_status(label, exc.code, exc.reason)
    cause = exc.reason if isinstance(exc, URLError) and isinstance(exc.reason, BaseException) else exc
    if isinstance(cause, ssl.SSLCertVerificationError) or _looks_like_cert_failure(cause):
        return ('%s: its TLS certificate could not be verified (%s); set ca_path to the cluster CA '
                'certificate, or validate_certs: false for a test cluster.' % (label, _reason(cause)))
    if isinstance(cause, ssl.SSLError):
        return ('%s: the TLS handshake failed (%s); if the node runs with Insecure: true, use scheme http.'
                % (label, _reason(cause)))
    if isinstance(cause, socket.gaierror):
        return '%s: the name %r could not be resolved (DNS: %s).' % (
            label, endpoint.host, cause.strerror or _reason(cause))
    if isinstance(cause, ConnectionRefusedError):
        return ('%s: connection refused; is EventStoreDB running and listening on HTTP port %d?'
                % (label, endpoint.port))
    if isinstance(cause, (socket.timeout, TimeoutError)):
        return '%s gave no answer within %s s (timed out).' % (label, _seconds(timeout))
    if isinstance(cause, (http_client.RemoteDisconnected, http_client.BadStatusLine, ConnectionResetError,
                          ConnectionAbortedError, BrokenPipeError)):
        hint = ('; the node probably requires TLS: use scheme https' if endpoint.scheme == 'http'
                else '')
        return '%s closed the connection without an HTTP answer (empty reply)%s.' % (label, hint)
    if isinstance(cause, UrlsConnectionError):
        return '%s: %s.' % (label, _reason(cause))
    return '%s: request failed (%s: %s).' % (label, type(cause).__name__, _reason(cause))


def _describe_http_status(label, code, reason):
    text = '%s answered /gossip with HTTP %d %s' % (label, code, reason or '')
    text = text.rstrip()
    if code in (401, 403):
        return text + '; /gossip is anonymous in EventStoreDB 22.10, so check that this is the node and port meant.'
    if code == 404:
        return text + '; gossip over HTTP may be disabled (DisableGossipOnHttp) or this is not EventStoreDB.'
    if 300 <= code < 400:
        return text + '; point nodes at the node itself, not at a redirecting proxy.'
    if code >= 500:
        return text + '; the node is up but not serving gossip yet, or failing.'
    return text + '.'


def _looks_like_cert_failure(cause):
    return isinstance(cause, ssl.SSLError) and 'CERTIFICATE_VERIFY_FAILED' in str(cause)


def _reason(exc):
    reason = getattr(exc, 'verify_message', None) or getattr(exc, 'reason', None) or str(exc)
    if not isinstance(reason, str):
        reason = str(reason)
    return reason.strip().rstrip('.') or type(exc).__name__


def _seconds(value):
    return ('%g' % float(value))
