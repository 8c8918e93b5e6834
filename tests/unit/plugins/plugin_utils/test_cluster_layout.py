"""cluster_layout: the cluster an inventory group describes, and each preflight problem as a sentence."""

import copy

import pytest

from ansible_collections.esdb.cluster.plugins.plugin_utils.cluster_layout import (
    bad_extra_sans,
    cluster_layout,
    option_hint,
    to_bool,
    to_port,
)

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
     "Host n1: eventstore_extra_sans has entries that are not an IP address (plain or IP:) or a DNS name (plain or "
     "DNS:): bad name!. Use names like 'db1.example.com', 'IP:10.0.0.5'."),
    ('host name as address', lambda h: ([dict(h[0], addresses=dict(node_ip='db1.example.com'))] + h[1:], None),
     "Host n1: eventstore_node_ip 'db1.example.com' is not an IP address; give the IP the other nodes reach it at."),
    ('trailing space does not hide a duplicate',
     lambda h: (h[:2] + [dict(h[2], addresses=dict(node_ip='10.0.1.11 '))], None),
     "Hosts n1 and n3 of group 'eventstore' share the node address 10.0.1.11; every node needs its own "
     'address (eventstore_node_ip / private_ip_address).'),
    ('IPv6 node address', lambda h: ([dict(h[0], addresses=dict(node_ip='fd00::11'))] + h[1:], None),
     "Host n1: eventstore_node_ip 'fd00::11' is an IPv6 address; EventStoreDB 22.10 cannot read one in GossipSeed, "
     'so cluster nodes need IPv4 addresses.'),
    ('IPv6 private address', lambda h: ([dict(h[0], addresses=dict(private_ip='fd00::11'))] + h[1:], None),
     "Host n1: private_ip_address 'fd00::11' is an IPv6 address; EventStoreDB 22.10 cannot read one in GossipSeed, "
     'so cluster nodes need IPv4 addresses.'),
    ('members of two clusters', lambda h: ([dict(n, cluster='esdb') for n in h[:2]] + [dict(h[2], cluster='other')],
                                           None),
     "Members of group 'eventstore' belong to different clusters (eventstore_cluster): 'esdb' on n1, n2; 'other' on "
     'n3. One inventory group is one cluster: select a single cluster in the inventory (the clusters option of '
     'esdb.cluster.ec2_nodes) or give each cluster its own group.'),
    ('tagged beside untagged', lambda h: ([dict(h[0], cluster=' esdb ')] + h[1:], None),
     "Members of group 'eventstore' belong to different clusters (eventstore_cluster): 'esdb' on n1; none on "
     'n2, n3. One inventory group is one cluster: select a single cluster in the inventory (the clusters option of '
     'esdb.cluster.ec2_nodes) or give each cluster its own group.'),
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


def test_members_come_in_the_given_order_whatever_the_play_order():
    result = layout(trio()[::-1], ['n1', 'n2', 'n3'])
    assert (result['members'], result['voters']) == (['n1', 'n2', 'n3'], ['n1', 'n2', 'n3'])
    assert result['status_nodes'] == ['10.0.1.11:2113', '10.0.1.12:2113', '10.0.1.13:2113']
    assert result['hosts_by_address'] == {'10.0.1.11:2113': 'n1', '10.0.1.12:2113': 'n2', '10.0.1.13:2113': 'n3'}
    assert result['leaving_nodes'] == {}


def test_hosts_of_the_play_outside_the_group_are_ignored():
    result = layout(trio() + [node('web', '10.0.2.1')], ['n1', 'n2', 'n3'])
    assert (result['members'], result['problems'], result['leaving_nodes']) == (['n1', 'n2', 'n3'], [], {})
    assert '10.0.2.1:2113' not in result['hosts_by_address']


def test_a_member_named_as_leaving_stays_a_member():
    result = layout(trio(), ['n1', 'n2', 'n3'], leaving=['n3'])
    assert (result['members'], result['leaving_nodes'], result['problems']) == (['n1', 'n2', 'n3'], {}, [])


