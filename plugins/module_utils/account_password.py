# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set an EventStoreDB 22.10 account's password once, through the cluster.

Accounts are data in 22.10: a reset is written by the Leader (a follower forwards it; without a
Leader the call times out with 408) and replicates, after which every node drops its cached
credentials (Controllers/UsersController.cs, HttpSendService.cs, InternalAuthenticationProvider.cs).
So the password is probed on every node, reset once on the Leader, and the change is done when
every node accepts the new password.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading
from urllib.error import HTTPError

from ansible.module_utils.urls import open_url

from ansible_collections.esdb.cluster.plugins.module_utils.gossip_client import describe_failure

# Needs an $ops or $admins user (22.10 InfoController); admin and ops are both.
PROBE_PATH = '/info/options'
RESET_PATH = '/users/%s/command/reset-password'


class PasswordError(Exception):
    """A password change that cannot go on; the message is one sentence naming node and fix."""


def probe_all(endpoints, user, password, options, opener=None):
    """{label: 200 | 401 | error sentence} for user:password on every endpoint, asked in parallel."""
    results = {}

    def probe(endpoint):
        results[endpoint.label] = _probe(endpoint, user, password, options, opener or open_url)

    threads = [threading.Thread(target=probe, args=(e,)) for e in endpoints]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join(float(options.get('timeout', 5.0)) + 1.0)
    return dict((e.label, results.get(e.label, '%s gave no answer in time.' % e.label)) for e in endpoints)


def _probe(endpoint, user, password, options, opener):
    try:
        response = opener(endpoint.url(PROBE_PATH), method='GET', **_with_login(options, user, password))
        response.close()
        return 200
    except HTTPError as exc:
        if exc.code == 401:
            return 401
        return '%s answered GET %s with HTTP %d.' % (endpoint.label, PROBE_PATH, exc.code)
    except Exception as exc:  # pylint: disable=broad-except
        # Whatever goes wrong on the wire must reach the user as a sentence, not a traceback.
        return describe_failure(endpoint, exc, options.get('timeout', 5.0))


def reset(endpoint, user, password, login_user, login_passwords, options, opener=None):
    """Reset user's password on endpoint (the Leader), logging in with the first login password
    that works; returns its index in login_passwords. Raises PasswordError otherwise."""
    body = json.dumps({'newPassword': password}).encode('utf-8')
    headers = dict(options.get('headers') or {}, **{'Content-Type': 'application/json'})
    for index, login in enumerate(login_passwords):
        try:
            response = (opener or open_url)(endpoint.url(RESET_PATH % user), data=body, method='POST',
                                            **dict(_with_login(options, login_user, login), headers=headers))
            response.close()
            return index
        except HTTPError as exc:
            if exc.code == 401:
                continue
            raise PasswordError(_reset_status(endpoint.label, user, exc.code))
        except Exception as exc:  # pylint: disable=broad-except
            raise PasswordError(describe_failure(endpoint, exc, options.get('timeout', 5.0)))
    raise PasswordError(
        '%s refused every login given for %s (HTTP 401): the account accepts none of them. Give its current '
        'password (for the role: eventstore_admin_password), or reset it in the EventStoreDB UI.'
        % (endpoint.label, login_user))


def verdict(probes):
    """(all_accept, refusing labels, error sentences) from probe_all's answer."""
    errors = [answer for answer in probes.values() if answer not in (200, 401)]
    refusing = sorted(label for label, answer in probes.items() if answer == 401)
    return not errors and not refusing, refusing, errors


def _reset_status(label, user, code):
    text = '%s answered the reset of %s with HTTP %d' % (label, user, code)
    if code == 404:
        return text + '; the account does not exist, or the node runs with Insecure (no accounts).'
    if code == 408:
        return text + '; the cluster has no Leader to write the change, so wait until it is ready.'
    return text + '; see the node log.'


def _with_login(options, user, password):
    return dict(options, url_username=user, url_password=password, force_basic_auth=True)
