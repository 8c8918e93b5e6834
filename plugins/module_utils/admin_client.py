# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""POST to an EventStoreDB 22.10 node's admin endpoints, with every failure as one sentence.

22.10 registers /admin/* only while DisableAdminUi is false (ClusterVNode.cs l.1087-1088) and
answers 200 "OK" to users in $admins or $ops, 401 to anyone else (Controllers/AdminController.cs
l.287-296). Connection failures are worded as the gossip client words them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.error import HTTPError

from ansible.module_utils.urls import open_url

from ansible_collections.esdb.cluster.plugins.module_utils.gossip_client import describe_failure

RESIGN_PATH = '/admin/node/resign'
# Enough of a reply body to quote in an error; admin endpoints answer a short text.
MAX_REPLY_BYTES = 64 * 1024


class AdminCallError(Exception):
    """An admin call that did not succeed; the message is one sentence naming node and fix."""


def post_admin(endpoint, path, options, opener=None):
    """POST an empty body to path on endpoint; returns None on HTTP 200, else raises AdminCallError.

    options are open_url keyword arguments (node_connection.open_url_options), credentials included.
    """
    opener = opener or open_url
    try:
        response = opener(endpoint.url(path), data=b'', method='POST', **options)
        try:
            status = getattr(response, 'status', None) or response.getcode()
            response.read(MAX_REPLY_BYTES)
        finally:
            response.close()
    except HTTPError as exc:
        raise AdminCallError(describe_admin_status(endpoint.label, path, exc.code, exc.reason))
    except Exception as exc:  # pylint: disable=broad-except
        # Whatever goes wrong on the wire must reach the user as a sentence, not a traceback.
        raise AdminCallError(describe_failure(endpoint, exc, options.get('timeout', 5.0)))
    if status != 200:
        raise AdminCallError(describe_admin_status(endpoint.label, path, status, None))


def describe_admin_status(label, path, code, reason):
    """A sentence for an HTTP status other than 200 from POST path."""
    text = ('%s answered POST %s with HTTP %d %s' % (label, path, code, reason or '')).rstrip()
    if code in (401, 403):
        return (text + '; the admin credentials were refused: set url_username and url_password to a user '
                'in $admins or $ops (admin and ops by default).')
    if code == 404:
        return (text + '; the admin endpoints are off on that node (DisableAdminUi: true), so leadership '
                'cannot be handed over through HTTP there.')
    if code == 405:
        return text + '; this node does not take POST there, so it is probably not EventStoreDB 22.10.'
    if 300 <= code < 400:
        return text + '; point nodes at the node itself, not at a redirecting proxy.'
    if code >= 500:
        return text + '; the node failed to handle the request, see its log.'
    return text + '; only HTTP 200 means the node accepted.'
