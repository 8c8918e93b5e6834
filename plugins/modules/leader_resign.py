#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: leader_resign
short_description: Hand EventStoreDB cluster leadership over to another node
version_added: 0.1.0
description:
  - Reads C(GET /gossip) from every given EventStoreDB 22.10 node, asks the agreed Leader to resign with
    C(POST /admin/node/resign), then waits until another node leads the cluster with a quorum alive.
  - The request goes to the given node that answered as the Leader, recognised by its own gossip entry,
    so it holds when nodes advertise another address than the one used to reach them.
  - Refuses, posting nothing, when there is no single agreed Leader, when the Leader did not answer, when
    no other voting member is alive as Follower to take over (a one-node cluster, or the others down),
    or when fewer than a quorum of voting members are alive.
  - With O(node), resigns only if that node is the Leader; when another node leads, changes nothing.
    Without it every run hands leadership over again, so give O(node) where a task may run twice.
author:
  - esdb.cluster maintainers (@esdb)
extends_documentation_fragment:
  - esdb.cluster.connection
attributes:
  check_mode:
    support: full
    description: Reads the cluster and reports whether the Leader would be asked to resign; posts nothing.
  diff_mode:
    support: none
    description: Leadership is not a file or setting, so there is nothing to diff.
  action_group:
    support: full
    membership:
      - esdb.cluster.eventstore
    description: Use C(group/esdb.cluster.eventstore) in O(ignore:module_defaults).
