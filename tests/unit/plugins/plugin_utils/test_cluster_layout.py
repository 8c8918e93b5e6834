"""cluster_layout: the cluster an inventory group describes, and each preflight problem as a sentence."""

import copy

import pytest

from ansible_collections.esdb.cluster.plugins.plugin_utils.cluster_layout import cluster_layout, option_hint

SETTINGS = dict(insecure=False, run_projections='All', gossip_interval_ms=2000, gossip_timeout_ms=3000,
                heartbeat_interval_ms=5000, heartbeat_timeout_ms=1000, cert_common_name='eventstoredb-node',
                cert_dir='/etc/eventstore/certs', allow_even_cluster_size=False)


def node(name, ip, **extra):
    raw = dict(name=name, addresses=dict(node_ip=ip), http_port=2113, int_tcp_port=1112, read_only=False,
               config={}, extra_sans=[], names=[name], settings=dict(SETTINGS))
    raw.update(extra)
    return raw


def trio(**per_host):
    hosts = [node('n%d' % i, '10.0.1.1%d' % i) for i in (1, 2, 3)]
    for raw in hosts:
        raw.update(per_host.get(raw['name'], {}))
    return hosts


def layout(nodes, members=None, **kwargs):
    return cluster_layout(nodes, members or [n['name'] for n in nodes], **kwargs)


def test_trio_derives_size_seeds_and_config_in_the_role_order():
    result = layout(trio())
    assert result['problems'] == []
    assert (result['voters'], result['cluster_size'], result['quorum']) == (['n1', 'n2', 'n3'], 3, 2)
    assert result['status_nodes'] == ['10.0.1.11:2113', '10.0.1.12:2113', '10.0.1.13:2113']
    assert result['connection_string'] == 'esdb://10.0.1.11:2113,10.0.1.12:2113,10.0.1.13:2113?tls=true'
    n2 = result['nodes']['n2']
    assert n2['gossip_seed'] == ['10.0.1.11:2113', '10.0.1.13:2113']
    assert list(n2['config'].items()) == [
        ('ClusterSize', 3), ('RunProjections', 'All'), ('DiscoverViaDns', False),
        ('GossipSeed', '10.0.1.11:2113,10.0.1.13:2113'), ('IntIp', '10.0.1.12'), ('ExtIp', '10.0.1.12'),
        ('GossipIntervalMs', 2000), ('GossipTimeoutMs', 3000), ('IntTcpHeartbeatInterval', 5000),
        ('IntTcpHeartbeatTimeout', 1000), ('CertificateFile', '/etc/eventstore/certs/node.crt'),
        ('CertificatePrivateKeyFile', '/etc/eventstore/certs/node.key'),
        ('TrustedRootCertificatesPath', '/etc/eventstore/certs/ca')]
    assert n2['sans'] == ['IP:10.0.1.12', 'DNS:n2']


def test_insecure_cluster_has_no_certificates_and_says_tls_false():
    hosts = trio()
    for raw in hosts:
        raw['settings']['insecure'] = 'true'   # as -e gives it
    result = layout(hosts)
    config = result['nodes']['n1']['config']
    assert list(config)[0] == 'Insecure' and config['Insecure'] is True
    assert 'CertificateFile' not in config
    assert result['connection_string'].endswith('?tls=false')


def test_string_false_keeps_tls_on():
    hosts = trio()
    for raw in hosts:
        raw['settings']['insecure'] = 'false'
    assert 'Insecure' not in layout(hosts)['nodes']['n1']['config']


def test_read_only_replica_seeds_every_voter_and_is_not_counted():
    hosts = trio() + [node('r1', '10.0.1.21', read_only=True)]
    result = layout(hosts)
    assert result['problems'] == []
    assert (result['cluster_size'], result['read_only_replicas']) == (3, ['r1'])
    assert result['nodes']['r1']['gossip_seed'] == ['10.0.1.11:2113', '10.0.1.12:2113', '10.0.1.13:2113']
    assert result['nodes']['r1']['config']['ReadOnlyReplica'] is True
    assert 'r1' not in result['connection_string'] and '10.0.1.21' not in result['connection_string']


