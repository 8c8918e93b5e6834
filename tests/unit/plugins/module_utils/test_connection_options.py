"""The shared connection options: one spec, one check, exact sentences."""

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils import connection_options
from ansible_collections.esdb.cluster.plugins.module_utils.connection_options import (
    check_connection,
    connection_argument_spec,
    pem_file_problem,
    seconds_problem,
)

GOOD = dict(nodes=['h1', 'h2:2114'], scheme='http', expected_size=None, timeout=5.0, interval=1.0,
            ca_path=None, client_cert=None, client_key=None)
CERT = '-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n'


def test_spec_has_the_shared_options_and_the_module_ones_win():
    spec = connection_argument_spec(interval=dict(type='float', default=2.0), extra=dict(type='str'))
    assert sorted(spec) == sorted(['nodes', 'expected_size', 'interval', 'scheme', 'validate_certs', 'ca_path',
                                   'client_cert', 'client_key', 'url_username', 'url_password', 'timeout', 'extra'])
    assert spec['interval'] == dict(type='float', default=2.0)
    assert spec['nodes'] == dict(type='list', elements='str', required=True)
    assert (spec['url_password']['no_log'], spec['client_key']['no_log']) == (True, False)
    assert (spec['timeout']['default'], spec['scheme']['default'], spec['validate_certs']['default']) == (
        5.0, 'https', True)
    assert spec['scheme']['choices'] == ['https', 'http']
    assert connection_argument_spec()['interval'] == dict(type='float', default=1.0)


def test_good_options_give_the_endpoints_and_no_error():
    endpoints, errors = check_connection(dict(GOOD, wait_timeout=0.0))
    assert ([e.url('/gossip') for e in endpoints], errors) == (
        ['http://h1:2113/gossip', 'http://h2:2114/gossip'], [])


@pytest.mark.parametrize('size, error', [
    (1, None), (1000, None),
    (0, 'expected_size 0 must be from 1 to 1000 (the ClusterSize of the nodes)'),
    (1001, 'expected_size 1001 must be from 1 to 1000 (the ClusterSize of the nodes)'),
    (999999, 'expected_size 999999 must be from 1 to 1000 (the ClusterSize of the nodes)'),
    (10 ** 6, 'expected_size of 7 digits must be from 1 to 1000 (the ClusterSize of the nodes)'),
    (-999999, 'expected_size -999999 must be from 1 to 1000 (the ClusterSize of the nodes)'),
    (-10 ** 6, 'expected_size of 7 digits must be from 1 to 1000 (the ClusterSize of the nodes)'),
    pytest.param(10 ** 5000, 'expected_size of 5001 digits must be from 1 to 1000 (the ClusterSize of the nodes)',
                 id='5001-digits'),
])
def test_expected_size(size, error):
    assert check_connection(dict(GOOD, expected_size=size))[1] == ([error] if error else [])


@pytest.mark.parametrize('value, zero_ok, why, error', [
    (0.001, False, '', None), (86400, False, '', None), (0, True, '', None), (86400, True, '', None),
    (0, False, '', 't 0 must be more than 0 seconds, and at most 86400'),
    (-0.1, True, '; w', 't -0.1 must be 0 or more seconds, and at most 86400; w'),
    (86400.5, True, '', 't 86400.5 must be 0 or more seconds, and at most 86400'),
    (float('nan'), True, '', 't nan is not a number of seconds; give a finite number, 0 or more and at most 86400'),
    (float('inf'), False, '!', 't inf is not a number of seconds; give a finite number, more than 0 and at most 86400!'),
])
def test_seconds(value, zero_ok, why, error):
    assert seconds_problem('t', value, zero_ok, why) == error


def test_wait_timeout_is_checked_only_where_the_module_has_it():
    assert check_connection(dict(GOOD, timeout=0.0))[1] == ['timeout 0 must be more than 0 seconds, and at most 86400']
    assert check_connection(dict(GOOD, interval=0.0))[1] == [
        'interval 0 must be more than 0 seconds, and at most 86400']
    assert check_connection(dict(GOOD, wait_timeout=0.0), wait_may_be_zero=False, wait_why='; why')[1] == [
        'wait_timeout 0 must be more than 0 seconds, and at most 86400; why']
    assert check_connection(dict(GOOD, wait_timeout=0.0))[1] == []
    assert check_connection(dict(GOOD, wait_timeout=-1.0))[1] == [
        'wait_timeout -1 must be 0 or more seconds, and at most 86400']


