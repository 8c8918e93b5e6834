#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_status
short_description: Check that an EventStoreDB cluster is ready, or say exactly why not
version_added: 0.1.0
description:
  - Reads C(GET /gossip) from every given EventStoreDB 22.10 node in parallel and judges the cluster
    from all their views together.
  - Ready means exactly one alive Leader that every answering node agrees on, and every expected
    voting member alive as Leader or Follower.
  - Split brain (more than one alive Leader, or nodes naming different leaders) is reported as
    RV(status=split_brain) and is never ready.
  - Read-only replicas and clones are counted separately and never as voters. Seed placeholder
    members (all-zero instanceId) are ignored. A member seen by several nodes counts once; the
    newest C(timeStamp) wins.
  - With O(wait_timeout), polls until the validation passes, returning as soon as it does.
  - Changes nothing.
author:
  - esdb.cluster maintainers (@esdb)
extends_documentation_fragment:
  - esdb.cluster.connection
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode runs the same check.
  diff_mode:
    support: none
    description: The module changes nothing, so there is nothing to diff.
  action_group:
    support: full
    membership:
      - esdb.cluster.eventstore
    description: Use C(group/esdb.cluster.eventstore) in O(ignore:module_defaults).
options:
  validate:
    description:
      - What must hold for the module to succeed.
      - V(ready) requires every expected voting member alive as Leader or Follower, every given node
        answering, exactly one Leader and all answering nodes agreeing on it.
      - V(quorum) requires one agreed Leader and at least C(expected_size / 2 + 1) voting members alive.
      - V(leader) requires one agreed Leader.
      - V(none) only reports and never fails.
    type: str
    choices: [ready, quorum, leader, none]
    default: ready
  wait_timeout:
    description:
      - Seconds to keep checking until the validation passes. V(0) checks once. At most 86400.
    type: float
    default: 0
  members:
    description:
      - Entries of O(nodes) that must also be back in the cluster before the module succeeds, for
        example a node that was just restarted and every other running member.
      - Back means a node's own gossip entry says Follower (ReadOnlyReplica for a read-only replica, Leader
        when it is the agreed Leader); a quorum of the other members lists that same instance in that
        state; it is in the Leader's epoch; and its writer checkpoint is within O(max_lag) bytes of the
        Leader's. A node that merely answers, or is still PreReplica or CatchingUp, is not back.
    type: list
    elements: str
  max_lag:
    description:
      - With O(members), how many bytes each one's writer checkpoint may be behind the Leader's.
      - Both come from each node's own entry, read in the same round.
    type: int
    default: 1048576
  max_clock_skew:
    description:
      - Seconds the members' clocks may be apart; when set, the module fails while two members' clocks
        are certainly further apart than this, naming them.
      - The skew is read from the C(timeStamp) each node writes into its own gossip entry with its own
        clock, taken against the time of the request and of its reply. A node restamps its entry on each
        gossip round (every C(GossipIntervalMs), 2 s by default), so each reading is uncertain by half
        the round trip plus half a gossip interval; the module fails only when the skew less that
        uncertainty is larger than this, that is when the clocks are apart by more than this plus about
        2 s (one gossip interval) and the round trips.
      - Not checked when fewer than two nodes answered with their own entry.
      - EventStoreDB 22.10 itself only logs an error past C(GossipAllowedDifferenceMs) (60 s by default).
    type: float
notes:
  - C(GET /gossip) is anonymous in EventStoreDB 22.10, so credentials are rarely needed.
  - Usually run on the controller, with C(delegate_to=localhost) and C(run_once=true) on the task.
  - Only needs Python on the host that runs it; HTTP goes through Ansible's own URL library.
seealso:
  - name: EventStoreDB 22.10 cluster documentation
    description: How gossip, elections and quorum work.
    link: https://developers.eventstore.com/server/v22.10/cluster.html
'''

EXAMPLES = r'''
- name: EventStoreDB cluster is ready
  esdb.cluster.cluster_status:
    nodes: "{{ groups['eventstore'] | map('extract', hostvars, 'private_ip_address') | list }}"
    ca_path: /etc/eventstore/certs/ca/ca.crt
    wait_timeout: 120
  delegate_to: localhost
  run_once: true

