"""The gossip client against real local HTTP and HTTPS servers on 127.0.20.x.

Every bad answer goes through ansible's open_url and the real client code;
only DNS is faked (no lookup may leave this machine).
"""

import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
import time
from urllib.error import URLError
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.esdb.cluster.plugins.module_utils import gossip_client
from ansible_collections.esdb.cluster.plugins.module_utils.gossip_client import fetch_all, fetch_one
from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import (
    open_url_options,
    parse_node_address,
)

FIXTURES = Path(__file__).parent / 'fixtures'
HTTP_HOST, TLS_HOST, SILENT_HOST = '127.0.20.1', '127.0.20.2', '127.0.20.3'
HEALTHY = (FIXTURES / 'healthy_trio' / 'n1.json').read_bytes()


class GossipHandler(http.server.BaseHTTPRequestHandler):
    """Answers each path as the server's routes say: (status, body) or 'close'."""

    def do_GET(self):  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        route = self.server.routes.get(self.path, (404, b'Not Found'))
        self.server.seen.append((self.path, self.headers.get('Accept'), self.headers.get('Authorization')))
        if route == 'close':
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, body = route
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(host, routes, tls_context=None):
    server = http.server.ThreadingHTTPServer((host, 0), GossipHandler)
    server.daemon_threads = True
    server.routes, server.seen = routes, []
    if tls_context:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.02), daemon=True)
    thread.start()
    return server


def make_ca(tmp, name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    path = tmp / (name + '.crt')
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


def make_node_cert(tmp, ca_key, ca_cert, ip):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'eventstoredb-node')]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = tmp / 'node.crt', tmp / 'node.key'
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


ROUTES = {
    '/gossip': (200, HEALTHY),
}


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('pki')
    ca_key, ca_cert, ca_path = make_ca(tmp, 'cluster-ca')
    other_ca_path = make_ca(tmp, 'other-ca')[2]
    cert_path, key_path = make_node_cert(tmp, ca_key, ca_cert, TLS_HOST)
    return dict(ca=str(ca_path), other_ca=str(other_ca_path), cert=str(cert_path), key=str(key_path))


@pytest.fixture(scope='module')
def tls_server(pki):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki['cert'], pki['key'])
    server = serve(TLS_HOST, dict(ROUTES), context)
    yield server
    server.shutdown()


@pytest.fixture(scope='module')
def shared_http_server():
    server = serve(HTTP_HOST, dict(ROUTES))
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture()
def http_server(shared_http_server):
    shared_http_server.routes, shared_http_server.seen = dict(ROUTES), []
    return shared_http_server


