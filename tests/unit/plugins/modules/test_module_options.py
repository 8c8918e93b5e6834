"""The options of every module: documented as declared, and bad values refused in one exact line each,
table-driven over every module that takes them, before any request."""

import json

import pytest
import yaml
from ansible.module_utils import basic

from ansible_collections.esdb.cluster.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.esdb.cluster.plugins.module_utils import account_password as password_utils
from ansible_collections.esdb.cluster.plugins.module_utils import admin_client, gossip_client
from ansible_collections.esdb.cluster.plugins.modules import account_password, cluster_status, leader_resign, scavenge
from ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http import ModuleFail, patch_module_args, run_module

MODULES = {
    'cluster_status': (cluster_status, {}),
    'leader_resign': (leader_resign, {}),
    'account_password': (account_password, dict(account='admin', password='n3w', url_username='admin',
                                                url_password='old')),
    'scavenge': (scavenge, dict(node='10.0.1.12')),
}
TRIO = ['10.0.1.11', '10.0.1.12', '10.0.1.13']
# Ansible's own exit functions (captured before the autouse fixture replaces them), for the tests
# that read what Ansible really prints.
REAL_EXITS = dict(exit_json=basic.AnsibleModule.exit_json, fail_json=basic.AnsibleModule.fail_json)
PORT = "the port must be a number from 1 to 65535 (EventStoreDB's default is 2113)"
LONG_PORT = '5' * 5000
CERT = '-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n'


def limits(name, value, least='more than 0', why=''):
    return '%s %s must be %s seconds, and at most 86400%s' % (name, value, least, why)


def not_a_number(name, value, least='more than 0', why=''):
    return '%s %s is not a number of seconds; give a finite number, %s and at most 86400%s' % (name, value, least, why)


