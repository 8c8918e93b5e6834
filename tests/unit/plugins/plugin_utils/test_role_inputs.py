"""role_input_problems: every variable of the eventstore role checked once, one sentence per bad value."""

import pytest

from ansible_collections.esdb.cluster.plugins.plugin_utils.cluster_layout import cluster_layout
from ansible_collections.esdb.cluster.plugins.plugin_utils.role_inputs import (
    BOOLEANS,
    INTEGERS,
    OWNED_OPTIONS,
    config_problems,
    dropin_problems,
    is_boolean,
    role_input_problems,
    whole_number,
)

# The role's defaults, as preflight passes them (templated ones rendered).
GOOD = {
    'eventstore_group': 'eventstore', 'eventstore_cluster_name': 'esdb', 'eventstore_leaving_group': 'eventstore_leaving',
    'eventstore_allow_even_cluster_size': False, 'eventstore_version': '22.10.0', 'eventstore_apt_repo_url': '',
    'eventstore_apt_key_url': 'https://packagecloud.io/EventStore/EventStore-OSS/gpgkey', 'eventstore_apt_suite': '',
    'eventstore_deb_file': '', 'eventstore_hold_package': True, 'eventstore_wait_for_cloud_init': True,
    'eventstore_apt_lock_timeout': 600, 'eventstore_http_port': 2113, 'eventstore_int_tcp_port': 1112,
    'eventstore_insecure': False, 'eventstore_admin_password': 'a-secret', 'eventstore_ops_password': 'o-secret',
    'eventstore_allow_default_passwords': False, 'eventstore_pki_dir': '/home/u/.local/share/esdb.cluster/pki/esdb',
    'eventstore_ca_cert': '', 'eventstore_ca_key': '', 'eventstore_ca_common_name': 'EventStoreDB CA esdb',
    'eventstore_ca_valid_days': 3650, 'eventstore_cert_common_name': 'eventstoredb-node',
    'eventstore_cert_valid_days': 825, 'eventstore_cert_renew_days': 30, 'eventstore_extra_sans': [],
    'eventstore_cert_dir': '/etc/eventstore/certs', 'eventstore_run_projections': 'All',
    'eventstore_gossip_interval_ms': 2000, 'eventstore_gossip_timeout_ms': 3000,
    'eventstore_int_tcp_heartbeat_interval': 5000, 'eventstore_int_tcp_heartbeat_timeout': 1000,
    'eventstore_config': {}, 'eventstore_limit_nofile': 65536, 'eventstore_systemd_service_extra': {},
    'eventstore_wait_timeout': 300, 'eventstore_catch_up_max_lag': 1048576, 'eventstore_status_validate_certs': True,
    'eventstore_read_only_replica': False, 'eventstore_node_cert_file': '', 'eventstore_node_key_file': '',
    'eventstore_restart_action': 'restart', 'eventstore_restart_hosts': [], 'eventstore_restart_force': False,
    'eventstore_time_sync': False, 'eventstore_time_sync_servers': ['169.254.169.123'],
    'eventstore_max_clock_skew': 5, 'eventstore_allow_cluster_size_change': False,
    'eventstore_scavenge_threads': 1, 'eventstore_scavenge_start_from_chunk': 0,
    'eventstore_scavenge_wait_timeout': 3600, 'eventstore_scavenge_leader': True,
    'eventstore_backup_s3_bucket': '', 'eventstore_backup_s3_prefix': 'esdb-backups',
    'eventstore_backup_s3_kms_key_id': '', 'eventstore_backup_keep_local': True, 'eventstore_restore_from': '',
}


def problems(**changes):
    return role_input_problems(dict(GOOD, **changes), 'n1', ['n1', 'n2', 'n3'])


def test_the_defaults_have_no_problem():
    assert problems() == []