@pytest.fixture()
def silent_port():
    """A listener that accepts connections (kernel backlog) but never answers: a hung node."""
    sock = socket.socket()
    sock.bind((SILENT_HOST, 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


def options(**overrides):
    params = dict(timeout=2.0, validate_certs=True, ca_path=None, client_cert=None, client_key=None,
                  url_username=None, url_password=None)
    params.update(overrides)
    return open_url_options(params)


def endpoint(host, port, scheme='http'):
    return parse_node_address('%s:%d' % (host, port), scheme)


def fetch(node, **overrides):
    return fetch_one(node, options(**overrides))


def test_healthy_http_node(http_server):
    gossip, error = fetch(endpoint(HTTP_HOST, http_server.server_port))
    assert error is None
    assert [m['state'] for m in gossip['members']] == ['Leader', 'Follower', 'Follower']
    assert http_server.seen == [('/gossip', 'application/json', None)]


def test_basic_auth_is_sent_when_given(http_server):
    error = fetch(endpoint(HTTP_HOST, http_server.server_port), url_username='ops', url_password='changeit')[1]
    assert error is None
    assert http_server.seen[0][2] == 'Basic b3BzOmNoYW5nZWl0'


def test_tls_node_with_the_cluster_ca(tls_server, pki):
    gossip, error = fetch(endpoint(TLS_HOST, tls_server.server_port, 'https'), ca_path=pki['ca'])
    assert error is None and len(gossip['members']) == 3


def test_tls_node_with_the_wrong_ca(tls_server, pki):
    node = endpoint(TLS_HOST, tls_server.server_port, 'https')
    gossip, error = fetch(node, ca_path=pki['other_ca'])
    assert gossip is None
    assert error.startswith('%s: its TLS certificate could not be verified (' % node.label)
    assert 'set ca_path to the cluster CA certificate, or validate_certs: false for a test cluster.' in error


def test_tls_node_without_verification(tls_server):
    gossip, error = fetch(endpoint(TLS_HOST, tls_server.server_port, 'https'), validate_certs=False)
    assert error is None and gossip['members']


def test_plain_http_to_a_tls_node_is_an_empty_reply(tls_server):
    node = endpoint(TLS_HOST, tls_server.server_port, 'http')
    gossip, error = fetch(node)
    assert gossip is None
    assert error == ('%s closed the connection without an HTTP answer (empty reply); '
                     'the node probably requires TLS: use scheme https.' % node.label)


def test_https_to_a_plain_http_node_names_the_handshake(http_server):
    node = endpoint(HTTP_HOST, http_server.server_port, 'https')
    gossip, error = fetch(node, validate_certs=False)
    assert gossip is None
    assert error.startswith('%s: the TLS handshake failed (' % node.label)
    assert error.endswith('if the node runs with Insecure: true, use scheme http.')


def test_connection_refused():
    sock = socket.socket()
    sock.bind((HTTP_HOST, 0))
    port = sock.getsockname()[1]
    sock.close()
    gossip, error = fetch(endpoint(HTTP_HOST, port))
    assert gossip is None
    assert error == ('%s:%d: connection refused; is EventStoreDB running and listening on HTTP port %d?'
                     % (HTTP_HOST, port, port))


def test_dns_failure(monkeypatch):
    real = socket.getaddrinfo

    def no_such_name(host, *args, **kwargs):
        if host == 'node9.esdb.invalid':
            raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
        return real(host, *args, **kwargs)
    monkeypatch.setattr(socket, 'getaddrinfo', no_such_name)
    gossip, error = fetch(parse_node_address('node9.esdb.invalid', 'http'))
    assert gossip is None
    assert error == ("node9.esdb.invalid:2113: the name 'node9.esdb.invalid' could not be resolved "
                     "(DNS: Name or service not known).")


def test_timeout_on_a_hung_node(silent_port):
    node = endpoint(SILENT_HOST, silent_port)
    gossip, error = fetch(node, timeout=0.3)
    assert gossip is None
    assert error == '%s gave no answer within 0.3 s (timed out).' % node.label


@pytest.mark.parametrize('route, expected', [
    ((503, b'Service Unavailable'), 'answered /gossip with HTTP 503 Service Unavailable; the node is up but not '
                                    'serving gossip yet, or failing.'),
    ((500, b''), 'answered /gossip with HTTP 500 Internal Server Error;'),
    ((404, b'Not Found'), 'answered /gossip with HTTP 404 Not Found; gossip over HTTP may be disabled '
                          '(DisableGossipOnHttp) or this is not EventStoreDB.'),
    ((401, b''), 'answered /gossip with HTTP 401 Unauthorized; /gossip is anonymous'),
    ((400, b''), 'answered /gossip with HTTP 400 Bad Request.'),
    ((200, b'{"members": [ oops'), 'answered /gossip with malformed JSON (Expecting value'),
    ((200, b'[]'), 'answered /gossip with a JSON array, not an object with a members list.'),
    ((200, b''), 'answered /gossip with an empty body.'),
    ('close', 'closed the connection without an HTTP answer (empty reply); the node probably requires TLS'),
])
def test_bad_answers_become_sentences(http_server, route, expected):
    http_server.routes['/gossip'] = route
    node = endpoint(HTTP_HOST, http_server.server_port)
    gossip, error = fetch(node)
    assert gossip is None
    assert error.startswith(node.label)
    assert expected in error


def test_redirects_are_not_followed(http_server):
    http_server.routes['/gossip'] = (301, b'')
    gossip, error = fetch(endpoint(HTTP_HOST, http_server.server_port))
    assert gossip is None and 'HTTP 301' in error and 'redirecting proxy' in error


def test_oversized_body_is_refused(http_server, monkeypatch):
    monkeypatch.setattr(gossip_client, 'MAX_BODY_BYTES', 100)
    gossip, error = fetch(endpoint(HTTP_HOST, http_server.server_port))
    assert gossip is None and 'more than 100 bytes' in error


def test_unexpected_exceptions_become_sentences():
    def broken(*args, **kwargs):
        raise RuntimeError('boom')
    gossip, error = fetch_one(endpoint(HTTP_HOST, 9), options(), opener=broken)
    assert (gossip, error) == (None, '127.0.20.1:9: request failed (RuntimeError: boom).')


def test_fetch_all_keeps_order_and_mixes_answers(http_server, silent_port):
    nodes = [endpoint(SILENT_HOST, silent_port), endpoint(HTTP_HOST, http_server.server_port)]
    answers = fetch_all(nodes, options(timeout=0.3))
    assert [a['node'] for a in answers] == [n.label for n in nodes]
    assert [a['url'] for a in answers] == ['http://%s/gossip' % n.label for n in nodes]
    assert answers[0]['gossip'] is None and 'timed out' in answers[0]['error']
    assert answers[1]['error'] is None and answers[1]['gossip']['members']


def test_dead_nodes_cost_one_timeout_not_one_each(silent_port):
    # Behavioural bound from the module's contract: asked in parallel.
    nodes = [endpoint(SILENT_HOST, silent_port)] * 6
    started = time.monotonic()
    answers = fetch_all(nodes, options(timeout=0.5))
    elapsed = time.monotonic() - started
    assert all('timed out' in a['error'] for a in answers)
    # One after another would take 6 x 0.5 s; at once, one timeout plus the join grace at most.
    assert elapsed < 0.5 + gossip_client.JOIN_GRACE + 0.5


def test_a_lookup_that_ignores_the_timeout_cannot_hold_the_check(monkeypatch):
    monkeypatch.setattr(gossip_client, 'JOIN_GRACE', 0.05)
    release = threading.Event()

    def stuck(*args, **kwargs):
        release.wait(10)
        raise OSError('released')
    started = time.monotonic()
    try:
        answers = fetch_all([endpoint(HTTP_HOST, 1)], options(timeout=0.2), opener=stuck)
    finally:
        release.set()
    assert time.monotonic() - started < 1
    assert answers[0]['error'] == '127.0.20.1:1 gave no answer within 0.2 s (timed out).'


class SlowGossipHandler(GossipHandler):
    def do_GET(self):  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        time.sleep(self.server.delay)
        super().do_GET()


def test_a_slow_node_that_answers_within_the_timeout_is_heard():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), SlowGossipHandler)
    server.daemon_threads = True
    server.routes, server.seen, server.delay = dict(ROUTES), [], 0.8
    threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.02), daemon=True).start()
    try:
        started = time.monotonic()
        answers = fetch_all([endpoint('127.0.0.1', server.server_port)], options(timeout=2.0))
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert answers[0]['error'] is None
    assert [m['state'] for m in answers[0]['gossip']['members']] == ['Leader', 'Follower', 'Follower']
    assert 0.8 <= elapsed < 2.0


