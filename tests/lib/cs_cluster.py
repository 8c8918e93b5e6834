"""Local EventStoreDB 22.10 clusters for the cluster_status integration test and benchmark.

The nodes are the project's test-only node emulator (tests/twin/emulator/eventstored), never the
product, one process per node on its own loopback address (127.0.20.x). The module runs for real,
through the `ansible` command with this checkout on the collections path.
"""

import datetime
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[2]
EMULATOR = REPO / 'tests' / 'twin' / 'emulator' / 'eventstored'
COLLECTIONS = REPO / '.collections'
ANSIBLE = Path(sys.executable).with_name('ansible')
HTTP_PORT, INT_TCP_PORT = 2113, 1112


def emulator_available():
    return EMULATOR.is_file()


def _certificate(subject, issuer, public_key, signing_key, ca, sans=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=7))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _rsa_pem(key):
    # 22.10 reads the node key as "BEGIN RSA PRIVATE KEY" (PKCS#1).
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def make_pki(directory, hosts):
    """A cluster CA (in ca/ca.crt, the TrustedRootCertificatesPath layout), an unrelated CA, node certs."""
    directory = Path(directory)
    (directory / 'ca').mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in ('ca', 'other-ca'):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'esdb-test %s' % name)])
        cert = _certificate(subject, subject, key.public_key(), key, ca=True)
        paths[name] = (key, cert)
    ca_key, ca_cert = paths['ca']
    (directory / 'ca' / 'ca.crt').write_bytes(_pem(ca_cert))
    (directory / 'other-ca.crt').write_bytes(_pem(paths['other-ca'][1]))
    for host in hosts:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'eventstoredb-node')])
        sans = [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName('localhost')]
        cert = _certificate(subject, ca_cert.subject, key.public_key(), ca_key, ca=False, sans=sans)
        (directory / ('%s.crt' % host)).write_bytes(_pem(cert))
        key_path = directory / ('%s.key' % host)
        key_path.write_bytes(_rsa_pem(key))
        key_path.chmod(0o600)
    return {'ca_dir': str(directory / 'ca'), 'ca': str(directory / 'ca' / 'ca.crt'),
            'other_ca': str(directory / 'other-ca.crt'), 'dir': str(directory)}