def test_user_options_override_and_follow_the_derived_keys():
    result = layout(trio(n1=dict(config={'RunProjections': 'None', 'EnableAtomPubOverHttp': True})))
    config = result['nodes']['n1']['config']
    assert config['RunProjections'] == 'None' and list(config)[-1] == 'EnableAtomPubOverHttp'


def test_non_default_ports_and_common_name_are_written():
    hosts = [node('n1', '10.0.1.11', http_port='2114', int_tcp_port=1113)]
    hosts[0]['settings']['cert_common_name'] = 'db-node'
    config = layout(hosts)['nodes']['n1']['config']
    assert (config['HttpPort'], config['IntTcpPort'], config['CertificateReservedNodeCommonName']) == (2114, 1113, 'db-node')
    assert 'GossipSeed' not in config


def test_address_comes_from_the_first_source_that_gives_one():
    raw = node('n1', '')
    raw['addresses'] = dict(node_ip='', private_ip=None, ansible_host='db1.example.com', default_ipv4='10.0.9.9')
    assert layout([raw])['nodes']['n1']['ip'] == '10.0.9.9'
    raw['addresses']['ansible_host'] = '10.0.8.8'
    assert layout([raw])['nodes']['n1']['ip'] == '10.0.8.8'


def test_sans_cover_advertised_names_and_normalise_extras():
    result = layout([node('n1', '10.0.1.11', names=['n1', 'n1.internal', ''],
                          config={'ExtHostAdvertiseAs': 'db1.example.com', 'IntIp': '0.0.0.0'},
                          extra_sans=['IP:10.0.1.11', 'DNS:lb.example.com', '2001:db8::1'])])
    assert result['nodes']['n1']['sans'] == ['IP:10.0.1.11', 'DNS:n1', 'DNS:n1.internal', 'DNS:db1.example.com',
                                             'DNS:lb.example.com', 'IP:2001:db8::1']


# Each preflight problem, with the sentence that names the host and the value.
PROBLEMS = [
    ('missing host', lambda h: (h[:2], ['n1', 'n2', 'n3']),
     "Cannot derive the cluster of group 'eventstore': n3 is not in this play. Run the play on every member "
     "of the group (no --limit to a subset)."),
    ('no address', lambda h: ([dict(h[0], addresses={})] + h[1:], None),
     'Host n1 has no node address: set eventstore_node_ip (or private_ip_address) for hosts whose address '
     'cannot be discovered.'),
    ('address not an IP', lambda h: ([dict(h[0], addresses=dict(node_ip='10.0.0.300'))] + h[1:], None),
     "Host n1: eventstore_node_ip '10.0.0.300' is not an IP address; give the IP the other nodes reach it at."),
    ('duplicate address', lambda h: (h[:2] + [dict(h[2], addresses=dict(node_ip='10.0.1.11'))], None),
     "Hosts n1 and n3 of group 'eventstore' share the node address 10.0.1.11; every node needs its own "
     'address (eventstore_node_ip / private_ip_address).'),
    ('even size', lambda h: (h + [node('n4', '10.0.1.14')], None),
     'ClusterSize 4 is even (voters: n1, n2, n3, n4); an even cluster tolerates no more failures than the next '
     'smaller odd one. Use 3 or 5 voting nodes, or set eventstore_allow_even_cluster_size: true.'),
    ('no voter', lambda h: ([dict(n, read_only=True) for n in h], None),
     "Group 'eventstore' has no voting member; only read-only replicas may set eventstore_read_only_replica."),
    ('replica beside one voter', lambda h: ([h[0], dict(h[1], read_only=True)], None),
     'n2 is a read-only replica beside a single voter; EventStoreDB 22.10 refuses ReadOnlyReplica with '
     'ClusterSize 1. Add voters (3 is the smallest cluster that survives a failure).'),
    ('23.10 name', lambda h: ([dict(h[0], config={'NodeIp': '10.0.1.11'})] + h[1:], None),
     'Host n1: eventstore_config has NodeIp, a 23.10+ name; in 22.10 use ExtIp, so EventStoreDB 22.10 would '
     'refuse to start.'),
    ('unknown option', lambda h: ([dict(h[0], config={'ClusterSzie': 3})] + h[1:], None),
     'Host n1: eventstore_config has ClusterSzie, which is not a 22.10 option; check its spelling against the '
     'option list in the role README, so EventStoreDB 22.10 would refuse to start.'),
    ('case clash', lambda h: ([dict(h[0], config={'clustersize': 3})] + h[1:], None),
     'Host n1: eventstore.conf would contain ClusterSize and clustersize, the same option in different letter '
     'case, and EventStoreDB rejects duplicate keys. Spell eventstore_config keys exactly as the role does '
     '(ClusterSize).'),
    ('bad extra SAN', lambda h: ([dict(h[0], extra_sans=['bad name!'])] + h[1:], None),
     "Host n1: eventstore_extra_sans has entries that are neither an IP address nor a DNS name: bad name!. "
     "Use plain names ('db1.example.com', '10.0.0.5') or the IP:/DNS: prefixed form."),
    ('bad port', lambda h: ([dict(h[0], http_port='65536')] + h[1:], None),
     "Eventstore_http_port of host n1 must be a port number from 1 to 65535, not '65536'."),
    ('bad boolean', lambda h: ([dict(h[0], read_only='maybe')] + h[1:], None),
     "Eventstore_read_only_replica of host n1 must be true or false, not 'maybe'."),
    ('members disagree', lambda h: ([dict(h[0], settings=dict(SETTINGS, insecure=True))] + h[1:], None),
     'Members disagree on eventstore_insecure: True on n1; False on n2, n3; a cluster needs one value.'),
    ('bad interval', lambda h: ([dict(n, settings=dict(SETTINGS, gossip_interval_ms='2s')) for n in h], None),
     "eventstore_gossip_interval_ms must be a whole number of milliseconds, not '2s'."),
]