- name: A quorum holds while one node is being replaced
  esdb.cluster.cluster_status:
    nodes: [10.0.1.11, 10.0.1.12:2113, "https://10.0.1.13:2113"]
    expected_size: 3
    validate: quorum
    wait_timeout: 60
    interval: 2
  delegate_to: localhost

- name: Read the cluster state without failing
  esdb.cluster.cluster_status:
    nodes: [127.0.0.1:2113]
    scheme: http
    validate: none
  register: esdb_cluster

- name: Show the cluster as a table
  ansible.builtin.debug:
    var: esdb_cluster.report_lines
'''

RETURN = r'''
passed:
  description:
    - Whether O(validate) (and O(members), when given) passed. Useful with C(failed_when=false) to
      decide in a later task.
  returned: always
  type: bool
ready:
  description: Whether the cluster is ready (RV(status=ready)).
  returned: always
  type: bool
  sample: true
status:
  description:
    - V(ready), V(degraded) (an agreed Leader and quorum, but not everything ready), V(unavailable)
      (no agreed Leader or no quorum), V(split_brain) or V(unreachable) (no node answered).
  returned: always
  type: str
  sample: ready
leader:
  description: The agreed Leader, or V(null) when there is none.
  returned: always
  type: dict
  sample: {instance_id: 3f2a1b2c-9d4e-4f60-8a71-b2c3d4e5f601, host: 10.0.1.11, port: 2113}
leader_node:
  description:
    - The entry of O(nodes) that answered as the Leader (as given, C(host:port)), or V(null) when
      the Leader did not answer or there is none.
    - Each node is recognised by its own gossip entry, the one at the C(serverIp)/C(serverPort) it
      reports, so this holds when nodes advertise another address (C(AdvertiseHostToClientAs),
      C(ExtHostAdvertiseAs)) than the one used to reach them.
  returned: always
  type: str
  sample: 10.0.1.11:2113
followers:
  description: Alive voting members in state Follower, each with RV(leader)'s keys.
  returned: always
  type: list
  elements: dict
  sample: [{instance_id: 5b6c7d8e-1f20-4a31-9b42-c3d4e5f60712, host: 10.0.1.12, port: 2113}]
members:
  description:
    - Every real member seen in gossip, de-duplicated by instance id (newest timestamp wins),
      placeholders left out.
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: Member instanceId.
      type: str
      returned: always
    state:
      description: VNodeState name, for example V(Leader), V(Follower) or V(CatchingUp).
      type: str
      returned: always
    is_alive:
      description: Whether gossip considers the member alive.
      type: bool
      returned: always
    host:
      description: Advertised HTTP host (C(httpEndPointIp)).
      type: str
      returned: always
    port:
      description: Advertised HTTP port (C(httpEndPointPort)).
      type: int
      returned: always
    is_read_only_replica:
      description: Whether the member is a read-only replica, which never votes.
      type: bool
      returned: always
    epoch_number:
      description: Last epoch number the member knows.
      type: int
      returned: always
    writer_checkpoint:
      description: Writer checkpoint (log position).
      type: int
      returned: always
    node_priority:
      description: C(NodePriority), a tie-breaker in elections.
      type: int
      returned: always
    internal_tcp_port:
      description: Replication port; the secure one in TLS mode.
      type: int
      returned: always
    internal_tcp_tls:
      description: Whether replication uses TLS (C(internalSecureTcpPort) set).
      type: bool
      returned: always
    timestamp:
      description: Gossip C(timeStamp) of this entry, in UTC.
      type: str
      returned: always
voters_alive:
  description: Alive voting members (not read-only replicas, not clones).
  returned: always
  type: int
  sample: 3
quorum_size:
  description: Voting members needed for quorum, RV(expected_size) / 2 + 1.
  returned: always
  type: int
  sample: 2
expected_size:
  description: The voting size checked against.
  returned: always
  type: int
  sample: 3
read_only_replicas:
  description: Alive read-only replicas.
  returned: always
  type: int
  sample: 0
clones:
  description: Alive clone members (surplus nodes).
  returned: always
  type: int
  sample: 0
