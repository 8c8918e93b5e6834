# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster an inventory group describes: members, voters, each node's eventstore.conf.

One pure function, cluster_layout(), turns what every host of the group says about itself
into the whole cluster, and every problem that would stop it from working into one sentence
naming the host and the value. The role renders what it returns; it decides nothing itself.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.esdb.cluster.plugins.plugin_utils.eventstore_options import (
    KNOWN_OPTIONS,
    NEW_IN_23_10,
    REMOVED_BEFORE_22_10,
    RENAMED_IN_23_10,
)

DEFAULT_HTTP_PORT = 2113
DEFAULT_INT_TCP_PORT = 1112
DEFAULT_NODE_COMMON_NAME = 'eventstoredb-node'
# Settings every member must share: a cluster cannot be half TLS or half another timing.
SHARED_SETTINGS = ('insecure', 'run_projections', 'gossip_interval_ms', 'gossip_timeout_ms',
                   'heartbeat_interval_ms', 'heartbeat_timeout_ms', 'cert_common_name', 'cert_dir',
                   'allow_even_cluster_size')
INT_SETTINGS = ('gossip_interval_ms', 'gossip_timeout_ms', 'heartbeat_interval_ms', 'heartbeat_timeout_ms')
# eventstore_config keys whose values are addresses the node certificate must name.
ADDRESS_OPTIONS = ('ExtHostAdvertiseAs', 'IntHostAdvertiseAs', 'AdvertiseHostToClientAs', 'IntIp', 'ExtIp')
_DNS_NAME = re.compile(r'^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$')
_TRUE = ('true', 'yes', 'on', '1', 'y', 't')
_FALSE = ('false', 'no', 'off', '0', 'n', 'f', '')


def cluster_layout(nodes, members, group='eventstore', leaving=()):
    """The cluster of `members` (the group's host names, in inventory order).

    `leaving` names hosts that still run but leave the cluster (resize): only their addresses
    are derived, as leaving_nodes, so restarts can count them while they still vote.

    nodes: one dict per host of the play that is a member: name, addresses (node_ip,
    private_ip, ansible_host, default_ipv4), http_port, int_tcp_port, read_only, config
    (eventstore_config), extra_sans, names (host names for the certificate) and settings
    (see SHARED_SETTINGS). Returns members, voters, cluster_size, quorum, nodes (per host:
    ip, port, address, read_only, gossip_seed, config, sans), status_nodes, leaving_nodes,
    addresses (every member and leaving host), hosts_by_address, connection_string and problems (sentences; empty when the layout can be used).
    """
    problems = []
    by_name = {node['name']: node for node in nodes if node.get('name') in members}
    leaving_nodes = {}
    for raw in nodes:
        if raw.get('name') in leaving and raw.get('name') not in members:
            leaver = _node(dict(raw, extra_sans=[]), problems)
            leaving_nodes[leaver['name']] = leaver['address']
    missing = [name for name in members if name not in by_name]
    if missing:
        problems.append(
            "Cannot derive the cluster of group '%s': %s %s not in this play. Run the play on every "
            "member of the group (no --limit to a subset)." % (group, ', '.join(missing),
                                                               'is' if len(missing) == 1 else 'are'))
    parsed = {}
    for name in members:
        if name in by_name:
            parsed[name] = _node(by_name[name], problems)
    settings = _shared_settings(parsed, problems)

    voters = [name for name in parsed if not parsed[name]['read_only']]
    replicas = [name for name in parsed if parsed[name]['read_only']]
    size = len(voters)
    problems += _size_problems(group, voters, replicas, settings, bool(missing))
    problems += _membership_problems(group, parsed)
    if any(leaving_nodes[name] in [n['address'] for n in parsed.values()] for name in leaving_nodes):
        problems.append('A leaving host has the address of a member: %s.' % ', '.join(
            '%s=%s' % item for item in leaving_nodes.items()))

    layout_nodes = {}
    for name, node in parsed.items():
        seeds = [parsed[v]['address'] for v in voters if v != name]
        config = _config(node, settings, size, seeds)
        problems += _option_problems(name, config)
        layout_nodes[name] = dict(
            ip=node['ip'], port=node['port'], address=node['address'], read_only=node['read_only'],
            gossip_seed=seeds, config=config, sans=_sans(node, config),
        )
    return dict(
        members=list(parsed), voters=voters, read_only_replicas=replicas, cluster_size=size,
        quorum=1 if size == 1 else size // 2 + 1, nodes=layout_nodes,
        status_nodes=[parsed[name]['address'] for name in parsed], leaving_nodes=leaving_nodes,
        addresses=dict([(name, node['address']) for name, node in parsed.items()] + list(leaving_nodes.items())),
        hosts_by_address=dict([(node['address'], name) for name, node in parsed.items()]
                              + [(address, name) for name, address in leaving_nodes.items()]),
        connection_string='esdb://%s?tls=%s' % (
            ','.join(parsed[v]['address'] for v in voters), 'false' if settings.get('insecure') else 'true'),
        problems=problems,
    )