@pytest.mark.parametrize('case, edit, sentence', PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_each_problem_is_one_sentence_naming_host_and_value(case, edit, sentence):
    nodes, members = edit(copy.deepcopy(trio()))
    assert layout(nodes, members)['problems'] == [sentence]


def test_even_size_is_allowed_when_asked():
    hosts = [dict(n, settings=dict(SETTINGS, allow_even_cluster_size='yes')) for n in trio()[:2]]
    assert layout(hosts)['problems'] == []


def test_group_name_is_used_in_sentences():
    assert "group 'db'" in layout(trio()[:2], ['n1', 'n2', 'n3'], group='db')['problems'][0]


@pytest.mark.parametrize('key, hint', [
    ('IntHttpPort', 'IntHttpPort, which does not exist in 22.10; use HttpPort (22.10 serves HTTP, gRPC and gossip on one port)'),
    ('telemetryoptout', 'telemetryoptout, a 23.10+ option with no 22.10 equivalent; remove it'),
    ('replicationip', 'replicationip, a 23.10+ name; in 22.10 use IntIp'),
])
def test_option_hints(key, hint):
    assert option_hint(key) == hint


def test_leaving_hosts_give_only_their_address_and_do_not_count():
    hosts = trio() + [node('n4', '10.0.1.14', settings={}), node('n5', '10.0.1.15', http_port=2114)]
    result = layout(hosts, ['n1', 'n2', 'n3'], leaving=['n4', 'n5'])
    assert result['problems'] == []
    assert (result['cluster_size'], result['members']) == (3, ['n1', 'n2', 'n3'])
    assert result['leaving_nodes'] == {'n4': '10.0.1.14:2113', 'n5': '10.0.1.15:2114'}
    assert result['hosts_by_address']['10.0.1.15:2114'] == 'n5'
    assert result['hosts_by_address']['10.0.1.11:2113'] == 'n1'
    assert list(result['addresses'].items()) == [
        ('n1', '10.0.1.11:2113'), ('n2', '10.0.1.12:2113'), ('n3', '10.0.1.13:2113'), ('n4', '10.0.1.14:2113'),
        ('n5', '10.0.1.15:2114')]
    assert '10.0.1.14' not in result['nodes']['n1']['config']['GossipSeed']


def test_leaving_host_with_a_members_address_is_a_problem():
    hosts = trio() + [node('n4', '10.0.1.11')]
    assert layout(hosts, ['n1', 'n2', 'n3'], leaving=['n4'])['problems'] == [
        'A leaving host has the address of a member: n4=10.0.1.11:2113.']