BAD = [
    # Booleans: only forms every supported ansible-core's `bool` reads the same way.
    ('string boolean', dict(eventstore_insecure='maybe'),
     "Host n1: eventstore_insecure must be true or false, not 'maybe'."),
    ('padded boolean', dict(eventstore_allow_default_passwords=' false'),
     "Host n1: eventstore_allow_default_passwords must be true or false, not ' false'."),
    ('two as boolean', dict(eventstore_hold_package=2), 'Host n1: eventstore_hold_package must be true or false, not 2.'),
    ('list as boolean', dict(eventstore_restart_force=[]), 'Host n1: eventstore_restart_force must be true or false, not [].'),
    ('short y', dict(eventstore_wait_for_cloud_init='y'),
     "Host n1: eventstore_wait_for_cloud_init must be true or false, not 'y'."),
    ('none as boolean', dict(eventstore_status_validate_certs=None),
     'Host n1: eventstore_status_validate_certs must be true or false, not None.'),
    # Integers and their ranges.
    ('port 0', dict(eventstore_http_port=0), 'Host n1: eventstore_http_port must be a port number from 1 to 65535, not 0.'),
    ('port 65536', dict(eventstore_int_tcp_port='65536'),
     "Host n1: eventstore_int_tcp_port must be a port number from 1 to 65535, not '65536'."),
    ('5000-digit port', dict(eventstore_http_port='9' * 5000),
     "Host n1: eventstore_http_port must be a port number from 1 to 65535, not '%s...." % ('9' * 56)),
    ('true as port', dict(eventstore_http_port=True), 'Host n1: eventstore_http_port must be a port number from 1 to 65535, not True.'),
    ('float as port', dict(eventstore_http_port=2113.5),
     'Host n1: eventstore_http_port must be a port number from 1 to 65535, not 2113.5.'),
    ('same HTTP and TCP port', dict(eventstore_http_port=2113, eventstore_int_tcp_port='2113'),
     'Host n1: eventstore_http_port and eventstore_int_tcp_port are both 2113; the node cannot bind one port twice. '
     'Give them different ports.'),
    ('zero CA days', dict(eventstore_ca_valid_days=0),
     'Host n1: eventstore_ca_valid_days must be a whole number of days from 1 to 36500, not 0.'),
    ('renew as long as valid', dict(eventstore_cert_renew_days=825),
     'Host n1: eventstore_cert_renew_days (825) must be smaller than eventstore_cert_valid_days (825); otherwise every '
     'run reissues the node certificates and restarts every node.'),
    ('renew longer than valid', dict(eventstore_cert_renew_days='90', eventstore_cert_valid_days='60'),
     'Host n1: eventstore_cert_renew_days (90) must be smaller than eventstore_cert_valid_days (60); otherwise every '
     'run reissues the node certificates and restarts every node.'),
    ('negative wait', dict(eventstore_wait_timeout=-1),
     'Host n1: eventstore_wait_timeout must be a whole number of seconds from 1 to 2147483647, not -1.'),
    ('zero wait', dict(eventstore_wait_timeout='0'),
     "Host n1: eventstore_wait_timeout must be a whole number of seconds from 1 to 2147483647, not '0'."),
    ('negative lag', dict(eventstore_catch_up_max_lag=-5),
     'Host n1: eventstore_catch_up_max_lag must be a whole number of bytes from 0 to 4611686018427387904, not -5.'),
    ('text gossip timing', dict(eventstore_gossip_interval_ms='2s'),
     "Host n1: eventstore_gossip_interval_ms must be a whole number of milliseconds from 1 to 2147483647, not '2s'."),
    ('zero heartbeat', dict(eventstore_int_tcp_heartbeat_timeout=0),
     'Host n1: eventstore_int_tcp_heartbeat_timeout must be a whole number of milliseconds from 1 to 2147483647, not 0.'),
    ('infinite files', dict(eventstore_limit_nofile='infinity'),
     "Host n1: eventstore_limit_nofile must be a whole number of files from 1 to 1073741824, not 'infinity'."),
    ('negative apt lock wait', dict(eventstore_apt_lock_timeout=-1),
     'Host n1: eventstore_apt_lock_timeout must be a whole number of seconds from 0 to 2147483647, not -1.'),
    # Lists.
    ('SANs as text', dict(eventstore_extra_sans='db1.example.com'),
     "Host n1: eventstore_extra_sans must be a list, not the text 'db1.example.com'; write it as a YAML list: "
     "['db1.example.com']."),
    ('SANs as mapping', dict(eventstore_extra_sans={'a': 1}), "Host n1: eventstore_extra_sans must be a list, not {'a': 1}."),
    ('SAN not text', dict(eventstore_extra_sans=['db1', 5]),
     'Host n1: eventstore_extra_sans must list names as text, one line each; these entries are not: 5.'),
    ('bad IP SANs', dict(eventstore_extra_sans=['IP:999.1.1.1', 'IP:example.com', '999.1.1.1', 'db1.example.com']),
     'Host n1: eventstore_extra_sans has entries that are not an IP address (plain or IP:) or a DNS name (plain or DNS:): '
     "IP:999.1.1.1, IP:example.com, 999.1.1.1. Use names like 'db1.example.com', 'IP:10.0.0.5'."),
    ('restart hosts as text', dict(eventstore_restart_hosts='n1,n2'),
     "Host n1: eventstore_restart_hosts must be a list, not the text 'n1,n2'; write it as a YAML list: ['n1,n2']."),
    ('restart host outside the cluster', dict(eventstore_restart_hosts=['n1', 'n9', 'n8']),
     'Host n1: eventstore_restart_hosts names n9, n8, which are not a member of the cluster; name hosts of the '
     'inventory group.'),
    ('one restart host outside', dict(eventstore_restart_hosts=['n9']),
     'Host n1: eventstore_restart_hosts names n9, which is not a member of the cluster; name hosts of the inventory group.'),
    ('empty restart host', dict(eventstore_restart_hosts=['']),
     "Host n1: eventstore_restart_hosts must list names as text, one line each; these entries are not: ''."),
    # Passwords: refused when not text, never quoted back.
    ('integer password', dict(eventstore_admin_password=123456),
     'Host n1: eventstore_admin_password must be text, not a number; quote it in YAML (an unquoted number loses '
     'leading zeros and changes form, so the role refuses rather than guesses).'),
    ('list password', dict(eventstore_ops_password=['x']),
     'Host n1: eventstore_ops_password must be text, not a list; quote it in YAML (an unquoted number loses '
     'leading zeros and changes form, so the role refuses rather than guesses).'),
    ('password with a line break', dict(eventstore_ops_password='pw\nsecret'),
     'Host n1: eventstore_ops_password contains a control character (a line break or tab), which EventStoreDB logins '
     'cannot carry; set a one-line password.'),
    # Free text and names.
    ('cluster name with a path', dict(eventstore_cluster_name='../x'),
     "Host n1: eventstore_cluster_name must be a name of letters, digits, '.', '_' and '-' (no '/', no '..'), "
     "not '../x'; it becomes a directory name."),
    ('cluster name with a slash', dict(eventstore_cluster_name='a/b'),
     "Host n1: eventstore_cluster_name must be a name of letters, digits, '.', '_' and '-' (no '/', no '..'), "
     "not 'a/b'; it becomes a directory name."),
    ('cluster name with a line break', dict(eventstore_cluster_name='a\nInsecure: true'),
     "Host n1: eventstore_cluster_name must be a name of letters, digits, '.', '_' and '-' (no '/', no '..'), "
     "not 'a\\nInsecure: true'; it becomes a directory name."),
    ('cluster name dot dot inside', dict(eventstore_cluster_name='a..b'),
     "Host n1: eventstore_cluster_name must be a name of letters, digits, '.', '_' and '-' (no '/', no '..'), "
     "not 'a..b'; it becomes a directory name."),
    ('group name as number', dict(eventstore_group=5),
     "Host n1: eventstore_group must be a name of letters, digits, '.', '_' and '-' (no '/', no '..'), "
     'not 5; it becomes a directory name.'),
    ('version as float', dict(eventstore_version=22.10),
     "Host n1: eventstore_version must be the full package version as quoted text x.y.z, for example '22.10.0', "
     'not 22.1 (YAML reads an unquoted 22.10 as the number 22.1).'),
    ('version x.y', dict(eventstore_version='22.10'),
     "Host n1: eventstore_version must be the full package version as quoted text x.y.z, for example '22.10.0', "
     "not '22.10'."),
    ('version with a line break', dict(eventstore_version='22.10.0\nInsecure: true'),
     "Host n1: eventstore_version must be the full package version as quoted text x.y.z, for example '22.10.0', "
     "not '22.10.0\\nInsecure: true'."),
    ('PKI dir with a line break', dict(eventstore_pki_dir='/tmp/a\nb'),
     "Host n1: eventstore_pki_dir contains a control character (a line break or tab): '/tmp/a\\nb'; give it on one line."),
    ('node IP not text', dict(eventstore_node_ip=['10.0.0.1']),
     "Host n1: eventstore_node_ip must be text, not ['10.0.0.1']."),
    ('projections', dict(eventstore_run_projections='Some'),
     "Host n1: eventstore_run_projections must be one of None, System, All, not 'Some'."),
    # eventstore_config.
    ('config not a mapping', dict(eventstore_config=['Db']),
     "Host n1: eventstore_config must be a mapping of eventstore.conf options, not ['Db']."),
    ('config owns ClusterSize', dict(eventstore_config={'ClusterSize': 5}),
     'Host n1: eventstore_config sets ClusterSize, which the role derives from the members of the inventory group; '
     'remove it from eventstore_config.'),
    ('config owns insecure in any case', dict(eventstore_config={'insecure': True}),
     'Host n1: eventstore_config sets insecure, which the role derives from eventstore_insecure; remove it from '
     'eventstore_config.'),
    ('config WhatIf', dict(eventstore_config={'WhatIf': True}),
     'Host n1: eventstore_config sets WhatIf, which the role derives from nothing (the role runs --what-if itself; in '
     'the file it stops the node from starting); remove it from eventstore_config.'),
    ('config secret', dict(eventstore_config={'CertificatePassword': 's3cret'}),
     'Host n1: eventstore_config sets CertificatePassword, a secret that would show in --diff and verbose output; '
     'remove it (the role installs PEM keys, which need no password).'),
    ('config default admin password', dict(eventstore_config={'DefaultAdminPassword': 's3cret'}),
     'Host n1: eventstore_config sets DefaultAdminPassword, a secret that would show in --diff and verbose output; '
     'remove it (set eventstore_admin_password instead).'),
    ('config null', dict(eventstore_config={'Db': None}),
     'Host n1: eventstore_config has no value for Db (null); give a value or remove the key.'),
    ('config mapping value', dict(eventstore_config={'Db': {'path': '/x'}}),
     "Host n1: eventstore_config Db must be a single value or a list, not a mapping: {'path': '/x'}."),
    ('config list with a null', dict(eventstore_config={'IntHostAdvertiseAs': ['a', None]}),
     "Host n1: eventstore_config IntHostAdvertiseAs must be text, a number, true/false or a list of those, not "
     "['a', None]."),
    ('config nested list', dict(eventstore_config={'IntHostAdvertiseAs': [['a']]}),
     "Host n1: eventstore_config IntHostAdvertiseAs must be text, a number, true/false or a list of those, not "
     "[['a']]."),
    ('config list item with a line break', dict(eventstore_config={'Db': ['ok', 'x\nInsecure: true']}),
     "Host n1: eventstore_config Db contains a control character (a line break or tab): ['ok', 'x\\nInsecure: true']; "
     'give it on one line.'),
    ('config value with a line break', dict(eventstore_config={'Db': '/x\nInsecure: true'}),
     "Host n1: eventstore_config Db contains a control character (a line break or tab): '/x\\nInsecure: true'; "
     'give it on one line.'),
    ('config key not a name', dict(eventstore_config={'Db\nInsecure': 1}),
     "Host n1: eventstore_config has the key 'Db\\nInsecure', which is not an option name (letters and digits)."),
    ('config ExtTcpPort 0', dict(eventstore_config={'ExtTcpPort': 0}),
     'Host n1: eventstore_config ExtTcpPort must be a port number from 1 to 65535, not 0.'),
    ('config ExtTcpPort clash', dict(eventstore_config={'ExtTcpPort': '2113'}),
     'Host n1: eventstore_config ExtTcpPort is 2113, the port of HttpPort (eventstore_http_port); give it a port of '
     'its own.'),
    # The systemd drop-in.
    ('drop-in not a mapping', dict(eventstore_systemd_service_extra='Nice=5'),
     "Host n1: eventstore_systemd_service_extra must be a mapping of [Service] directives, not 'Nice=5'."),
    ('drop-in value with a line break', dict(eventstore_systemd_service_extra={'Nice': '5\nExecStartPre=/bin/sh'}),
     "Host n1: eventstore_systemd_service_extra Nice contains a control character (a line break or tab): "
     "'5\\nExecStartPre=/bin/sh'; a line break would add a directive. Give it on one line."),
    ('drop-in key with a line break', dict(eventstore_systemd_service_extra={'Nice\nExecStartPre': '/bin/sh'}),
     "Host n1: eventstore_systemd_service_extra has the key 'Nice\\nExecStartPre', which is not a systemd directive "
     'name (a capital letter, then letters and digits, like TimeoutStartSec).'),
    ('drop-in key with =', dict(eventstore_systemd_service_extra={'Nice=1 X': '5'}),
     "Host n1: eventstore_systemd_service_extra has the key 'Nice=1 X', which is not a systemd directive "
     'name (a capital letter, then letters and digits, like TimeoutStartSec).'),
    ('drop-in LimitNOFILE', dict(eventstore_systemd_service_extra={'LimitNOFILE': 1}),
     'Host n1: eventstore_systemd_service_extra sets LimitNOFILE; set eventstore_limit_nofile instead.'),
    ('drop-in null', dict(eventstore_systemd_service_extra={'Nice': None}),
     'Host n1: eventstore_systemd_service_extra Nice must be a single value, not None.'),
    # Time.
    ('time sync as text', dict(eventstore_time_sync='sometimes'),
     "Host n1: eventstore_time_sync must be true or false, not 'sometimes'."),
    ('size change as text', dict(eventstore_allow_cluster_size_change='please'),
     "Host n1: eventstore_allow_cluster_size_change must be true or false, not 'please'."),
    ('negative clock skew', dict(eventstore_max_clock_skew=-1),
     'Host n1: eventstore_max_clock_skew must be a whole number of seconds from 0 to 86400, not -1.'),
    ('fractional clock skew', dict(eventstore_max_clock_skew=0.5),
     'Host n1: eventstore_max_clock_skew must be a whole number of seconds from 0 to 86400, not 0.5.'),
    ('time server as text', dict(eventstore_time_sync_servers='169.254.169.123'),
     "Host n1: eventstore_time_sync_servers must be a list, not the text '169.254.169.123'; write it as a YAML "
     "list: ['169.254.169.123']."),
    ('no time server', dict(eventstore_time_sync_servers=[]),
     "Host n1: eventstore_time_sync_servers is empty; list at least one NTP server, for example "
     "['169.254.169.123'] (the Amazon Time Sync Service)."),
    ('time server with chrony options', dict(eventstore_time_sync_servers=['10.0.0.2 maxpoll 17', 'ntp.example.org']),
     'Host n1: eventstore_time_sync_servers must list host names or IP addresses (no spaces or options); these '
     "are not: '10.0.0.2 maxpoll 17'."),
    # The scavenge entry point's options: 22.10 refuses threads below 1 and a negative chunk.
    ('no scavenge threads', dict(eventstore_scavenge_threads=0),
     'Host n1: eventstore_scavenge_threads must be a whole number of threads from 1 to 2147483647, not 0.'),
    ('scavenge threads as words', dict(eventstore_scavenge_threads='abc'),
     "Host n1: eventstore_scavenge_threads must be a whole number of threads from 1 to 2147483647, not 'abc'."),
    ('negative first chunk', dict(eventstore_scavenge_start_from_chunk='-1'),
     "Host n1: eventstore_scavenge_start_from_chunk must be a whole number of chunks from 0 to 2147483647, not '-1'."),
    ('scavenge wait of a week', dict(eventstore_scavenge_wait_timeout=604800),
     'Host n1: eventstore_scavenge_wait_timeout must be a whole number of seconds from 1 to 86400, not 604800.'),
    ('scavenge leader maybe', dict(eventstore_scavenge_leader='later'),
     "Host n1: eventstore_scavenge_leader must be true or false, not 'later'."),
    # The backup and restore entry points' S3 options (checked there, before anything is read).
    ('keep local copy maybe', dict(eventstore_backup_keep_local='sometimes'),
     "Host n1: eventstore_backup_keep_local must be true or false, not 'sometimes'."),
    ('bucket as a list', dict(eventstore_backup_s3_bucket=['a', 'b']),
     "Host n1: eventstore_backup_s3_bucket must be text, not ['a', 'b']."),
    ('prefix over two lines', dict(eventstore_backup_s3_prefix='esdb\nbackups'),
     "Host n1: eventstore_backup_s3_prefix contains a control character (a line break or tab): 'esdb\\nbackups'; "
     'give it on one line.'),
    ('restore source as a number', dict(eventstore_restore_from=20261130),
     'Host n1: eventstore_restore_from must be text, not 20261130.'),
]


