#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: scavenge
short_description: Scavenge one EventStoreDB node and wait for the result
version_added: 0.2.0
description:
  - Starts a scavenge on one EventStoreDB 22.10 node with C(POST /admin/scavenge?startFromChunk=&threads=)
    and, unless O(wait=false), follows it in the C($scavenges-<id>) stream until its C($scavengeCompleted)
    event, then reports the result, the time taken and the space saved.
  - Scavenging works per node. Run it on one node at a time, followers first, so that the cluster keeps
    its quorum and its leader's disk stays quiet.
  - First reads the node's C(/gossip) and refuses to start unless the node is Leader, Follower or
    ReadOnlyReplica beside exactly one alive Leader.
  - Needs a user in C($admins) or C($ops) (O(url_username), O(url_password)) on a secure node.
author:
  - esdb.cluster maintainers (@esdb)
extends_documentation_fragment:
  - esdb.cluster.connection
attributes:
  check_mode:
    support: full
    description: Checks readiness and that the credentials may read scavenge results, and starts nothing.
  diff_mode:
    support: none
    description: A scavenge has no before and after to show.
  action_group:
    support: full
    membership:
      - esdb.cluster.eventstore
    description: Use C(group/esdb.cluster.eventstore) in O(ignore:module_defaults).
options:
  node:
    description:
      - The node to scavenge, as C(host), C(host:port) or C(https://host:port). The port defaults to 2113.
    type: str
    required: true
  start_from_chunk:
    description:
      - Chunk number to start from (22.10's C(startFromChunk)).
    type: int
    default: 0
  threads:
    description:
      - Threads the node scavenges with (22.10's C(threads)).
    type: int
    default: 1
  wait:
    description:
      - Wait for the scavenge to complete, and fail unless its result is C(Success).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the result when O(wait=true).
    type: float
    default: 3600
  interval:
    description:
      - Seconds between reads of the scavenge's progress.
    type: float
    default: 5
'''

EXAMPLES = r'''
- name: Scavenge each node in turn, followers first
  esdb.cluster.scavenge:
    node: "{{ item }}"
    ca_path: /etc/eventstore/certs/ca/ca.crt
    url_username: ops
    url_password: "{{ vault_ops_password }}"
    wait_timeout: 7200
  loop: "{{ followers + [leader] }}"
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
changed:
  description: Whether a scavenge was started.
  returned: always
  type: bool
scavenge_id:
  description: The id 22.10 gave the scavenge, or V(null) in check mode.
  returned: always
  type: str
  sample: 0b3e5d2c-7f5e-4a4d-9a57-2d1f4f0e6a11
result:
  description: C(Success), C(Stopped) or C(Failed); V(null) when not waited for.
  returned: always
  type: str
time_taken:
  description: The node's own measure of the scavenge, as 22.10 writes it (C(hh:mm:ss.fffffff)).
  returned: always
  type: str
space_saved:
  description: Bytes the scavenge freed, as the node reports it.
  returned: always
  type: int
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.esdb.cluster.plugins.module_utils.gossip_client import describe_failure, fetch_one
from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import (
    CONNECTION_ARGUMENT_SPEC,
    CONNECTION_REQUIRED_BY,
    CONNECTION_REQUIRED_TOGETHER,
    NodeAddressError,
    open_url_options,
    parse_node_address,
)
from ansible_collections.esdb.cluster.plugins.module_utils.scavenge import (
    ATOM_JSON,
    ScavengeError,
    check_parameters,
    describe_start_status,
    describe_status_code,
    outcome_problem,
    parse_progress,
    parse_started,
    readiness_problem,
    start_path,
    status_path,
)

PROBE_ID = '00000000-0000-0000-0000-000000000000'


def argument_spec():
    spec = dict(
        node=dict(type='str', required=True),
        start_from_chunk=dict(type='int', default=0),
        threads=dict(type='int', default=1),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='float', default=3600.0),
        interval=dict(type='float', default=5.0),
    )
    spec.update(CONNECTION_ARGUMENT_SPEC)
    return spec


def call(endpoint, method, path, options, accept=None):
    """(status, reason, body) for any HTTP answer; ScavengeError with a sentence when there is none."""
    options = dict(options)
    if accept:
        options['headers'] = dict(options.get('headers') or {}, Accept=accept)
    try:
        response = open_url(endpoint.url(path), method=method, data=b'' if method == 'POST' else None, **options)
        try:
            return response.getcode(), getattr(response, 'reason', ''), response.read()
        finally:
            response.close()
    except Exception as exc:  # pylint: disable=broad-except
        code = getattr(exc, 'code', None)
        if isinstance(code, int):
            return code, getattr(exc, 'reason', ''), exc.read() if hasattr(exc, 'read') else b''
        raise ScavengeError(describe_failure(endpoint, exc, options.get('timeout', 5.0)))


def progress(endpoint, scavenge_id, options):
    status, _reason, body = call(endpoint, 'GET', status_path(scavenge_id), options, ATOM_JSON)
    if status == 404:
        # Not written yet: the scavenger's events reach the stream through the leader.
        return {'completed': False}
    if status != 200:
        raise ScavengeError(describe_status_code(endpoint.label, scavenge_id, status))
    return parse_progress(body)


def run(module, endpoint, options):
    params = module.params
    gossip, failure = fetch_one(endpoint, options)
    if failure:
        raise ScavengeError(failure)
    problem = readiness_problem(gossip, endpoint.label)
    if problem:
        raise ScavengeError(problem)
    result = dict(changed=False, scavenge_id=None, result=None, time_taken=None, space_saved=None)
    if module.check_mode:
        # Reading a scavenge that does not exist proves the credentials without starting anything.
        status, _reason, _body = call(endpoint, 'GET', status_path(PROBE_ID), options, ATOM_JSON)
        if status not in (200, 404):
            raise ScavengeError(describe_status_code(endpoint.label, PROBE_ID, status))
        result['changed'] = True
        return result
    status, reason, body = call(endpoint, 'POST', start_path(params['start_from_chunk'], params['threads']), options)
    if status != 200:
        raise ScavengeError(describe_start_status(endpoint.label, status, reason))
    result.update(changed=True, scavenge_id=parse_started(body, endpoint.label))
    if not params['wait']:
        return result
    try:
        state = follow(endpoint, result['scavenge_id'], options, params)
    except ScavengeError as exc:
        module.fail_json(msg=str(exc), **result)
    result.update(result=state['result'], time_taken=state['time_taken'], space_saved=state['space_saved'])
    problem = outcome_problem(state, endpoint.label)
    if problem:
        module.fail_json(msg=problem, **result)
    return result


def follow(endpoint, scavenge_id, options, params):
    """Read the progress until $scavengeCompleted, or fail after wait_timeout."""
    deadline = time.monotonic() + params['wait_timeout']
    while True:
        state = progress(endpoint, scavenge_id, options)
        if state['completed']:
            return state
        if time.monotonic() >= deadline:
            raise ScavengeError('the scavenge %s on %s did not complete within %ss; it goes on on the node '
                                '(stop it with DELETE /admin/scavenge/%s) or wait longer with wait_timeout'
                                % (scavenge_id, endpoint.label, params['wait_timeout'], scavenge_id))
        time.sleep(params['interval'])


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=CONNECTION_REQUIRED_TOGETHER,
        required_by=CONNECTION_REQUIRED_BY,
        supports_check_mode=True,
    )
    params = module.params
    problem = check_parameters(params['start_from_chunk'], params['threads'])
    if problem is None and (params['wait_timeout'] < 0 or params['interval'] <= 0):
        problem = ('wait_timeout is %s and interval %s; give wait_timeout >= 0 and interval > 0'
                   % (params['wait_timeout'], params['interval']))
    try:
        endpoint = parse_node_address(params['node'], params['scheme'])
    except NodeAddressError as exc:
        problem = problem or str(exc)
    if problem:
        module.fail_json(msg=problem, changed=False)
    try:
        result = run(module, endpoint, open_url_options(params))
    except ScavengeError as exc:
        module.fail_json(msg=str(exc), changed=False)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