class EmulatorCluster:
    """N emulator nodes, one per host, seeded with each other; start, stop and inspect them."""

    def __init__(self, workdir, hosts, pki=None, gossip_interval_ms=200):
        self.workdir, self.hosts, self.pki = Path(workdir), list(hosts), pki
        self.gossip_interval_ms = gossip_interval_ms
        self.processes = {}

    @property
    def scheme(self):
        return 'https' if self.pki else 'http'

    def config(self, host):
        others = ['%s:%d' % (h, HTTP_PORT) for h in self.hosts if h != host]
        lines = [
            '---',
            'ClusterSize: %d' % len(self.hosts),
            'DiscoverViaDns: false',
            'GossipSeed: %s' % ','.join(others),
            'IntIp: %s' % host,
            'ExtIp: %s' % host,
            'HttpPort: %d' % HTTP_PORT,
            'IntTcpPort: %d' % INT_TCP_PORT,
            'Db: %s' % (self.workdir / host / 'db'),
            'Log: %s' % (self.workdir / host / 'log'),
            'GossipIntervalMs: %d' % self.gossip_interval_ms,
            'GossipTimeoutMs: 1000',
            'LeaderElectionTimeoutMs: 1000',
        ]
        if self.pki:
            lines += [
                'CertificateFile: %s/%s.crt' % (self.pki['dir'], host),
                'CertificatePrivateKeyFile: %s/%s.key' % (self.pki['dir'], host),
                'TrustedRootCertificatesPath: %s' % self.pki['ca_dir'],
            ]
        else:
            lines.append('Insecure: true')
        return '\n'.join(lines) + '\n'

    def start(self, host):
        node_dir = self.workdir / host
        node_dir.mkdir(parents=True, exist_ok=True)
        config = node_dir / 'eventstore.conf'
        config.write_text(self.config(host))
        output = open(node_dir / 'stdout.log', 'ab')
        self.processes[host] = subprocess.Popen(
            [sys.executable, str(EMULATOR), '--config', str(config)],
            stdout=output, stderr=subprocess.STDOUT, cwd=str(node_dir), start_new_session=True)
        output.close()

    def start_all(self):
        for host in self.hosts:
            self.start(host)

    def stop(self, host):
        process = self.processes.pop(host, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def stop_all(self):
        for host in list(self.processes):
            self.stop(host)

    def nodes(self):
        return ['%s:%d' % (h, HTTP_PORT) for h in self.hosts]

    def gossip(self, host, timeout=2.0):
        """Raw GET /gossip of one node, or None when it does not answer."""
        try:
            with urllib.request.urlopen('%s://%s:%d/gossip' % (self.scheme, host, HTTP_PORT),
                                        timeout=timeout, context=self._context()) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return None

    def leader_of(self, host):
        view = self.gossip(host) or {'members': []}
        leaders = [m for m in view['members'] if m['isAlive'] and m['state'] == 'Leader']
        return leaders[0] if len(leaders) == 1 else None

    def post(self, host, path):
        request = urllib.request.Request('%s://%s:%d%s' % (self.scheme, host, HTTP_PORT, path), data=b'',
                                         method='POST')
        with urllib.request.urlopen(request, timeout=5, context=self._context()) as response:
            return response.status

    def _context(self):
        return ssl.create_default_context(cafile=self.pki['ca']) if self.pki else None


class SilentListener:
    """Accepts TCP connections (kernel backlog) and never answers: a hung node costing one timeout."""

    def __init__(self, host, port=HTTP_PORT):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.address = '%s:%d' % (host, port)

    def close(self):
        self.sock.close()


class ClientGossipCounter(SilentListener):
    """Stands in for a stopped node: counts client GET /gossip requests, hangs up on everything.

    Peers' POST /gossip is not counted, so the count says how many checks a module has made.
    """

    def __init__(self, host, port=HTTP_PORT):
        super().__init__(host, port)
        self.client_checks = 0
        self.sock.settimeout(0.1)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._closed.is_set():
            try:
                connection = self.sock.accept()[0]
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    if connection.recv(64).startswith(b'GET /gossip'):
                        self.client_checks += 1
                except OSError:
                    pass

    def close(self):
        self._closed.set()
        self._thread.join(5)
        super().close()


class ModuleRun:
    """esdb.cluster.cluster_status run through the `ansible` command, in the background."""

    def __init__(self, args):
        # Outside the checkout, so the repository's ansible.cfg (extra callbacks) leaves stdout pure JSON.
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_STDOUT_CALLBACK='json',
                   ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0')
        env.pop('ANSIBLE_CONFIG', None)
        command = [str(ANSIBLE), 'localhost', '-i', 'localhost,', '-c', 'local',
                   '-e', 'ansible_python_interpreter=%s' % sys.executable,
                   '-m', 'esdb.cluster.cluster_status', '-a', json.dumps(args)]
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.finished = None

    def result(self, timeout=120):
        """The module's result dict; self.finished is when the command ended (time.monotonic)."""
        stdout, stderr = self.process.communicate(timeout=timeout)
        self.finished = time.monotonic()
        try:
            return json.loads(stdout)['plays'][0]['tasks'][0]['hosts']['localhost']
        except (ValueError, KeyError, IndexError):
            raise AssertionError('ansible gave no JSON result (rc %d):\n%s\n%s'
                                 % (self.process.returncode, stdout[-3000:], stderr[-3000:])) from None


def run_module(args, timeout=120):
    """Run the module to the end and return its result dict."""
    return ModuleRun(args).result(timeout)


def wait_until(predicate, timeout=30.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def agreed_leader(cluster):
    """Raw check, independent of the modules: the Leader's gossip entry when every node of the cluster
    answers and sees one alive Leader, the same one, and every other node alive as Follower; else None."""
    views = [cluster.gossip(host) for host in cluster.hosts]
    if not all(views):
        return None
    leaders = set()
    for view in views:
        alive = [m for m in view['members'] if m['isAlive']]
        if sorted(m['state'] for m in alive) != ['Follower'] * (len(cluster.hosts) - 1) + ['Leader']:
            return None
        leaders.update(m['instanceId'] for m in alive if m['state'] == 'Leader')
    if len(leaders) != 1:
        return None
    return next(m for m in views[0]['members'] if m['isAlive'] and m['state'] == 'Leader')


class CollectionModuleRun(ModuleRun):
    """Any esdb.cluster module run through the `ansible` command, in the background, optionally in check mode."""

    def __init__(self, module, args, check_mode=False):  # pylint: disable=super-init-not-called
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_STDOUT_CALLBACK='json',
                   ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0')
        env.pop('ANSIBLE_CONFIG', None)
        command = [str(ANSIBLE), 'localhost', '-i', 'localhost,', '-c', 'local',
                   '-e', 'ansible_python_interpreter=%s' % sys.executable,
                   '-m', 'esdb.cluster.%s' % module, '-a', json.dumps(args)]
        if check_mode:
            command.append('--check')
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.finished = None