@pytest.mark.parametrize('case,changes,sentence', BAD, ids=[row[0] for row in BAD])
def test_each_bad_value_is_one_sentence_naming_host_variable_and_value(case, changes, sentence):
    assert problems(**changes) == [sentence], case


def test_time_servers_take_names_and_addresses_of_both_families():
    assert problems(eventstore_time_sync_servers=['169.254.169.123', 'fd00:ec2::123', 'time.aws.com']) == []


def test_host_name_with_a_line_break_is_refused():
    assert role_input_problems({}, 'n1\nInsecure: true') == [
        "Host name 'n1\\nInsecure: true' contains a control character; rename the host in the inventory (it is "
        'written into eventstore.conf and the certificate names).']


def test_passwords_are_never_quoted_back():
    for bad in ('pw\n0123-secret', 99990123):
        sentences = problems(eventstore_admin_password=bad)
        assert sentences and '0123' not in ' '.join(sentences)


@pytest.mark.parametrize('given', [True, False, 'true', 'False', 'YES', 'no', 'on', 'Off', '1', '0', 1, 0])
def test_booleans_every_ansible_core_reads_alike_are_taken(given):
    assert is_boolean(given)
    assert problems(**{name: given for name in BOOLEANS}) == []


@pytest.mark.parametrize('given,number', [(5, 5), ('5', 5), (' 7 ', 7), ('-3', -3), (True, None), ('5.0', None),
                                          (5.0, None), (None, None), ('', None), ('9' * 20, None)])