def test_a_leaving_hosts_bad_extra_sans_do_not_matter():
    hosts = trio() + [node('n4', '10.0.1.14', extra_sans=['bad name!'])]
    assert layout(hosts, ['n1', 'n2', 'n3'], leaving=['n4'])['problems'] == []


def test_two_missing_hosts_are_named_together_and_size_is_not_judged():
    assert layout(trio()[:1] + [node('n4', '10.0.1.14')], ['n1', 'n2', 'n3', 'n4'])['problems'] == [
        "Cannot derive the cluster of group 'eventstore': n2, n3 are not in this play. Run the play on every "
        "member of the group (no --limit to a subset)."]


@pytest.mark.parametrize('count, quorum', [(1, 1), (2, 2), (4, 3), (5, 3)])
def test_quorum_is_a_majority_of_the_voters(count, quorum):
    hosts = [node('n%d' % i, '10.0.1.%d' % (10 + i), settings=dict(SETTINGS, allow_even_cluster_size=True))
             for i in range(1, count + 1)]
    result = layout(hosts)
    assert (result['cluster_size'], result['quorum'], result['problems']) == (count, quorum, [])


def test_one_node_has_no_gossip_seed_and_a_one_address_connection_string():
    result = layout([node('n1', '10.0.1.11')])
    assert result['nodes']['n1']['gossip_seed'] == []
    assert result['connection_string'] == 'esdb://10.0.1.11:2113?tls=true'
    assert result['nodes']['n1']['config']['ClusterSize'] == 1


def test_layout_node_has_exactly_its_derived_fields():
    result = layout([node('n1', '10.0.1.11', http_port=2120)])
    n1 = dict(result['nodes']['n1'])
    assert n1.pop('config')['HttpPort'] == 2120
    assert n1 == dict(ip='10.0.1.11', port=2120, address='10.0.1.11:2120', read_only=False, gossip_seed=[],
                      sans=['IP:10.0.1.11', 'DNS:n1'])


def test_defaults_apply_when_a_host_gives_nothing():
    raw = dict(name='n1', addresses=dict(node_ip='10.0.1.11'), settings=dict(SETTINGS))
    result = layout([raw])
    assert result['problems'] == []
    n1 = result['nodes']['n1']
    assert (n1['port'], n1['read_only'], n1['sans']) == (2113, False, ['IP:10.0.1.11'])
    assert 'HttpPort' not in n1['config'] and 'IntTcpPort' not in n1['config']
    assert 'ReadOnlyReplica' not in n1['config']


def test_none_values_are_read_as_absent():
    raw = dict(name='n1', addresses=dict(node_ip='10.0.1.11'), names=None, config=None, extra_sans=None,
               settings=dict(SETTINGS))
    result = layout([raw])
    assert (result['problems'], result['nodes']['n1']['sans']) == ([], ['IP:10.0.1.11'])


def test_host_names_are_text_and_empty_ones_are_dropped():
    result = layout([node('n1', '10.0.1.11', names=[None, 42, 'db1'])])
    assert result['nodes']['n1']['sans'] == ['IP:10.0.1.11', 'DNS:42', 'DNS:db1']


@pytest.mark.parametrize('given, port', [(1, 1), ('1', 1), (' 65535 ', 65535), (2113, 2113)])
def test_ports_from_1_to_65535_are_taken(given, port):
    result = layout([node('n1', '10.0.1.11', http_port=given, int_tcp_port=given)])
    assert result['problems'] == []
    assert (result['nodes']['n1']['port'], result['nodes']['n1']['address']) == (port, '10.0.1.11:%d' % port)


@pytest.mark.parametrize('given', [0, '0', -1, 65536, 'http', None, True, 2113.5, ''])
def test_other_ports_are_refused_and_the_default_used(given):
    result = layout([node('n1', '10.0.1.11', http_port=given, int_tcp_port=given)])
    assert result['problems'] == [
        'Eventstore_http_port of host n1 must be a port number from 1 to 65535, not %r.' % (given,),
        'Eventstore_int_tcp_port of host n1 must be a port number from 1 to 65535, not %r.' % (given,)]
    config = result['nodes']['n1']['config']
    assert (result['nodes']['n1']['port'], 'HttpPort' in config, 'IntTcpPort' in config) == (2113, False, False)