unreachable_nodes:
  description:
    - Nodes that gave no usable answer, with the reason.
    - Not named C(unreachable), which Ansible reserves to mark the host running the module as unreachable.
  returned: always
  type: list
  elements: dict
  sample: [{node: "10.0.1.13:2113", url: "https://10.0.1.13:2113/gossip",
            error: "10.0.1.13:2113: connection refused; is EventStoreDB running and listening on HTTP port 2113?"}]
problems:
  description: Sentences naming each node or member that is not as it should be, and why.
  returned: always
  type: list
  elements: str
  sample: ["member 10.0.1.13:2113 (9c8b7a6d) is CatchingUp, not Leader or Follower yet."]
report_lines:
  description: A short text table of the members, for M(ansible.builtin.debug).
  returned: always
  type: list
  elements: str
  sample:
    - "ready: leader 10.0.1.11:2113, 3/3 voters alive (quorum 2), 0 unreachable"
    - "STATE     ALIVE  ENDPOINT        INSTANCE  EPOCH  WRITER  PRIO  ROLE"
    - "Leader    yes    10.0.1.11:2113  3f2a1b2c  4      181234  0     voter"
report:
  description: RV(report_lines) joined with newlines.
  returned: always
  type: str
iterations:
  description: How many times the cluster was checked.
  returned: always
  type: int
  sample: 1
rejoin:
  description: With O(members), for each of them whether it is back, and why not.
  returned: when O(members) is set
  type: list
  elements: dict
  contains:
    node:
      description: The node, as C(host:port).
      type: str
    state:
      description: Its state in its own gossip entry, or V(null) before it answers.
      type: str
    instance_id:
      description: Its instance id (a restarted node has a new one).
      type: str
    seen_by:
      description: The other nodes whose gossip lists it alive in its wanted state.
      type: list
      elements: str
    lag:
      description: Bytes its writer checkpoint is behind the Leader's, when known.
      type: int
    rejoined:
      description: Whether it is back.
      type: bool
    problems:
      description: Why it is not back yet.
      type: list
      elements: str
  sample: [{node: 10.0.1.12:2113, state: Follower, instance_id: 5b6c7d8e-1f20-4a31-9b42-c3d4e5f60712,
            seen_by: [10.0.1.11:2113, 10.0.1.13:2113], lag: 0, rejoined: true, problems: []}]
max_clock_skew_s:
  description:
    - Estimated largest difference, in seconds, between two members' clocks, from the C(timeStamp) of
      each answering node's own gossip entry with half the request's round trip subtracted (see
      O(max_clock_skew) for how it is read and how uncertain it is).
    - V(null) when fewer than two nodes answered with their own entry.
  returned: always
  type: float
  sample: 0.004
clock_skew:
  description:
    - The two members behind RV(max_clock_skew_s), or V(null) when it is V(null).
  returned: always
  type: dict
  contains:
    nodes:
      description: The node whose clock is ahead, then the one behind, as C(host:port).
      type: list
      elements: str
    skew_s:
      description: Estimated seconds between their clocks.
      type: float
    at_least_s:
      description: The skew less its uncertainty; what O(max_clock_skew) is compared with.
      type: float
    at_most_s:
      description: The skew plus its uncertainty.
      type: float
  sample: {nodes: [10.0.1.12:2113, 10.0.1.11:2113], skew_s: 0.004, at_least_s: 0.0, at_most_s: 2.01}
clock_offsets:
  description:
    - For each node that answered with its own entry, how far its clock is ahead of the clock of the
      host running the module (negative when behind), and how uncertain that is, in seconds.
  returned: always
  type: list
  elements: dict
  sample: [{node: 10.0.1.11:2113, offset_s: -0.002, uncertainty_s: 1.003}]