def test_whole_numbers(given, number):
    assert whole_number(given) == number


def test_integers_as_text_within_range_are_taken():
    assert problems(**{name: str(low) for name, (low, _high, _unit) in INTEGERS.items()
                       if name != 'eventstore_cert_valid_days' and name != 'eventstore_int_tcp_port'}) == []
    assert problems(**{name: str(high) for name, (_low, high, _unit) in INTEGERS.items()
                       if name not in ('eventstore_cert_renew_days', 'eventstore_int_tcp_port')}) == []


def test_only_variables_given_are_checked_and_restart_hosts_unchecked_without_known_hosts():
    assert role_input_problems({}, 'n1') == []
    assert role_input_problems({'eventstore_restart_hosts': ['n9']}, 'n1') == []


def test_good_config_and_drop_in_values():
    assert config_problems({'Db': '/data', 'NodePriority': 5, 'EnableAtomPubOverHttp': True, 'ExtTcpPort': 1113,
                            'ChunksCacheSize': 536871424.0, 'IntHostAdvertiseAs': ['a', 1, True]},
                           {'eventstore_http_port': 2113}) == []
    assert dropin_problems({'TimeoutStartSec': 90, 'Nice': '5', 'NoNewPrivileges': True}) == []


def test_several_problems_are_all_named():
    assert len(problems(eventstore_insecure='maybe', eventstore_http_port=0, eventstore_config={'Db': None})) == 3