@pytest.mark.parametrize('given, read_only', [
    (True, True), ('yes', True), (' On ', True), ('1', True), ('y', True), ('t', True), ('TRUE', True),
    (False, False), ('no', False), ('off', False), ('0', False), ('n', False), ('f', False), ('', False),
    ('False', False), (1, True), (0, False),
])
def test_booleans_are_read_as_ansible_reads_them(given, read_only):
    hosts = trio() + [node('r1', '10.0.1.21', read_only=given)]
    for raw in hosts:
        raw['settings']['allow_even_cluster_size'] = True
    result = layout(hosts)
    assert (result['problems'], result['nodes']['r1']['read_only']) == ([], read_only)
    assert result['read_only_replicas'] == (['r1'] if read_only else [])


def test_a_bad_boolean_counts_as_a_voter():
    result = layout(trio() + [node('r1', '10.0.1.21', read_only='maybe')])
    assert result['nodes']['r1']['read_only'] is False and 'r1' in result['voters']


def test_address_sources_in_order_with_spaces_stripped():
    raw = node('n1', ' 10.0.1.11 ')
    raw['addresses'].update(private_ip='10.0.2.2', ansible_host='10.0.3.3', default_ipv4='10.0.4.4')
    assert layout([raw])['nodes']['n1']['ip'] == '10.0.1.11'
    raw['addresses']['node_ip'] = None
    assert layout([raw])['nodes']['n1']['ip'] == '10.0.2.2'
    raw['addresses']['private_ip'] = ' '
    assert layout([raw])['nodes']['n1']['ip'] == '10.0.3.3'


def test_a_private_ip_that_is_not_an_ip_is_named():
    raw = node('n1', '')
    raw['addresses'].update(private_ip='ip-10-0-2-2', default_ipv4='10.0.4.4')
    result = layout([raw])
    assert result['problems'] == ["Host n1: private_ip_address 'ip-10-0-2-2' is not an IP address; give the IP "
                                  'the other nodes reach it at.']
    assert result['nodes']['n1']['address'] == 'ip-10-0-2-2:2113'


def test_a_default_ipv4_that_is_not_an_ip_gives_no_address():
    raw = node('n1', '')
    raw['addresses'].update(ansible_host='db1', default_ipv4='none')
    result = layout([raw])
    assert result['problems'] == ['Host n1 has no node address: set eventstore_node_ip (or private_ip_address) '
                                  'for hosts whose address cannot be discovered.']
    assert (result['nodes']['n1']['ip'], result['nodes']['n1']['address']) == ('', ':2113')


def test_hosts_without_an_address_do_not_share_one():
    hosts = [dict(n, addresses={}) for n in trio()]
    problems = layout(hosts)['problems']
    assert len(problems) == 3 and all('has no node address' in p for p in problems)


def test_three_hosts_sharing_an_address_are_named_together():
    hosts = [dict(n, addresses=dict(node_ip='10.0.1.11')) for n in trio()]
    assert layout(hosts)['problems'] == [
        "Hosts n1 and n2 and n3 of group 'eventstore' share the node address 10.0.1.11; every node needs its own "
        'address (eventstore_node_ip / private_ip_address).']


def test_disagreement_names_each_value_and_its_hosts():
    hosts = trio()
    hosts[0]['settings']['run_projections'] = 'None'
    hosts[2]['settings']['run_projections'] = 'System'
    result = layout(hosts)
    assert result['problems'] == ["Members disagree on eventstore_run_projections: 'None' on n1; 'All' on n2; "
                                  "'System' on n3; a cluster needs one value."]
    # The first member's value is used meanwhile.
    assert result['nodes']['n3']['config']['RunProjections'] == 'None'


def test_each_shared_setting_is_compared():
    values = dict(gossip_timeout_ms=9, heartbeat_interval_ms=9, heartbeat_timeout_ms=9, cert_common_name='x',
                  cert_dir='/x', allow_even_cluster_size=True, gossip_interval_ms=9)
    for key, value in values.items():
        hosts = trio()
        hosts[1]['settings'][key] = value
        assert layout(hosts)['problems'] == ['Members disagree on eventstore_%s: %r on n1, n3; %r on n2; a cluster '
                                             'needs one value.' % (key, SETTINGS[key], value)]