def test_timeout_defaults_to_five_seconds_in_the_sentence():
    release = threading.Event()
    seen = []

    def stuck(*args, **kwargs):
        seen.append((threading.current_thread().name, threading.current_thread().daemon))
        release.wait(10)
        raise OSError('released')
    ticks = iter([0.0, 100.0, 100.0])
    try:
        answers = fetch_all([endpoint(HTTP_HOST, 7)], {}, opener=stuck, clock=lambda: next(ticks))
    finally:
        release.set()
    assert answers[0]['error'] == '127.0.20.1:7 gave no answer within 5 s (timed out).'
    # A stuck lookup must not keep the process alive at exit, and names its node when debugged.
    assert seen == [('gossip 127.0.20.1:7', True)]


def test_a_socket_timeout_without_a_timeout_option_names_five_seconds():
    def timing_out(*args, **kwargs):
        raise socket.timeout('timed out')
    assert fetch_one(endpoint(HTTP_HOST, 7), {}, opener=timing_out) == (
        None, '127.0.20.1:7 gave no answer within 5 s (timed out).')


def test_a_body_of_exactly_the_limit_is_read(http_server, monkeypatch):
    monkeypatch.setattr(gossip_client, 'MAX_BODY_BYTES', len(HEALTHY))
    gossip, error = fetch(endpoint(HTTP_HOST, http_server.server_port))
    assert error is None and len(gossip['members']) == 3
    monkeypatch.setattr(gossip_client, 'MAX_BODY_BYTES', len(HEALTHY) - 1)
    gossip, error = fetch(endpoint(HTTP_HOST, http_server.server_port))
    assert (gossip, error) == (None, '127.0.20.1:%d answered /gossip with more than %d bytes, which is not a '
                                     'gossip document.' % (http_server.server_port, len(HEALTHY) - 1))