def to_bool(value, what):
    """Ansible's reading of a boolean, including the strings -e gives; ValueError names `what`."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError('%s must be true or false, not %r' % (what, value))


def to_port(value, what):
    try:
        port = int(str(value).strip())
    except ValueError:
        port = 0
    if isinstance(value, bool) or not 0 < port < 65536:
        raise ValueError('%s must be a port number from 1 to 65535, not %r' % (what, value))
    return port


def _node(raw, problems):
    name = raw['name']
    node = dict(name=name, names=[str(n) for n in raw.get('names') or [] if n],
                config=raw.get('config') or {}, extra_sans=raw.get('extra_sans') or [],
                settings=raw.get('settings') or {}, cluster=str(raw.get('cluster') or '').strip())
    node['read_only'] = _checked(problems, to_bool, raw.get('read_only', False), False,
                                 'eventstore_read_only_replica of host %s' % name)
    node['port'] = _checked(problems, to_port, raw.get('http_port', DEFAULT_HTTP_PORT), DEFAULT_HTTP_PORT,
                            'eventstore_http_port of host %s' % name)
    node['int_tcp_port'] = _checked(problems, to_port, raw.get('int_tcp_port', DEFAULT_INT_TCP_PORT),
                                    DEFAULT_INT_TCP_PORT, 'eventstore_int_tcp_port of host %s' % name)
    node['ip'] = _address(name, raw.get('addresses') or {}, problems)
    node['address'] = '%s:%d' % (node['ip'], node['port'])
    bad = bad_extra_sans(node['extra_sans'])
    if bad:
        problems.append('Host %s: %s' % (name, extra_sans_sentence(bad)))
    return node


def _checked(problems, convert, value, fallback, what):
    try:
        return convert(value, what)
    except ValueError as exc:
        problems.append(str(exc)[0].upper() + str(exc)[1:] + '.')
        return fallback


def _address(name, addresses, problems):
    """The node's IP: eventstore_node_ip, private_ip_address, an IP ansible_host, the default IPv4."""
    for key, source in (('node_ip', 'eventstore_node_ip'), ('private_ip', 'private_ip_address'),
                        ('ansible_host', 'ansible_host'), ('default_ipv4', 'the default IPv4 address')):
        value = str(addresses.get(key) or '').strip()
        if not value:
            continue
        if _is_ip(value) and ':' in value:
            # 22.10 splits each GossipSeed entry at its first ':' (ParseGossipEndPoint in
            # src/EventStore.Core/ClusterVNodeOptions.Framework.cs), so no IPv6 form can be a seed.
            problems.append('Host %s: %s %r is an IPv6 address; EventStoreDB 22.10 cannot read one in GossipSeed, '
                            'so cluster nodes need IPv4 addresses.' % (name, source, value))
            return value
        if _is_ip(value):
            return value
        if key in ('node_ip', 'private_ip'):
            problems.append('Host %s: %s %r is not an IP address; give the IP the other nodes reach it at.'
                            % (name, source, value))
            return value
    problems.append('Host %s has no node address: set eventstore_node_ip (or private_ip_address) for hosts '
                    'whose address cannot be discovered.' % name)
    return ''