def test_every_problem_is_reported_in_order():
    params = dict(GOOD, expected_size=0, timeout=0.0, interval=-1.0, wait_timeout=-1.0, nodes=['h:0'],
                  ca_path='/nonexistent/a', client_cert='/nonexistent/c', client_key='/nonexistent/k')
    endpoints, errors = check_connection(params)
    assert endpoints == []
    assert [e.split(' ', 1)[0] for e in errors] == [
        'expected_size', 'timeout', 'interval', 'wait_timeout', 'ca_path', 'client_cert', 'client_key', 'node']


@pytest.fixture
def files(tmp_path):
    (tmp_path / 'text').write_text('hello')
    (tmp_path / 'begin_only').write_text('-----BEGIN FOO-----\n')
    (tmp_path / 'marker_only').write_text('CERTIFICATE----- PRIVATE KEY-----')
    (tmp_path / 'broken.crt').write_text(CERT % 'not base64!')
    (tmp_path / 'rsa.key').write_text('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n')
    return tmp_path


@pytest.mark.parametrize('name, file, error', [
    ('ca_path', 'text', '{d}/text is not a PEM file with a CA certificate (no -----BEGIN ...CERTIFICATE----- line)'),
    ('ca_path', 'begin_only', '{d}/begin_only is not a PEM file with a CA certificate '
                              '(no -----BEGIN ...CERTIFICATE----- line)'),
    ('client_cert', 'marker_only', '{d}/marker_only is not a PEM file with a certificate '
                                   '(no -----BEGIN ...CERTIFICATE----- line)'),
    ('ca_path', 'broken.crt', '{d}/broken.crt has a CERTIFICATE block that is not a valid certificate; '
                              'give the cluster CA certificate in PEM'),
    ('client_cert', 'broken.crt', None),
    ('client_key', 'rsa.key', None),
    ('client_key', 'broken.crt', '{d}/broken.crt is not a PEM file with a private key '
                                 '(no -----BEGIN ...PRIVATE KEY----- line)'),
    ('client_key', 'missing', '{d}/missing cannot be read (No such file or directory); give the path of a '
                              'readable PEM file with the private key'),
])
def test_pem_files(files, name, file, error):
    expected = error and '%s %s' % (name, error.replace('{d}', str(files)))
    assert pem_file_problem(name, str(files / file)) == expected


def test_a_real_ca_certificate_loads(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import datetime
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'esdb test CA')])
    now = datetime.datetime(2024, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path = tmp_path / 'ca.crt'
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert pem_file_problem('ca_path', str(path)) is None
    assert check_connection(dict(GOOD, ca_path=str(path)))[1] == []


def test_only_the_first_mebibyte_is_read(tmp_path, monkeypatch):
    path = tmp_path / 'big'
    path.write_bytes(b'x' * 20 + CERT.encode() % b'QUJD')
    monkeypatch.setattr(connection_options, 'MAX_PEM_BYTES', 20)
    assert pem_file_problem('client_cert', str(path)) == (
        'client_cert %s is not a PEM file with a certificate (no -----BEGIN ...CERTIFICATE----- line)' % path)


def test_listed_node_is_the_endpoint_nodes_lists_with_its_scheme():
    params = {'node': '10.0.1.12', 'scheme': 'https', 'nodes': ['http://10.0.1.11:2113', 'http://10.0.1.12:2113']}
    endpoints, _errors = connection_options.check_connection(dict(params, timeout=5.0, interval=1.0))
    target, problem = connection_options.listed_node(params, endpoints)
    assert problem is None
    assert target is endpoints[1] and target.url('/gossip') == 'http://10.0.1.12:2113/gossip'


def test_listed_node_outside_nodes_or_unparsable_is_a_sentence():
    params = {'node': '10.0.1.13', 'scheme': 'https', 'nodes': ['10.0.1.11', '10.0.1.12']}
    endpoints, _errors = connection_options.check_connection(dict(params, timeout=5.0, interval=1.0))
    target, problem = connection_options.listed_node(params, endpoints)
    assert target.label == '10.0.1.13:2113'
    assert problem == ('node 10.0.1.13:2113 is not one of nodes (10.0.1.11:2113, 10.0.1.12:2113); add it to nodes, '
                       'written with the same host and port')
    assert connection_options.listed_node(dict(params, node='10.0.1.300'), endpoints)[0] is None
    assert connection_options.listed_node(dict(params, node='10.0.1.13'), [])[1] is None
