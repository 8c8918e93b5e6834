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
  - First reads C(/gossip) from every node in O(nodes) and starts nothing unless the cluster is ready, as
    M(esdb.cluster.cluster_status) judges it (one agreed Leader, every voting member alive as Leader or Follower,
    every given node answering); the failure names the status and the problems found.
  - Also refuses unless O(node) itself is Leader, Follower or ReadOnlyReplica beside exactly one alive Leader.
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
      - The node to scavenge, written as in O(nodes) (C(host), C(host:port) or C(https://host:port)); it must be
        one of them, matched by host and port.
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
      - Seconds to wait for the result when O(wait=true); 0 reads the progress once.
      - The progress is read every O(interval) seconds.
      - 0 or more and at most 86400.
    type: float
    default: 3600
'''

EXAMPLES = r'''
- name: Scavenge each node in turn, followers first
  esdb.cluster.scavenge:
    nodes: "{{ followers + [leader] }}"
    node: "{{ item }}"
    ca_path: /etc/eventstore/certs/ca/ca.crt
    url_username: ops
    url_password: "{{ vault_ops_password }}"
    wait_timeout: 7200
    interval: 10
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
status:
  description:
    - The cluster status read before starting, as M(esdb.cluster.cluster_status) reports it (V(ready),
      V(degraded), V(unavailable), V(split_brain) or V(unreachable)).
  returned: once the options are accepted
  type: str
  sample: ready
problems:
  description: Sentences naming each node or member that was not as it should be before starting.
  returned: once the options are accepted
  type: list
  elements: str
  sample: []
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import evaluate
from ansible_collections.esdb.cluster.plugins.module_utils.connection_options import (
    REQUIRED_BY,
    REQUIRED_TOGETHER,
    check_connection,
    connection_argument_spec,
    listed_node,
)
from ansible_collections.esdb.cluster.plugins.module_utils.gossip_client import describe_failure, fetch_all
from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import (
    embedded_passwords,
    open_url_options,
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
    return connection_argument_spec(
        node=dict(type='str', required=True),
        start_from_chunk=dict(type='int', default=0),
        threads=dict(type='int', default=1),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='float', default=3600.0),
    )


def parsed_targets(params):
    """(endpoints, the endpoint of node or None, errors): one sentence per value that cannot work."""
    endpoints, errors = check_connection(params, wait_why=' (0 reads the progress once)')
    problem = check_parameters(params['start_from_chunk'], params['threads'])
    if problem:
        errors.append(problem)
    target, problem = listed_node(params, endpoints)
    if problem:
        errors.append(problem)
    return endpoints, target, errors


def cluster_problem(verdict, label):
    """None when the cluster is ready, else the sentence that refuses to scavenge it."""
    if verdict['passed']:
        return None
    return ('the cluster is %s, not ready, so no scavenge was started on %s: %s Scavenge once '
            'esdb.cluster.cluster_status reports it ready.'
            % (verdict['status'], label, ' '.join(verdict['problems']) or 'no problem named.'))


def call(endpoint, method, path, options, accept=None):
    """(status, reason, body) for any HTTP answer; ScavengeError with a sentence when there is none."""
    options = dict(options)
    if accept:
        options['headers'] = dict(options.get('headers') or {}, Accept=accept)
    try:
        response = open_url(endpoint.url(path), method=method, data=b'' if method == 'POST' else None, **options)
        try:
            status = getattr(response, 'status', None) or response.getcode()
            return status, getattr(response, 'reason', ''), response.read()
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


def run(module, endpoints, endpoint, options):
    params = module.params
    answers = fetch_all(endpoints, options)
    verdict = evaluate(answers, params['expected_size'] or len(endpoints), 'ready')
    result = dict(changed=False, scavenge_id=None, result=None, time_taken=None, space_saved=None,
                  status=verdict['status'], problems=verdict['problems'])
    problem = cluster_problem(verdict, endpoint.label)
    if not problem:
        answer = [a for a in answers if a['node'] == endpoint.label][0]
        problem = readiness_problem(answer['gossip'], endpoint.label)
    if problem:
        module.fail_json(msg=problem, **result)
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
        required_together=REQUIRED_TOGETHER,
        required_by=REQUIRED_BY,
        supports_check_mode=True,
    )
    params = module.params
    module.no_log_values.update(embedded_passwords(params['nodes'] + [params['node']]))
    endpoints, endpoint, errors = parsed_targets(params)
    if errors:
        module.fail_json(msg='; '.join(errors), changed=False)
    try:
        result = run(module, endpoints, endpoint, open_url_options(params))
    except ScavengeError as exc:
        module.fail_json(msg=str(exc), changed=False)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