def test_missing_booleans_are_false_and_bad_ones_named():
    hosts = [node('n1', '10.0.1.11', settings=dict(SETTINGS, insecure=None, allow_even_cluster_size=None))]
    result = layout(hosts)
    assert result['problems'] == [] and 'Insecure' not in result['nodes']['n1']['config']
    hosts[0]['settings'].update(insecure='sometimes')
    assert layout(hosts)['problems'] == ["Eventstore_insecure must be true or false, not 'sometimes'."]
    hosts[0]['settings'].update(insecure=False, allow_even_cluster_size='2')
    assert layout(hosts)['problems'] == ["Eventstore_allow_even_cluster_size must be true or false, not '2'."]


def test_timings_may_be_text_and_are_written_as_numbers():
    hosts = [node('n1', '10.0.1.11', settings=dict(SETTINGS, gossip_interval_ms=' 2500 ', gossip_timeout_ms='2600',
                                                   heartbeat_interval_ms='700', heartbeat_timeout_ms='800'))]
    config = layout(hosts)['nodes']['n1']['config']
    assert [config[k] for k in ('GossipIntervalMs', 'GossipTimeoutMs', 'IntTcpHeartbeatInterval',
                                'IntTcpHeartbeatTimeout')] == [2500, 2600, 700, 800]


@pytest.mark.parametrize('key', ['gossip_interval_ms', 'gossip_timeout_ms', 'heartbeat_interval_ms',
                                 'heartbeat_timeout_ms'])
def test_each_timing_must_be_whole_milliseconds(key):
    hosts = [node('n1', '10.0.1.11', settings=dict(SETTINGS, **{key: '1.5'}))]
    assert layout(hosts)['problems'] == [
        "eventstore_%s must be a whole number of milliseconds, not '1.5'." % key]


def test_even_size_with_a_missing_host_is_not_judged():
    assert len(layout(trio()[:2], ['n1', 'n2', 'n3', 'n4'])['problems']) == 1


def test_two_replicas_beside_one_voter_are_named_in_the_plural():
    hosts = [trio()[0], node('r1', '10.0.1.21', read_only=True), node('r2', '10.0.1.22', read_only=True)]
    assert layout(hosts)['problems'] == [
        'r1, r2 are read-only replicas beside a single voter; EventStoreDB 22.10 refuses ReadOnlyReplica with '
        'ClusterSize 1. Add voters (3 is the smallest cluster that survives a failure).']


def test_replicas_beside_two_voters_are_only_an_even_size():
    hosts = trio()[:2] + [node('r1', '10.0.1.21', read_only=True)]
    assert layout(hosts)['problems'] == [
        'ClusterSize 2 is even (voters: n1, n2); an even cluster tolerates no more failures than the next smaller '
        'odd one. Use 1 or 3 voting nodes, or set eventstore_allow_even_cluster_size: true.']


def test_a_single_voter_alone_is_fine():
    assert layout(trio()[:1])['problems'] == []


def test_every_derived_key_of_a_replica_with_other_ports_in_order():
    hosts = trio() + [node('r1', '10.0.1.21', read_only=True, http_port=2114, int_tcp_port=1113)]
    for raw in hosts:
        raw['settings']['cert_common_name'] = 'db-node'
    config = layout(hosts)['nodes']['r1']['config']
    assert list(config.items()) == [
        ('ClusterSize', 3), ('RunProjections', 'All'), ('DiscoverViaDns', False),
        ('GossipSeed', '10.0.1.11:2113,10.0.1.12:2113,10.0.1.13:2113'), ('IntIp', '10.0.1.21'),
        ('ExtIp', '10.0.1.21'), ('HttpPort', 2114), ('IntTcpPort', 1113), ('ReadOnlyReplica', True),
        ('GossipIntervalMs', 2000), ('GossipTimeoutMs', 3000), ('IntTcpHeartbeatInterval', 5000),
        ('IntTcpHeartbeatTimeout', 1000), ('CertificateFile', '/etc/eventstore/certs/node.crt'),
        ('CertificatePrivateKeyFile', '/etc/eventstore/certs/node.key'),
        ('TrustedRootCertificatesPath', '/etc/eventstore/certs/ca'), ('CertificateReservedNodeCommonName', 'db-node')]