def test_extra_tcp_port_clashes_with_int_tcp_port_too():
    assert config_problems({'ExtTcpPort': 1112}, {'eventstore_http_port': 2113, 'eventstore_int_tcp_port': 1112}) == [
        'eventstore_config ExtTcpPort is 1112, the port of IntTcpPort (eventstore_int_tcp_port); give it a port of its own.']


def test_every_option_the_layout_derives_is_owned():
    """No eventstore.conf key the role writes may be set again through eventstore_config."""
    settings = dict(insecure=False, run_projections='All', gossip_interval_ms=1, gossip_timeout_ms=2,
                    heartbeat_interval_ms=3, heartbeat_timeout_ms=4, cert_common_name='other', cert_dir='/c',
                    allow_even_cluster_size=True)
    nodes = [dict(name='n%d' % i, addresses=dict(node_ip='10.0.0.%d' % i), http_port=2114, int_tcp_port=1113,
                  read_only=i == 3, config={}, extra_sans=[], names=[], settings=dict(settings)) for i in (1, 2, 3)]
    derived = set(cluster_layout(nodes, ['n1', 'n2', 'n3'])['nodes']['n3']['config'])
    for raw in nodes:
        raw['settings']['insecure'] = True
    derived |= set(cluster_layout(nodes, ['n1', 'n2', 'n3'])['nodes']['n3']['config'])
    assert derived - set(OWNED_OPTIONS) == set()
    assert set(OWNED_OPTIONS) - derived == {'WhatIf', 'Config'}