options:
  node:
    description:
      - Resign only if this node is the Leader, for example before restarting it.
      - When another node leads, nothing is changed and RV(msg) says so.
      - Written as in O(nodes) (C(host), C(host:port) or C(https://host:port)); it must be one of them,
        matched by host and port.
    type: str
  wait_timeout:
    description:
      - Seconds to wait, after the Leader accepted, for another node to lead with a quorum alive.
      - More than 0 and at most 86400.
    type: float
    default: 60
notes:
  - The Leader must be one of O(nodes), since the request is sent to the node that answered as the Leader.
  - C(POST /admin/node/resign) needs a user in C($admins) or C($ops) unless the nodes run with
    C(Insecure=true); give it with O(url_username) and O(url_password). EventStoreDB 22.10 answers
    C(401) otherwise (C(src/EventStore.Core/Services/Transport/Http/Controllers/AdminController.cs),
    C(OnResignNode), l.287-296).
  - The admin endpoints exist only while C(DisableAdminUi) is false; with it set the node answers C(404)
    (C(src/EventStore.Core/ClusterVNode.cs) l.1087-1088).
  - Only the Leader acts on a resignation; any other node answers C(200) and ignores it, which is why the
    module sends the request to the Leader only (C(src/EventStore.Core/Services/ElectionsService.cs) l.175-190).
  - The Leader steps down once C(ClusterSize/2+1) nodes, itself included, acknowledged, and the following
    election skips it, so another node leads (C(ElectionsService.cs) l.206-220 and l.534).
  - Usually run on the controller, with C(delegate_to=localhost) and C(run_once=true) on the task.
  - Only needs Python on the host that runs it; HTTP goes through Ansible's own URL library.
seealso:
  - module: esdb.cluster.cluster_status
  - name: EventStoreDB 22.10 cluster documentation
    description: How elections and quorum work.
    link: https://developers.eventstore.com/server/v22.10/cluster.html
'''

EXAMPLES = r'''
- name: Leadership moves off the node about to restart
  esdb.cluster.leader_resign:
    nodes: "{{ groups['eventstore'] | map('extract', hostvars, 'private_ip_address') | list }}"
    node: "{{ private_ip_address }}"
    ca_path: /etc/eventstore/certs/ca/ca.crt
    url_username: admin
    url_password: "{{ eventstore_admin_password }}"
  delegate_to: localhost

- name: Another node leads the test cluster
  esdb.cluster.leader_resign:
    nodes: [127.0.0.1:2113, 127.0.0.2:2113, 127.0.0.3:2113]
    scheme: http
    wait_timeout: 30
    interval: 0.5
  register: esdb_handover

- name: Show who leads now
  ansible.builtin.debug:
    msg: "{{ esdb_handover.previous_leader.node }} handed over to {{ esdb_handover.leader_node }}"
'''

RETURN = r'''
msg:
  description: What was done, or would be done in check mode, and why.
  returned: always
  type: str
  sample: Leadership moved from member 10.0.1.11:2113 (3f2a1b2c) to member 10.0.1.12:2113 (5b6c7d8e) in 2.4 s.
previous_leader:
  description:
    - The Leader found before anything was done, with C(node), the entry of O(nodes) that answered as it
      (as C(host:port)), or V(null) when there was no agreed Leader.
  returned: always
  type: dict
  sample: {instance_id: 3f2a1b2c-9d4e-4f60-8a71-b2c3d4e5f601, host: 10.0.1.11, port: 2113, node: "10.0.1.11:2113"}
leader:
  description:
    - The agreed Leader at the end, with the keys of M(esdb.cluster.cluster_status)'s C(leader).
    - The new Leader after a handover; the same member as RV(previous_leader) when nothing was changed or in check mode.
  returned: always
  type: dict
  sample: {instance_id: 5b6c7d8e-1f20-4a31-9b42-c3d4e5f60712, host: 10.0.1.12, port: 2113}
leader_node:
  description: The entry of O(nodes) that answered as RV(leader), or V(null) when it did not answer.
  returned: always
  type: str
  sample: 10.0.1.12:2113
status:
  description:
    - The cluster status at the end, as M(esdb.cluster.cluster_status) reports it (V(ready), V(degraded),
      V(unavailable), V(split_brain) or V(unreachable)).
  returned: always
  type: str
  sample: ready
problems:
  description: Sentences naming each node or member that is not as it should be at the end.
  returned: always
  type: list
  elements: str
  sample: []
report_lines:
  description: A short text table of the members at the end, for M(ansible.builtin.debug).
  returned: always
  type: list
  elements: str
  sample:
    - "ready: leader 10.0.1.12:2113, 3/3 voters alive (quorum 2), 0 unreachable"
iterations:
  description: How many times the cluster was read, the first read before the request included.
  returned: always
  type: int
  sample: 4
elapsed:
  description: Seconds from the first read to the end.
  returned: always
  type: float
  sample: 2.41
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.esdb.cluster.plugins.module_utils import admin_client
from ansible_collections.esdb.cluster.plugins.module_utils.cluster_report import report_lines
from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import evaluate
from ansible_collections.esdb.cluster.plugins.module_utils.gossip_client import fetch_all
from ansible_collections.esdb.cluster.plugins.module_utils.leader_handover import (
    KEEP,
    REFUSE,
    handover_done,
    plan,
    previous_leader,
    success_message,
    wait_failure_message,
)
from ansible_collections.esdb.cluster.plugins.module_utils.connection_options import (
    REQUIRED_BY,
    REQUIRED_TOGETHER,
    check_connection,
    connection_argument_spec,
    listed_node,
)
from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import (
    embedded_passwords,
    open_url_options,
)
from ansible_collections.esdb.cluster.plugins.module_utils.readiness_poll import poll_until_passed


def argument_spec():
    return connection_argument_spec(
        node=dict(type='str'),
        wait_timeout=dict(type='float', default=60.0),
    )


def parsed_targets(params):
    """(endpoints, label of node or None, errors)."""
    endpoints, errors = check_connection(
        params, wait_may_be_zero=False, wait_why='; an election after a resignation takes a few seconds')
    label = None
    if params['node'] is not None:
        target, problem = listed_node(params, endpoints)
        label = target.label if target else None
        if problem:
            errors.append(problem)
    return endpoints, label, errors


def outcome(verdict, previous, changed, iterations, started, msg):
    return dict(
        changed=changed,
        msg=msg,
        previous_leader=previous,
        leader=verdict['leader'],
        leader_node=verdict['leader_node'],
        status=verdict['status'],
        problems=verdict['problems'],
        report_lines=report_lines(verdict),
        iterations=iterations,
        elapsed=round(time.monotonic() - started, 3),
    )


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=REQUIRED_TOGETHER,
        required_by=REQUIRED_BY,
        supports_check_mode=True,
    )
    params = module.params
    module.no_log_values.update(embedded_passwords(params['nodes'] + [params['node'] or '']))
    endpoints, node_label, errors = parsed_targets(params)
    if errors:
        module.fail_json(msg='; '.join(errors), changed=False)

    started = time.monotonic()
    expected_size = params['expected_size'] or len(endpoints)
    options = open_url_options(params)

    def read():
        return evaluate(fetch_all(endpoints, options), expected_size, 'none')

    before = read()
    previous = previous_leader(before)
    decision = plan(before, node_label)
    if decision['action'] == REFUSE:
        module.fail_json(**outcome(before, previous, False, 1, started, decision['msg']))
    if decision['action'] == KEEP:
        module.exit_json(**outcome(before, previous, False, 1, started, decision['msg']))
    if module.check_mode:
        module.exit_json(**outcome(before, previous, True, 1, started,
                                   'Would ask %s to resign: %s' % (decision['post_to'], decision['msg'])))

    target = [e for e in endpoints if e.label == decision['post_to']][0]
    try:
        admin_client.post_admin(target, admin_client.RESIGN_PATH, options)
    except admin_client.AdminCallError as exc:
        module.fail_json(**outcome(before, previous, False, 1, started, str(exc)))

    def handed_over():
        verdict = read()
        verdict['passed'] = handover_done(verdict, previous['instance_id'])
        return verdict

    after, iterations, _elapsed = poll_until_passed(handed_over, params['wait_timeout'], params['interval'])
    if not after['passed']:
        module.fail_json(**outcome(after, previous, True, iterations + 1, started,
                                   wait_failure_message(previous, after, params['wait_timeout'])))
    result = outcome(after, previous, True, iterations + 1, started, '')
    result['msg'] = success_message(previous, after, result['elapsed'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