def test_insecure_config_in_order():
    hosts = [node('n1', '10.0.1.11', settings=dict(SETTINGS, insecure=True))]
    result = layout(hosts)
    assert list(result['nodes']['n1']['config'].items()) == [
        ('Insecure', True), ('ClusterSize', 1), ('RunProjections', 'All'), ('DiscoverViaDns', False),
        ('IntIp', '10.0.1.11'), ('ExtIp', '10.0.1.11'), ('GossipIntervalMs', 2000), ('GossipTimeoutMs', 3000),
        ('IntTcpHeartbeatInterval', 5000), ('IntTcpHeartbeatTimeout', 1000)]
    assert result['connection_string'] == 'esdb://10.0.1.11:2113?tls=false'


def test_known_options_in_any_case_are_not_unknown_but_clash_with_derived_ones():
    result = layout([node('n1', '10.0.1.11', config={'enableatompubOverHttp': True, 'INTIP': '10.0.1.11'})])
    assert result['problems'] == [
        'Host n1: eventstore.conf would contain IntIp and INTIP, the same option in different letter case, and '
        'EventStoreDB rejects duplicate keys. Spell eventstore_config keys exactly as the role does (IntIp).']


def test_every_unknown_option_is_named():
    result = layout([node('n1', '10.0.1.11', config={'Foo': 1, 'NodeIp': 'x'})])
    assert result['problems'] == [
        'Host n1: eventstore_config has Foo, which is not a 22.10 option; check its spelling against the option '
        'list in the role README, so EventStoreDB 22.10 would refuse to start.',
        'Host n1: eventstore_config has NodeIp, a 23.10+ name; in 22.10 use ExtIp, so EventStoreDB 22.10 would '
        'refuse to start.']


def test_sans_skip_wildcard_addresses_and_take_each_advertised_option():
    config = {'ExtHostAdvertiseAs': 'ext.example.com', 'IntHostAdvertiseAs': 'int.example.com',
              'AdvertiseHostToClientAs': 'client.example.com', 'ExtIp': '::'}
    result = layout([node('n1', '10.0.1.11', names=['n1', ' DNS:n1 ', '  '], config=config,
                          extra_sans=['0.0.0.0', '*.example.com', 'IP:10.0.1.11'])])
    assert result['problems'] == []
    assert result['nodes']['n1']['sans'] == ['IP:10.0.1.11', 'DNS:n1', 'DNS:ext.example.com', 'DNS:int.example.com',
                                             'DNS:client.example.com', 'DNS:*.example.com']


@pytest.mark.parametrize('entry', ['db1.example.com', 'IP:10.0.0.5', 'DNS:db1', '*.example.com', 'fe80::1', 'a',
                                   'DNS:a-b.c', 'IP:fe80::1', 'DNS:*.example.com'])
def test_good_extra_sans(entry):
    assert bad_extra_sans([entry]) == []


@pytest.mark.parametrize('entry', ['bad name!', 'DNS:*', '-db1', 'db1-', 'DNS:', 'a..b!', 'IP:10.0.0.5 x', 'x.*',
                                   'DNS:-db1', 'ip:fe80::1', 'dns:db1'])
def test_bad_extra_sans(entry):
    assert bad_extra_sans([entry, 'good']) == [entry]


@pytest.mark.parametrize('entry', ['IP:999.1.1.1', 'IP:example.com', '999.1.1.1', 'DNS:10.0.0.5', 'db.123'])
def test_extra_sans_must_be_what_their_prefix_says(entry):
    assert bad_extra_sans([entry, 'IP:10.0.0.5', 'DNS:db1.example.com', '10.0.0.5', 'db1.example.com']) == [entry]


def test_one_cluster_tag_everywhere_is_fine():
    assert layout([dict(n, cluster='esdb') for n in trio()])['problems'] == []