COMMON = [
    ({'nodes': ['https://ops:s3cret@10.0.1.11']},
     "node 'https://ops:********@10.0.1.11' carries credentials in the address; give only the node and set "
     "url_username and url_password instead"),
    ({'nodes': ['ops:s3cret@10.0.1.11:2113']},
     "node 'ops:********@10.0.1.11:2113' carries credentials in the address; give only the node and set "
     "url_username and url_password instead"),
    ({'nodes': ['10.0.1.11:' + LONG_PORT]},
     "node '10.0.1.11:555555555555555555555555555555'... (5010 characters) has port "
     "'5555555555555555555555555555555555555555'... (5000 characters); " + PORT),
    ({'nodes': ['10.0.1.11:²']}, "node '10.0.1.11:²' has port '²'; " + PORT),
    ({'nodes': [10]}, "node '10' is neither an IPv4 address nor a host name; write four numbers from 0 to 255 "
                      "(quote it in YAML so it stays text)"),
    ({'nodes': ['10.0.0.300']}, "node '10.0.0.300' is neither an IPv4 address nor a host name; write four numbers "
                                "from 0 to 255 (quote it in YAML so it stays text)"),
    ({'nodes': ['fd00::11']}, "node 'fd00::11' looks like an IPv6 address without brackets; write [address] or "
                              "https://[address]:2113"),
    ({'nodes': ['[fd00::1::2]']}, "node '[fd00::1::2]' has [fd00::1::2], which is not an IPv6 address"),
    ({'nodes': ['10.0.1.11', 'https://10.0.1.11:2113']},
     "node 'https://10.0.1.11:2113' is the same node as '10.0.1.11' (10.0.1.11:2113); list each node once"),
    ({'nodes': ['Node1.internal', 'http://node1.INTERNAL:2113']},
     "node 'http://node1.INTERNAL:2113' is the same node as 'Node1.internal' (node1.INTERNAL:2113); "
     "list each node once"),
    ({'nodes': ['ho$t']}, "node 'ho$t' has host 'ho$t', which is not a host name (letters, digits, '-', '.')"),
    ({'timeout': 'nan'}, not_a_number('timeout', 'nan')),
    ({'timeout': 'inf'}, not_a_number('timeout', 'inf')),
    ({'timeout': 0}, limits('timeout', 0)),
    ({'timeout': -1}, limits('timeout', -1)),
    ({'timeout': 86401}, limits('timeout', 86401)),
    ({'interval': 'nan'}, not_a_number('interval', 'nan')),
    ({'interval': '-inf'}, not_a_number('interval', '-inf')),
    ({'interval': 0}, limits('interval', 0)),
    ({'interval': -0.5}, limits('interval', -0.5)),
    ({'expected_size': 0}, 'expected_size 0 must be from 1 to 1000 (the ClusterSize of the nodes)'),
    ({'expected_size': 10 ** 30}, 'expected_size of 31 digits must be from 1 to 1000 (the ClusterSize of the nodes)'),
    ({'ca_path': '/nonexistent/ca.crt'},
     'ca_path /nonexistent/ca.crt cannot be read (No such file or directory); give the path of a readable PEM '
     'file with the CA certificate'),
    ({'ca_path': '{tmp}'},
     'ca_path {tmp} cannot be read (Is a directory); give the path of a readable PEM file with the CA certificate'),
    ({'ca_path': '{tmp}/ca.der'},
     'ca_path {tmp}/ca.der is not a PEM file with a CA certificate (no -----BEGIN ...CERTIFICATE----- line)'),
    ({'ca_path': '{tmp}/broken.crt'},
     'ca_path {tmp}/broken.crt has a CERTIFICATE block that is not a valid certificate; give the cluster CA '
     'certificate in PEM'),
    ({'client_cert': '{tmp}/ca.der'},
     'client_cert {tmp}/ca.der is not a PEM file with a certificate (no -----BEGIN ...CERTIFICATE----- line)'),
    ({'client_cert': '{tmp}/broken.crt', 'client_key': '{tmp}/broken.crt'},
     'client_key {tmp}/broken.crt is not a PEM file with a private key (no -----BEGIN ...PRIVATE KEY----- line)'),
]
WAITS = {
    'cluster_status': [
        ({'max_clock_skew': 'nan'}, not_a_number('max_clock_skew', 'nan', '0 or more')),
        ({'max_clock_skew': -1}, limits('max_clock_skew', -1, '0 or more')),
        ({'wait_timeout': -5}, limits('wait_timeout', -5, '0 or more', ' (0 checks once)')),
        ({'wait_timeout': 'nan'}, not_a_number('wait_timeout', 'nan', '0 or more', ' (0 checks once)')),
        ({'wait_timeout': 'inf'}, not_a_number('wait_timeout', 'inf', '0 or more', ' (0 checks once)')),
    ],
    'account_password': [
        ({'wait_timeout': -5}, limits('wait_timeout', -5, '0 or more', ' (0 checks once)')),
        ({'wait_timeout': 'inf'}, not_a_number('wait_timeout', 'inf', '0 or more', ' (0 checks once)')),
    ],
    'leader_resign': [
        ({'wait_timeout': 0}, limits('wait_timeout', 0, why='; an election after a resignation takes a few seconds')),
        ({'wait_timeout': 'nan'}, not_a_number('wait_timeout', 'nan',
                                               why='; an election after a resignation takes a few seconds')),
    ],
    'scavenge': [
        ({'wait_timeout': -1}, limits('wait_timeout', -1, '0 or more', ' (0 reads the progress once)')),
        ({'threads': 0, 'timeout': 0}, limits('timeout', 0) + '; threads is 0; give 1 or more'),
        ({'node': '10.0.1.14'}, 'node 10.0.1.14:2113 is not one of nodes (10.0.1.11:2113, 10.0.1.12:2113, '
                                '10.0.1.13:2113); add it to nodes, written with the same host and port'),
    ],
}
CASES = [pytest.param(name, args, message, id='%s-%d' % (name, index))
         for name in MODULES for index, (args, message) in enumerate(COMMON + WAITS[name])]