def _shared_settings(parsed, problems):
    settings = {}
    for key in SHARED_SETTINGS:
        values = {}
        for name, node in parsed.items():
            values.setdefault(repr(node['settings'].get(key)), []).append(name)
        if len(values) > 1:
            problems.append('Members disagree on eventstore_%s: %s; a cluster needs one value.' % (
                key, '; '.join('%s on %s' % (value, ', '.join(names)) for value, names in values.items())))
        first = next(iter(parsed.values()), None)
        settings[key] = first['settings'].get(key) if first else None
    for key in ('insecure', 'allow_even_cluster_size'):
        value = settings[key] if settings[key] is not None else False
        settings[key] = _checked(problems, to_bool, value, False, 'eventstore_' + key)
    for key in INT_SETTINGS:
        try:
            settings[key] = int(str(settings[key]).strip())
        except ValueError:
            problems.append('eventstore_%s must be a whole number of milliseconds, not %r.' % (key, settings[key]))
    return settings


def _cluster_tag_problems(group, parsed):
    """Members tagged for different clusters (eventstore_cluster, set by the ec2_nodes inventory)."""
    tags = {}
    for name, node in parsed.items():
        tags.setdefault(node['cluster'], []).append(name)
    if len(tags) < 2:
        return []
    return ["Members of group '%s' belong to different clusters (eventstore_cluster): %s. One inventory group "
            'is one cluster: select a single cluster in the inventory (the clusters option of '
            'esdb.cluster.ec2_nodes) or give each cluster its own group.' % (group, '; '.join(
                '%s on %s' % (repr(tag) if tag else 'none', ', '.join(names)) for tag, names in tags.items()))]


def _size_problems(group, voters, replicas, settings, incomplete):
    if incomplete:
        return []
    if not voters:
        return ["Group '%s' has no voting member; only read-only replicas may set eventstore_read_only_replica."
                % group]
    size = len(voters)
    if replicas and size == 1:
        return ['%s %s read-only %s beside a single voter; EventStoreDB 22.10 refuses ReadOnlyReplica with '
                'ClusterSize 1. Add voters (3 is the smallest cluster that survives a failure).'
                % (', '.join(replicas), 'is a' if len(replicas) == 1 else 'are', 'replica' if len(replicas) == 1
                   else 'replicas')]
    if size % 2 == 0 and not settings.get('allow_even_cluster_size'):
        return ['ClusterSize %d is even (voters: %s); an even cluster tolerates no more failures than the next '
                'smaller odd one. Use %d or %d voting nodes, or set eventstore_allow_even_cluster_size: true.'
                % (size, ', '.join(voters), size - 1, size + 1)]
    return []


def _membership_problems(group, parsed):
    """Members of another cluster, and members sharing one address."""
    return _cluster_tag_problems(group, parsed) + _duplicate_address_problems(group, parsed)


def _duplicate_address_problems(group, parsed):
    seen = {}
    for name, node in parsed.items():
        if node['ip']:
            seen.setdefault(node['ip'], []).append(name)
    return ["Hosts %s of group '%s' share the node address %s; every node needs its own address "
            '(eventstore_node_ip / private_ip_address).' % (' and '.join(names), group, ip)
            for ip, names in seen.items() if len(names) > 1]


