#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: account_password
short_description: Set an EventStoreDB account's password once, through the cluster
version_added: 0.2.0
description:
  - Probes O(account) with O(password) on every node. When every node accepts it, nothing changes.
  - Otherwise resets the password once, on the agreed Leader (C(POST /users/<account>/command/reset-password)),
    logging in as O(url_username) with O(url_password), then each of O(login_fallbacks) in turn, and waits
    until every node accepts the new password.
  - In EventStoreDB 22.10 accounts are data written by the Leader that replicate to every node, so one
    reset is enough and a reset per node would fail once the first one replicated.
author:
  - esdb.cluster maintainers (@esdb)
extends_documentation_fragment:
  - esdb.cluster.connection
attributes:
  check_mode:
    support: full
    description: Check mode probes and reports whether the password would change, and changes nothing.
  diff_mode:
    support: none
    description: Passwords are never shown.
  action_group:
    support: full
    membership:
      - esdb.cluster.eventstore
    description: Use C(group/esdb.cluster.eventstore) in O(ignore:module_defaults).
options:
  account:
    description:
      - The account whose password is set. It must be allowed to read C(/info/options), which
        C(admin) and C(ops) are.
    type: str
    required: true
  password:
    description: The password O(account) must have.
    type: str
    required: true
  login_fallbacks:
    description:
      - Passwords to try for O(url_username) when O(url_password) is refused, for example the default
        C(changeit) on a new cluster.
    type: list
    elements: str
    default: []
  wait_timeout:
    description:
      - Seconds to wait, after the reset, until every node accepts the new password.
      - V(0) checks once. At most 86400.
    type: float
    default: 60
notes:
  - Needs O(url_username) and O(url_password), the account that makes the change (C(admin), or another
    member of C($admins)).
  - Passwords are never returned or logged.
'''

EXAMPLES = r'''
- name: The admin account has its own password
  esdb.cluster.account_password:
    nodes: [10.0.1.11, 10.0.1.12, 10.0.1.13]
    ca_path: /etc/eventstore/certs/ca/ca.crt
    account: admin
    password: "{{ vault_admin_password }}"
    url_username: admin
    url_password: "{{ vault_admin_password }}"
    login_fallbacks: [changeit]
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
changed:
  description: Whether the password was reset.
  returned: always
  type: bool
reset_on:
  description: The node (the Leader) that took the reset, or V(null) when nothing changed.
  returned: always
  type: str
  sample: 10.0.1.11:2113
refusing:
  description: Nodes that refused the password before the change.
  returned: always
  type: list
  elements: str
iterations:
  description: Probes after the reset until every node accepted.
  returned: always
  type: int
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.esdb.cluster.plugins.module_utils.account_password import (
    PasswordError,
    probe_all,
    reset,
    verdict,
)
from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import evaluate
from ansible_collections.esdb.cluster.plugins.module_utils.gossip_client import fetch_all
from ansible_collections.esdb.cluster.plugins.module_utils.connection_options import (
    REQUIRED_BY,
    REQUIRED_TOGETHER,
    check_connection,
    connection_argument_spec,
)
from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import (
    embedded_passwords,
    open_url_options,
)
from ansible_collections.esdb.cluster.plugins.module_utils.readiness_poll import poll_until_passed


def argument_spec():
    return connection_argument_spec(
        account=dict(type='str', required=True),
        password=dict(type='str', required=True, no_log=True),
        login_fallbacks=dict(type='list', elements='str', default=[], no_log=True),
        wait_timeout=dict(type='float', default=60.0),
    )


def change(module, endpoints, options):
    """Probe, reset once on the Leader, wait for every node; returns the result or raises PasswordError."""
    params = module.params
    accepted, refusing, errors = verdict(probe_all(endpoints, params['account'], params['password'], options))
    if errors:
        raise PasswordError(' '.join(errors))
    result = dict(changed=False, reset_on=None, refusing=refusing, iterations=0)
    if accepted:
        return dict(result, msg='Every node accepts the password of %s.' % params['account'])
    if module.check_mode:
        return dict(result, changed=True, msg='The password of %s would be reset.' % params['account'])
    leader = evaluate(fetch_all(endpoints, options), params['expected_size'] or len(endpoints), 'leader')
    target = [e for e in endpoints if e.label == leader['leader_node']]
    if not target:
        raise PasswordError('No agreed Leader answered, and 22.10 writes accounts through the Leader: %s'
                            % ' '.join(leader['problems'] or ['wait until the cluster is ready.']))
    logins = [params['url_password']] + params['login_fallbacks']
    reset(target[0], params['account'], params['password'], params['url_username'], logins, options)

    def check():
        done, still, problems = verdict(probe_all(endpoints, params['account'], params['password'], options))
        return dict(passed=done, still=still, problems=problems)

    last, iterations, elapsed = poll_until_passed(check, params['wait_timeout'], params['interval'])
    if not last['passed']:
        raise PasswordError('%s took the new password of %s, but after %.0f s %s still refuse it: %s' % (
            target[0].label, params['account'], elapsed, ', '.join(last['still']) or 'some nodes',
            ' '.join(last['problems']) or 'replication has not reached them.'))
    return dict(result, changed=True, reset_on=target[0].label, iterations=iterations,
                msg='The password of %s was reset on the Leader %s and every node accepts it.'
                    % (params['account'], target[0].label))


def main():
    module = AnsibleModule(argument_spec=argument_spec(), required_by=REQUIRED_BY,
                           required_together=REQUIRED_TOGETHER, supports_check_mode=True)
    params = module.params
    module.no_log_values.update(embedded_passwords(params['nodes']))
    endpoints, errors = check_connection(params, wait_may_be_zero=True, wait_why=' (0 checks once)')
    if not params['url_username']:
        errors.insert(0, 'url_username and url_password are required: the account (admin) that makes the change')
    if errors:
        module.fail_json(msg='; '.join(errors), changed=False)
    try:
        module.exit_json(**change(module, endpoints, open_url_options(params)))
    except PasswordError as exc:
        module.fail_json(msg=str(exc), changed=False)


if __name__ == '__main__':
    main()