SECRETS = {'cluster_status': ['url_password'], 'leader_resign': ['url_password'], 'scavenge': ['url_password'],
           'account_password': ['url_password', 'password', 'login_fallbacks']}


@pytest.mark.parametrize('name', sorted(MODULES))
def test_argument_spec_matches_the_documentation(name):
    module = MODULES[name][0]
    documented = yaml.safe_load(module.DOCUMENTATION)['options']
    shared = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    assert not set(documented) & set(shared), 'an option documented twice'
    documented.update(shared)
    spec = module.argument_spec()
    assert sorted(documented) == sorted(spec)
    for option_name, option in spec.items():
        for key in ('type', 'elements', 'choices', 'required'):
            assert documented[option_name].get(key) == option.get(key), (option_name, key)
        assert documented[option_name].get('default') == option.get('default'), option_name
    assert sorted(o for o in spec if spec[o].get('no_log')) == sorted(SECRETS[name])


def real_exits(monkeypatch):
    for name, function in REAL_EXITS.items():
        monkeypatch.setattr(basic.AnsibleModule, name, function)


@pytest.fixture
def no_requests(monkeypatch):
    calls = []

    def opener(url, **kwargs):
        calls.append(url)
        raise AssertionError('no request may be sent before the options are checked: %s' % url)

    for where in (gossip_client, admin_client, password_utils):
        monkeypatch.setattr(where, 'open_url', opener)
    return calls


@pytest.fixture
def pem_files(tmp_path):
    (tmp_path / 'ca.der').write_bytes(b'0\x82\x01\x0a not PEM')
    (tmp_path / 'broken.crt').write_text(CERT % 'this is not base64!')
    return tmp_path


@pytest.mark.parametrize('name, args, message', CASES)
def test_bad_value_fails_with_one_exact_line(name, args, message, no_requests, pem_files):
    module, required = MODULES[name]
    args = dict((key, value.replace('{tmp}', str(pem_files)) if isinstance(value, str) else value)
                for key, value in args.items())
    result = run_module(module.main, dict(dict(required, nodes=TRIO), **args), ModuleFail)
    assert result['msg'] == message.replace('{tmp}', str(pem_files))
    assert (result['changed'], no_requests) == (False, [])


@pytest.mark.parametrize('name', sorted(MODULES))
def test_several_bad_values_are_named_together(name, no_requests):
    module, required = MODULES[name]
    result = run_module(module.main, dict(required, nodes=['a:0'], timeout=0), ModuleFail)
    assert result['msg'] == '%s; %s' % (limits('timeout', 0),
                                        "node 'a:0' has port '0'; " + PORT)


@pytest.mark.parametrize('name', sorted(MODULES))
def test_a_password_in_an_address_never_reaches_the_output(name, monkeypatch, capsys, no_requests):
    """Through Ansible's real fail_json: the message and the invocation both hide it."""
    real_exits(monkeypatch)
    module, required = MODULES[name]
    args = dict(required, nodes=['https://ops:Pa55-w0rd@10.0.1.11', '10.0.1.12'])
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    output = capsys.readouterr().out
    result = json.loads(output)
    assert 'Pa55-w0rd' not in output
    assert result['invocation']['module_args']['nodes'][0] == 'https://ops:********@10.0.1.11'
    assert result['msg'].startswith("node 'https://ops:********@10.0.1.11' carries credentials in the address")


def test_a_password_in_members_never_reaches_the_output(monkeypatch, capsys, no_requests):
    real_exits(monkeypatch)
    args = dict(nodes=TRIO, members=['https://ops:Pa55-w0rd@10.0.1.11'])
    with patch_module_args(args), pytest.raises(SystemExit):
        cluster_status.main()
    output = capsys.readouterr().out
    assert 'Pa55-w0rd' not in output
    assert json.loads(output)['msg'].startswith('members https://ops:********@10.0.1.11 are not among nodes')