def _http_error(code, reason):
    return gossip_client.HTTPError('http://n1:2113/gossip', code, reason, {}, None)


@pytest.mark.parametrize('code, reason, sentence', [
    (300, 'Multiple Choices', 'n1:2113 answered /gossip with HTTP 300 Multiple Choices; point nodes at the node '
                              'itself, not at a redirecting proxy.'),
    (302, None, 'n1:2113 answered /gossip with HTTP 302; point nodes at the node itself, not at a redirecting '
                'proxy.'),
    (403, 'Forbidden', 'n1:2113 answered /gossip with HTTP 403 Forbidden; /gossip is anonymous in EventStoreDB '
                       '22.10, so check that this is the node and port meant.'),
    (418, None, 'n1:2113 answered /gossip with HTTP 418.'),
])
def test_http_status_sentences(code, reason, sentence):
    node = parse_node_address('n1', 'http')
    assert gossip_client.describe_failure(node, _http_error(code, reason)) == sentence


class _Verified(Exception):
    verify_message = 'self-signed certificate.'


class _Odd(Exception):
    reason = 42


@pytest.mark.parametrize('exc, sentence', [
    (URLError(ssl.SSLError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')),
     'n1:2113: its TLS certificate could not be verified ([SSL: CERTIFICATE_VERIFY_FAILED] certificate verify '
     'failed); set ca_path to the cluster CA certificate, or validate_certs: false for a test cluster.'),
    (URLError(ssl.SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong version number')),
     'n1:2113: the TLS handshake failed ([SSL: WRONG_VERSION_NUMBER] wrong version number); if the node runs '
     'with Insecure: true, use scheme http.'),
    (URLError(socket.gaierror(-2, None)), "n1:2113: the name 'n1' could not be resolved (DNS: [Errno -2] None)."),
    (gossip_client.UrlsConnectionError('proxy said no.'), 'n1:2113: proxy said no.'),
    (ConnectionResetError(), 'n1:2113 closed the connection without an HTTP answer (empty reply).'),
    (socket.timeout(), 'n1:2113 gave no answer within 5 s (timed out).'),
    (_Verified('x'), 'n1:2113: request failed (_Verified: self-signed certificate).'),
    (_Odd('x'), 'n1:2113: request failed (_Odd: 42).'),
    (RuntimeError('  trailing dots.. '), 'n1:2113: request failed (RuntimeError: trailing dots).'),
    (RuntimeError(''), 'n1:2113: request failed (RuntimeError: RuntimeError).'),
    (RuntimeError('code X.'), 'n1:2113: request failed (RuntimeError: code X).'),
])
def test_failure_sentences_over_https(exc, sentence):
    assert gossip_client.describe_failure(parse_node_address('n1', 'https'), exc) == sentence


def test_timeouts_are_written_as_people_write_them():
    node = parse_node_address('n1', 'https')
    assert gossip_client.describe_failure(node, socket.timeout(), 1e-05) == (
        'n1:2113 gave no answer within 1e-05 s (timed out).')