elapsed:
  description: Seconds spent checking.
  returned: always
  type: float
  sample: 0.02
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.esdb.cluster.plugins.module_utils.clock_skew import clock_report
from ansible_collections.esdb.cluster.plugins.module_utils.cluster_report import report_lines
from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import VALIDATIONS, evaluate
from ansible_collections.esdb.cluster.plugins.module_utils.gossip_client import fetch_all
from ansible_collections.esdb.cluster.plugins.module_utils.member_rejoin import rejoin
from ansible_collections.esdb.cluster.plugins.module_utils.connection_options import (
    REQUIRED_BY,
    REQUIRED_TOGETHER,
    check_connection,
    connection_argument_spec,
    seconds_problem,
)
from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import (
    NodeAddressError,
    embedded_passwords,
    open_url_options,
    parse_node_address,
)
from ansible_collections.esdb.cluster.plugins.module_utils.readiness_poll import poll_until_passed


def argument_spec():
    return connection_argument_spec(
        validate=dict(type='str', default='ready', choices=list(VALIDATIONS)),
        wait_timeout=dict(type='float', default=0.0),
        members=dict(type='list', elements='str'),
        max_lag=dict(type='int', default=1048576),
        max_clock_skew=dict(type='float'),
    )


def option_errors(params):
    """(endpoints, sentences for option values that cannot work, each naming the value and the fix)."""
    endpoints, errors = check_connection(params, wait_may_be_zero=True, wait_why=' (0 checks once)')
    if params['max_clock_skew'] is not None:
        errors.insert(0, seconds_problem('max_clock_skew', params['max_clock_skew'], True))
    if params['max_lag'] < 0:
        errors.insert(0, 'max_lag %d must be 0 or more bytes' % params['max_lag'])
    return endpoints, [error for error in errors if error]


def member_label(given, endpoints, scheme):
    """The label of the endpoint that `given` names, or None when it is not one of them."""
    try:
        wanted = parse_node_address(given, scheme).label
    except NodeAddressError:
        return None
    return wanted if wanted in [e.label for e in endpoints] else None


def failure_message(result, validate):
    """One line: what is wrong, how long it was tried, and the first problem."""
    message = 'EventStoreDB cluster is %s, validate=%s not met after %d check(s) in %.1f s' % (
        result['status'], validate, result['iterations'], result['elapsed'])
    if result['problems']:
        message += ': ' + result['problems'][0]
        if len(result['problems']) > 1:
            message += ' (%d more problems in the result)' % (len(result['problems']) - 1)
    return message.replace('\n', ' ')


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=REQUIRED_TOGETHER,
        required_by=REQUIRED_BY,
        supports_check_mode=True,
    )
    params = module.params
    module.no_log_values.update(embedded_passwords(params['nodes'] + (params['members'] or [])))
    endpoints, errors = option_errors(params)
    if errors:
        module.fail_json(msg='; '.join(errors), changed=False)

    members = [member_label(given, endpoints, params['scheme']) for given in params['members'] or []]
    strangers = [given for given, label in zip(params['members'] or [], members) if label is None]
    if strangers:
        module.fail_json(msg='members %s are not among nodes (%s); give them as they appear there'
                         % (', '.join(strangers), ', '.join(e.label for e in endpoints)), changed=False)
    expected_size = params['expected_size'] or len(endpoints)
    options = open_url_options(params)

    def check():
        answers = fetch_all(endpoints, options)
        verdict = evaluate(answers, expected_size, params['validate'])
        if params['members'] is not None:
            verdict['rejoin'] = [rejoin(answers, label, verdict['leader'], expected_size, params['max_lag'])
                                 for label in members]
            verdict['problems'] = [p for r in verdict['rejoin'] for p in r['problems']] + verdict['problems']
            verdict['passed'] = verdict['passed'] and all(r['rejoined'] for r in verdict['rejoin'])
        clocks, too_far = clock_report(answers, params['max_clock_skew'])
        verdict.update(clocks)
        if too_far:
            verdict['problems'] = [too_far] + verdict['problems']
            verdict['passed'] = False
        return verdict

    verdict, iterations, elapsed = poll_until_passed(check, params['wait_timeout'], params['interval'])
    passed = verdict['passed']
    result = dict(verdict, changed=False, iterations=iterations, elapsed=round(elapsed, 3))
    result['report_lines'] = report_lines(result)
    result['report'] = '\n'.join(result['report_lines'])
    if not passed:
        module.fail_json(msg=failure_message(result, params['validate']), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