def _config(node, settings, size, seeds):
    """eventstore.conf as a mapping: the role's derived keys first, then the user's options."""
    config = {}
    if settings.get('insecure'):
        config['Insecure'] = True
    config.update(ClusterSize=size, RunProjections=settings.get('run_projections'), DiscoverViaDns=False)
    if seeds:
        config['GossipSeed'] = ','.join(seeds)
    config.update(IntIp=node['ip'], ExtIp=node['ip'])
    if node['port'] != DEFAULT_HTTP_PORT:
        config['HttpPort'] = node['port']
    if node['int_tcp_port'] != DEFAULT_INT_TCP_PORT:
        config['IntTcpPort'] = node['int_tcp_port']
    if node['read_only']:
        config['ReadOnlyReplica'] = True
    config.update(GossipIntervalMs=settings.get('gossip_interval_ms'),
                  GossipTimeoutMs=settings.get('gossip_timeout_ms'),
                  IntTcpHeartbeatInterval=settings.get('heartbeat_interval_ms'),
                  IntTcpHeartbeatTimeout=settings.get('heartbeat_timeout_ms'))
    if not settings.get('insecure'):
        cert_dir = settings.get('cert_dir')
        config.update(CertificateFile=cert_dir + '/node.crt', CertificatePrivateKeyFile=cert_dir + '/node.key',
                      TrustedRootCertificatesPath=cert_dir + '/ca')
        if settings.get('cert_common_name') != DEFAULT_NODE_COMMON_NAME:
            config['CertificateReservedNodeCommonName'] = settings.get('cert_common_name')
    config.update(node['config'])
    return config


def _option_problems(name, config):
    """Unknown 22.10 options, with the 22.10 name where there is one, and keys differing only in case."""
    known = {option.lower() for option in KNOWN_OPTIONS}
    problems = ['Host %s: eventstore_config has %s, so EventStoreDB 22.10 would refuse to start.'
                % (name, option_hint(key)) for key in config if str(key).lower() not in known]
    lowered = {}
    for key in config:
        lowered.setdefault(str(key).lower(), []).append(str(key))
    problems += ['Host %s: eventstore.conf would contain %s, the same option in different letter case, and '
                 'EventStoreDB rejects duplicate keys. Spell eventstore_config keys exactly as the role does (%s).'
                 % (name, ' and '.join(keys), keys[0]) for keys in lowered.values() if len(keys) > 1]
    return problems


def option_hint(key):
    """What an unknown option name is, and what to write instead."""
    lower = str(key).lower()
    for catalogue, sentence in ((RENAMED_IN_23_10, '%s, a 23.10+ name; in 22.10 use %s'),
                                (REMOVED_BEFORE_22_10, '%s, which does not exist in 22.10; use %s')):
        for option, replacement in catalogue.items():
            if option.lower() == lower:
                return sentence % (key, replacement)
    if lower in {option.lower() for option in NEW_IN_23_10}:
        return '%s, a 23.10+ option with no 22.10 equivalent; remove it' % key
    return '%s, which is not a 22.10 option; check its spelling against the option list in the role README' % key


def _sans(node, config):
    """IP:/DNS: names the node certificate needs: its address, host names, advertised names, extras."""
    candidates = [node['ip']] + node['names'] + [config[k] for k in ADDRESS_OPTIONS if config.get(k)]
    candidates += [str(extra) for extra in node['extra_sans']]
    sans = []
    for name in candidates:
        bare = re.sub(r'^(IP|DNS):', '', str(name).strip())
        if bare in ('', '0.0.0.0', '::'):
            continue
        entry = ('IP:' if _is_ip(bare) else 'DNS:') + bare
        if entry not in sans:
            sans.append(entry)
    return sans


def bad_extra_sans(extra_sans):
    """Entries of eventstore_extra_sans that are not what they say: IP: an IP address, DNS: or none a DNS name."""
    bad = []
    for entry in extra_sans:
        text = str(entry)
        bare = re.sub(r'^(IP|DNS):', '', text)
        if text.startswith('IP:'):
            good = _is_ip(bare)
        else:
            # A name whose last label is all digits is a mistyped address, not a host name.
            good = (not text.startswith('DNS:') and _is_ip(bare)) or bool(
                _DNS_NAME.match(bare) and not bare.split('.')[-1].isdigit())
        if not good:
            bad.append(text)
    return bad


def extra_sans_sentence(bad):
    return ("eventstore_extra_sans has entries that are not an IP address (plain or IP:) or a DNS name (plain or "
            "DNS:): %s. Use names like 'db1.example.com', 'IP:10.0.0.5'." % ', '.join(bad))


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