def test_bad_extra_sans_are_listed_together():
    result = layout([node('n1', '10.0.1.11', extra_sans=['a b', 'ok', 'c/d'])])
    assert result['problems'] == [
        "Host n1: eventstore_extra_sans has entries that are not an IP address (plain or IP:) or a DNS name (plain "
        "or DNS:): a b, c/d. Use names like 'db1.example.com', 'IP:10.0.0.5'."]


@pytest.mark.parametrize('value, expected', [(1, 1), ('65535', 65535), (' 80 ', 80)])
def test_to_port_takes_numbers_and_text(value, expected):
    assert to_port(value, 'p') == expected


@pytest.mark.parametrize('value', [0, 65536, 'x', True, False, None])
def test_to_port_names_what_and_the_value(value):
    with pytest.raises(ValueError) as caught:
        to_port(value, 'the port')
    assert str(caught.value) == 'the port must be a port number from 1 to 65535, not %r' % (value,)


def test_to_bool_names_what_and_the_value():
    with pytest.raises(ValueError) as caught:
        to_bool('maybe', 'the flag')
    assert str(caught.value) == "the flag must be true or false, not 'maybe'"
    assert to_bool(True, 'x') is True and to_bool(False, 'x') is False


def test_a_leaving_hosts_bad_port_and_missing_address_are_named():
    hosts = trio() + [node('n4', '10.0.1.14', http_port='x'), dict(node('n5', ''), addresses={})]
    assert layout(hosts, ['n1', 'n2', 'n3'], leaving=['n4', 'n5'])['problems'] == [
        "Eventstore_http_port of host n4 must be a port number from 1 to 65535, not 'x'.",
        'Host n5 has no node address: set eventstore_node_ip (or private_ip_address) for hosts whose address '
        'cannot be discovered.']


def test_every_leaving_host_is_listed_when_one_has_a_members_address():
    hosts = trio() + [node('n4', '10.0.1.14'), node('n5', '10.0.1.12')]
    assert layout(hosts, ['n1', 'n2', 'n3'], leaving=['n4', 'n5'])['problems'] == [
        'A leaving host has the address of a member: n4=10.0.1.14:2113, n5=10.0.1.12:2113.']


def test_no_member_in_the_play_gives_an_empty_cluster_and_names_the_missing_host():
    result = layout([], ['n1'])
    assert result['problems'][:1] == [
        "Cannot derive the cluster of group 'eventstore': n1 is not in this play. Run the play on every member of "
        "the group (no --limit to a subset)."]
    assert (result['members'], result['cluster_size'], result['connection_string']) == ([], 0, 'esdb://?tls=true')


def test_a_bad_insecure_keeps_tls_and_a_bad_even_allowance_refuses_an_even_size():
    hosts = [node('n%d' % i, '10.0.1.1%d' % i, settings=dict(SETTINGS, insecure='tls')) for i in (1, 2, 3)]
    result = layout(hosts)
    assert result['problems'] == ["Eventstore_insecure must be true or false, not 'tls'."]
    assert 'Insecure' not in result['nodes']['n1']['config'] and result['connection_string'].endswith('tls=true')
    hosts = [node('n%d' % i, '10.0.1.1%d' % i, settings=dict(SETTINGS, allow_even_cluster_size='2'))
             for i in (1, 2)]
    assert layout(hosts)['problems'] == [
        "Eventstore_allow_even_cluster_size must be true or false, not '2'.",
        'ClusterSize 2 is even (voters: n1, n2); an even cluster tolerates no more failures than the next smaller '
        'odd one. Use 1 or 3 voting nodes, or set eventstore_allow_even_cluster_size: true.']


def test_a_key_that_differs_in_more_than_case_is_not_a_duplicate():
    # The dotless i upper-cases to I, yet ClusterSıze is another name, not ClusterSize in other letters.
    result = layout([node('n1', '10.0.1.11', config={'ClusterS\u0131ze': 3})])
    assert result['problems'] == [
        'Host n1: eventstore_config has ClusterS\u0131ze, which is not a 22.10 option; check its spelling against '
        'the option list in the role README, so EventStoreDB 22.10 would refuse to start.']
