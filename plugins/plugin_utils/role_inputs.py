# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every variable the eventstore role reads, checked once where it enters.

role_input_problems() takes the role's variables as one host sees them and returns one
sentence per unusable value, naming the host, the variable and the value. Booleans and
integers may arrive as text (-e gives strings); they are accepted only in forms that
Ansible's `bool` and `int` read the same way on every ansible-core version the collection
supports, so the tasks that read them with `| bool` / `| int` cannot disagree with preflight.
Secrets are never quoted back.
"""

from __future__ import annotations

import re

from ansible_collections.esdb.cluster.plugins.plugin_utils.cluster_layout import bad_extra_sans, extra_sans_sentence

BOOLEANS = ('eventstore_allow_even_cluster_size', 'eventstore_hold_package', 'eventstore_wait_for_cloud_init',
            'eventstore_insecure', 'eventstore_allow_default_passwords', 'eventstore_status_validate_certs',
            'eventstore_read_only_replica', 'eventstore_restart_force', 'eventstore_time_sync',
            'eventstore_allow_cluster_size_change', 'eventstore_scavenge_leader', 'eventstore_backup_keep_local')
_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')
_INT32 = 2147483647
# name: (smallest, largest, what the number counts)
INTEGERS = {
    'eventstore_http_port': (1, 65535, 'port'), 'eventstore_int_tcp_port': (1, 65535, 'port'),
    'eventstore_apt_lock_timeout': (0, _INT32, 'seconds'), 'eventstore_wait_timeout': (1, _INT32, 'seconds'),
    'eventstore_catch_up_max_lag': (0, 2 ** 62, 'bytes'), 'eventstore_limit_nofile': (1, 2 ** 30, 'files'),
    'eventstore_ca_valid_days': (1, 36500, 'days'), 'eventstore_cert_valid_days': (1, 36500, 'days'),
    'eventstore_cert_renew_days': (1, 36500, 'days'),
    'eventstore_gossip_interval_ms': (1, _INT32, 'milliseconds'),
    'eventstore_gossip_timeout_ms': (1, _INT32, 'milliseconds'),
    'eventstore_int_tcp_heartbeat_interval': (1, _INT32, 'milliseconds'),
    'eventstore_int_tcp_heartbeat_timeout': (1, _INT32, 'milliseconds'),
    'eventstore_max_clock_skew': (0, 86400, 'seconds'),
    # The limits 22.10 puts on POST /admin/scavenge (AdminController.cs), and the module's longest wait.
    'eventstore_scavenge_threads': (1, _INT32, 'threads'),
    'eventstore_scavenge_start_from_chunk': (0, _INT32, 'chunks'),
    'eventstore_scavenge_wait_timeout': (1, 86400, 'seconds'),
}
LISTS = ('eventstore_extra_sans', 'eventstore_restart_hosts', 'eventstore_time_sync_servers')
PASSWORDS = ('eventstore_admin_password', 'eventstore_ops_password')
# Free text that ends up in a file, a path or a command line: one line, no control characters.
TEXTS = ('eventstore_apt_repo_url', 'eventstore_apt_key_url', 'eventstore_apt_suite', 'eventstore_deb_file',
         'eventstore_pki_dir', 'eventstore_ca_cert', 'eventstore_ca_key', 'eventstore_ca_common_name',
         'eventstore_cert_common_name', 'eventstore_cert_dir', 'eventstore_node_cert_file',
         'eventstore_node_key_file', 'eventstore_node_ip', 'eventstore_restart_action', 'eventstore_backup_s3_bucket',
         'eventstore_backup_s3_prefix', 'eventstore_backup_s3_kms_key_id', 'eventstore_restore_from')
# Names that become directory names or group names: no separators, no '..'.
NAMES = ('eventstore_cluster_name', 'eventstore_group', 'eventstore_leaving_group')
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
_VERSION = re.compile(r'^[0-9]+\.[0-9]+\.[0-9]+([-+~][0-9A-Za-z.+~-]*)?$')
_OPTION_NAME = re.compile(r'^[A-Za-z][A-Za-z0-9]*$')
_DIRECTIVE = re.compile(r'^[A-Z][A-Za-z0-9]*$')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_TIME_SERVER = re.compile(r'^[A-Za-z0-9][A-Za-z0-9.:-]*$')
PROJECTIONS = ('None', 'System', 'All')
# eventstore.conf options the role derives, and the variable (or source) that sets each.
OWNED_OPTIONS = {
    'Insecure': 'eventstore_insecure', 'ClusterSize': 'the members of the inventory group',
    'DiscoverViaDns': 'the inventory group (the role always sets false)',
    'GossipSeed': 'the members of the inventory group', 'IntIp': 'eventstore_node_ip', 'ExtIp': 'eventstore_node_ip',
    'HttpPort': 'eventstore_http_port', 'IntTcpPort': 'eventstore_int_tcp_port',
    'ReadOnlyReplica': 'eventstore_read_only_replica', 'RunProjections': 'eventstore_run_projections',
    'GossipIntervalMs': 'eventstore_gossip_interval_ms', 'GossipTimeoutMs': 'eventstore_gossip_timeout_ms',
    'IntTcpHeartbeatInterval': 'eventstore_int_tcp_heartbeat_interval',
    'IntTcpHeartbeatTimeout': 'eventstore_int_tcp_heartbeat_timeout',
    'CertificateFile': 'eventstore_cert_dir', 'CertificatePrivateKeyFile': 'eventstore_cert_dir',
    'TrustedRootCertificatesPath': 'eventstore_cert_dir',
    'CertificateReservedNodeCommonName': 'eventstore_cert_common_name',
    'WhatIf': 'nothing (the role runs --what-if itself; in the file it stops the node from starting)',
    'Config': 'nothing (the role writes the one config file)',
}
# Options holding a secret: eventstore.conf content shows in --diff and in verbose output.
SECRET_OPTIONS = ('CertificatePassword', 'CertificatePrivateKeyPassword', 'DefaultAdminPassword',
                  'DefaultOpsPassword')
_SECRET_HINT = {'DefaultAdminPassword': 'eventstore_admin_password', 'DefaultOpsPassword': 'eventstore_ops_password'}
_PORT_OPTIONS = ('ExtTcpPort',)


def role_input_problems(values, host, known_hosts=()):
    """Sentences for every unusable value in `values` (variable name -> value) of `host`.

    Only the variables present are checked. `known_hosts` are the hosts eventstore_restart_hosts
    may name (the cluster group and the leaving group); empty skips that check.
    """
    problems = []
    said = 'Host %s: ' % host
    if _CONTROL.search(str(host)):
        problems.append('Host name %r contains a control character; rename the host in the inventory '
                        '(it is written into eventstore.conf and the certificate names).' % (host,))
    for name in BOOLEANS:
        if name in values and not is_boolean(values[name]):
            problems.append(said + '%s must be true or false, not %s.' % (name, shown(values[name])))
    numbers = {}
    for name, (low, high, unit) in INTEGERS.items():
        if name in values:
            numbers[name] = whole_number(values[name])
            if numbers[name] is None or not low <= numbers[name] <= high:
                kind = 'a port number' if unit == 'port' else 'a whole number of %s' % unit
                problems.append(said + '%s must be %s from %d to %d, not %s.'
                                % (name, kind, low, high, shown(values[name])))
                numbers[name] = None
    problems += [said + sentence for sentence in _relation_problems(numbers)]
    usable = []
    for name in LISTS:
        if name in values:
            listed = _list_problems(name, values[name])
            problems += [said + s for s in listed]
            usable += [] if listed else [name]
    if 'eventstore_extra_sans' in usable:
        bad = bad_extra_sans(values['eventstore_extra_sans'])
        if bad:
            problems.append(said + extra_sans_sentence(bad))
    if 'eventstore_time_sync_servers' in usable:
        problems += [said + s for s in time_server_problems(values['eventstore_time_sync_servers'])]
    if known_hosts and 'eventstore_restart_hosts' in usable:
        strangers = [str(h) for h in values['eventstore_restart_hosts'] if h not in known_hosts]
        if strangers:
            problems.append(said + 'eventstore_restart_hosts names %s, which %s not a member of the cluster; name '
                            'hosts of the inventory group.' % (', '.join(strangers), 'is' if len(strangers) == 1 else 'are'))
    for name in PASSWORDS:
        if name in values:
            problems += [said + s for s in _password_problems(name, values[name])]
    for name in TEXTS:
        if name in values:
            problems += [said + s for s in _text_problems(name, values[name])]
    for name in NAMES:
        if name in values and not (isinstance(values[name], str) and _NAME.match(values[name])
                                   and '..' not in values[name]):
            problems.append(said + "%s must be a name of letters, digits, '.', '_' and '-' (no '/', no '..'), not %s;"
                            ' it becomes a directory name.' % (name, shown(values[name])))
    if 'eventstore_version' in values:
        version = values['eventstore_version']
        if not (isinstance(version, str) and _VERSION.match(version)):
            why = ' (YAML reads an unquoted 22.10 as the number 22.1)' if isinstance(version, float) else ''
            problems.append(said + "eventstore_version must be the full package version as quoted text x.y.z, for "
                            "example '22.10.0', not %s%s." % (shown(version), why))
    # 22.10 reads the ProjectionType name in any letter case.
    if 'eventstore_run_projections' in values and str(values['eventstore_run_projections']).lower() not in [
            p.lower() for p in PROJECTIONS]:
        problems.append(said + 'eventstore_run_projections must be one of %s, not %s.'
                        % (', '.join(PROJECTIONS), shown(values['eventstore_run_projections'])))
    if 'eventstore_config' in values:
        problems += [said + s for s in config_problems(values['eventstore_config'], numbers)]
    if 'eventstore_systemd_service_extra' in values:
        problems += [said + s for s in dropin_problems(values['eventstore_systemd_service_extra'])]
    return problems


def time_server_problems(servers):
    """eventstore_time_sync_servers: each one a host name or IP, as a chrony `server` line takes it."""
    # A space would add chrony options to the line; an empty list would leave the clock without a source.
    if not servers:
        return ['eventstore_time_sync_servers is empty; list at least one NTP server, for example '
                "['169.254.169.123'] (the Amazon Time Sync Service)."]
    bad = [shown(server) for server in servers if not _TIME_SERVER.match(server)]
    if bad:
        return ['eventstore_time_sync_servers must list host names or IP addresses (no spaces or options); these '
                'are not: %s.' % ', '.join(bad)]
    return []


def is_boolean(value):
    # Ansible's `bool` compares the lowered text without stripping it, and reads any other text as false.
    if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
        return True
    return isinstance(value, str) and value.lower() in _TRUE + _FALSE


def whole_number(value):
    """The integer `value` stands for (int, or decimal digits as text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^\s*-?[0-9]{1,19}\s*$', value):
        return int(value)
    return None


def shown(value):
    """A value as the sentence quotes it: repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _relation_problems(numbers):
    problems = []
    renew, valid = numbers.get('eventstore_cert_renew_days'), numbers.get('eventstore_cert_valid_days')
    if renew is not None and valid is not None and renew >= valid:
        problems.append('eventstore_cert_renew_days (%d) must be smaller than eventstore_cert_valid_days (%d); '
                        'otherwise every run reissues the node certificates and restarts every node.' % (renew, valid))
    http, tcp = numbers.get('eventstore_http_port'), numbers.get('eventstore_int_tcp_port')
    if http is not None and http == tcp:
        problems.append('eventstore_http_port and eventstore_int_tcp_port are both %d; the node cannot bind one port '
                        'twice. Give them different ports.' % http)
    return problems


def _list_problems(name, value):
    if isinstance(value, str):
        return ['%s must be a list, not the text %s; write it as a YAML list: [%s].' % (name, shown(value), shown(value))]
    if not isinstance(value, list):
        return ['%s must be a list, not %s.' % (name, shown(value))]
    bad = [shown(entry) for entry in value if not isinstance(entry, str) or not entry.strip() or _CONTROL.search(entry)]
    if bad:
        return ['%s must list names as text, one line each; these entries are not: %s.' % (name, ', '.join(bad))]
    return []


def _password_problems(name, value):
    if not isinstance(value, str):
        kind = 'a number' if isinstance(value, (int, float)) and not isinstance(value, bool) else 'a %s' % type(value).__name__
        return ['%s must be text, not %s; quote it in YAML (an unquoted number loses leading zeros and '
                'changes form, so the role refuses rather than guesses).' % (name, kind)]
    if _CONTROL.search(value):
        return ['%s contains a control character (a line break or tab), which EventStoreDB logins cannot carry; '
                'set a one-line password.' % name]
    return []


def _text_problems(name, value):
    if not isinstance(value, str):
        return ['%s must be text, not %s.' % (name, shown(value))]
    if _CONTROL.search(value):
        return ['%s contains a control character (a line break or tab): %s; give it on one line.' % (name, shown(value))]
    return []


def config_problems(config, numbers=None):
    """eventstore_config: option names the role does not own, each with one-line values."""
    if not isinstance(config, dict):
        return ['eventstore_config must be a mapping of eventstore.conf options, not %s.' % shown(config)]
    owned = {option.lower(): option for option in OWNED_OPTIONS}
    problems = []
    for key, value in config.items():
        if not isinstance(key, str) or not _OPTION_NAME.match(key):
            problems.append('eventstore_config has the key %s, which is not an option name (letters and digits).'
                            % shown(key))
            continue
        if key.lower() in owned:
            option = owned[key.lower()]
            problems.append('eventstore_config sets %s, which the role derives from %s; remove it from '
                            'eventstore_config.' % (key, OWNED_OPTIONS[option]))
        elif key in SECRET_OPTIONS or key.lower() in [s.lower() for s in SECRET_OPTIONS]:
            problems.append('eventstore_config sets %s, a secret that would show in --diff and verbose output; '
                            'remove it (%s).' % (key, 'set %s instead' % _SECRET_HINT[key] if key in _SECRET_HINT
                                                 else 'the role installs PEM keys, which need no password'))
        elif value is None:
            problems.append('eventstore_config has no value for %s (null); give a value or remove the key.' % key)
        elif isinstance(value, dict):
            problems.append('eventstore_config %s must be a single value or a list, not a mapping: %s.'
                            % (key, shown(value)))
        elif any(isinstance(item, str) and _CONTROL.search(item) for item in _items(value)):
            problems.append('eventstore_config %s contains a control character (a line break or tab): %s; give '
                            'it on one line.' % (key, shown(value)))
        elif not all(isinstance(item, (str, int, float)) for item in _items(value)):
            problems.append('eventstore_config %s must be text, a number, true/false or a list of those, not %s.'
                            % (key, shown(value)))
    problems += _config_port_problems(config, numbers or {})
    return problems


def _items(value):
    """A value's items: a YAML list (22.10 joins it with commas) or the value itself."""
    return value if isinstance(value, list) else [value]


def _config_port_problems(config, numbers):
    problems = []
    ports = {'HttpPort (eventstore_http_port)': numbers.get('eventstore_http_port'),
             'IntTcpPort (eventstore_int_tcp_port)': numbers.get('eventstore_int_tcp_port')}
    for key in _PORT_OPTIONS:
        if key in config:
            port = whole_number(config[key])
            if port is None or not 0 < port < 65536:
                problems.append('eventstore_config %s must be a port number from 1 to 65535, not %s.'
                                % (key, shown(config[key])))
                continue
            clash = [name for name, used in ports.items() if used == port]
            if clash:
                problems.append('eventstore_config %s is %d, the port of %s; give it a port of its own.'
                                % (key, port, clash[0]))
            ports[key] = port
    return problems


def dropin_problems(extra):
    """eventstore_systemd_service_extra: systemd [Service] directives, one line each."""
    if not isinstance(extra, dict):
        return ['eventstore_systemd_service_extra must be a mapping of [Service] directives, not %s.' % shown(extra)]
    problems = []
    for key, value in extra.items():
        if not isinstance(key, str) or not _DIRECTIVE.match(key):
            problems.append('eventstore_systemd_service_extra has the key %s, which is not a systemd directive name '
                            '(a capital letter, then letters and digits, like TimeoutStartSec).' % shown(key))
        elif key == 'LimitNOFILE':
            problems.append('eventstore_systemd_service_extra sets LimitNOFILE; set eventstore_limit_nofile instead.')
        elif value is None or isinstance(value, (dict, list)):
            problems.append('eventstore_systemd_service_extra %s must be a single value, not %s.' % (key, shown(value)))
        elif _CONTROL.search(str(value)):
            problems.append('eventstore_systemd_service_extra %s contains a control character (a line break or '
                            'tab): %s; a line break would add a directive. Give it on one line.' % (key, shown(value)))
    return problems
