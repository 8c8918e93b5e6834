"""The scavenge entry point (playbooks/scavenge.yml) against a local three-node TLS cluster.

Three emulator nodes on 127.0.20.41-43, inventory hosts on the local connection, checks run from the
controller (as in test_role_checks_from). What each run did is read back from the cluster itself: every
scavenge writes $scavengeStarted and $scavengeCompleted (with the node's endpoint) to $scavenges-<id>
through the leader, and links each to $scavenges, so the link numbers there give the order of events.
"""

import json
import subprocess
import time
import uuid

import pytest
import requests

from ansible_collections.esdb.cluster.tests.lib.cs_cluster import EmulatorCluster, agreed_leader, make_pki, wait_until
from ansible_collections.esdb.cluster.tests.lib.role_files import REPO, VENV_BIN
from ansible_collections.esdb.cluster.tests.lib.role_molecule import environment

pytestmark = pytest.mark.slow

HOSTS = ['127.0.20.41', '127.0.20.42', '127.0.20.43']
NAMES = {'%s:2113' % ip: 'n%d' % i for i, ip in enumerate(HOSTS, 1)}
ADMIN = ('admin', 'changeit')
ATOM = {'Accept': 'application/vnd.eventstore.atom+json'}


class WritableCluster(EmulatorCluster):
    """AtomPub on (off by default in 22.10), so a test can grow the log and make scavenges last longer."""

    def config(self, host):
        return super().config(host) + 'EnableAtomPubOverHttp: true\n'


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    pki = make_pki(tmp_path_factory.mktemp('pki'), HOSTS)
    emulators = WritableCluster(tmp_path_factory.mktemp('tls'), HOSTS, pki)
    emulators.start_all()
    try:
        assert wait_until(lambda: agreed_leader(emulators), timeout=60), 'the cluster never formed'
        yield emulators
    finally:
        emulators.stop_all()


def scavenge(tmp_path, emulators, *args, **variables):
    """Run playbooks/scavenge.yml with `variables` as inventory vars; (rc, output)."""
    result = subprocess.run(playbook_command(tmp_path, emulators, *args, **variables), cwd=REPO,
                            env=environment(), capture_output=True, text=True, check=False, timeout=300)
    return result.returncode, result.stdout + result.stderr


def playbook_command(tmp_path, emulators, *args, **variables):
    pki_dir = tmp_path / 'controller-pki'
    pki_dir.mkdir(exist_ok=True)
    (pki_dir / 'ca.crt').write_bytes(open(emulators.pki['ca'], 'rb').read())
    hosts = {name: {'eventstore_node_ip': address.split(':')[0]} for address, name in NAMES.items()}
    inventory = {'all': {'vars': dict({
        'ansible_connection': 'local', 'ansible_become_method': 'ansible.builtin.su',
        'ansible_python_interpreter': str(REPO / '.venv/bin/python'),
        # The emulator's accounts keep 22.10's default passwords.
        'eventstore_allow_default_passwords': True,
        'eventstore_cert_dir': str(tmp_path / 'node-certs'), 'eventstore_pki_dir': str(pki_dir),
        'eventstore_checks_from': 'controller', 'eventstore_wait_timeout': 30,
        # This controller runs Debian: only a repository of one's own serves it.
        'eventstore_apt_repo_url': 'http://mirror.invalid/eventstore-oss/debian/'}, **variables),
        'children': {'eventstore': {'hosts': hosts}}}}
    (tmp_path / 'inventory.json').write_text(json.dumps(inventory))
    return [str(VENV_BIN / 'ansible-playbook'), '-i', str(tmp_path / 'inventory.json'), *args,
            str(REPO / 'playbooks' / 'scavenge.yml')]


def read(emulators, host, path):
    response = requests.get('https://%s:2113%s' % (host, path), headers=ATOM, auth=ADMIN,
                            verify=emulators.pki['ca'], timeout=5)
    response.raise_for_status()
    return response.json()


def scavenge_events(emulators):
    """[(link number, node endpoint, event type, result, scavenge id, threads)] for the newest 20 links of $scavenges, oldest first.

    22.10 routes /streams/$scavenges/{a}/{b}/{c} to one scavenge's stream, so the index is read at its head.
    """
    leader = agreed_leader(emulators)
    assert leader, 'no agreed leader to read $scavenges from'
    host = leader['httpEndPointIp']
    try:
        links = read(emulators, host, '/streams/$scavenges?embed=body')['entries']
    except requests.HTTPError as error:
        if error.response.status_code == 404:
            return []
        raise
    events, streams = [], {}
    for link in links:
        number, stream = link['data'].split('@', 1)
        scavenge_id = stream.split('-', 1)[1]
        if scavenge_id not in streams:
            entries = read(emulators, host, '/streams/$scavenges/%s/head/20?embed=body' % scavenge_id)['entries']
            streams[scavenge_id] = {e['eventNumber']: (e['eventType'], json.loads(e['data'])) for e in entries}
        event_type, data = streams[scavenge_id][int(number)]
        events.append((link['eventNumber'], data['nodeEndpoint'], event_type, data.get('result'), scavenge_id,
                       data.get('threads')))
    return sorted(events)


def last_link(emulators):
    events = scavenge_events(emulators)
    return events[-1][0] if events else -1


def events_since(emulators, before):
    return [event for event in scavenge_events(emulators) if event[0] > before]


def run_since(emulators, before, threads=1):
    """[(node name, result)] for each scavenge after link `before`; each ran alone, to its end, with `threads`."""
    events = events_since(emulators, before)
    assert len(events) % 2 == 0, events
    runs = []
    for started, completed in zip(events[::2], events[1::2]):
        # Started, then completed on the same node before any other node starts: one at a time.
        assert (started[2], completed[2]) == ('$scavengeStarted', '$scavengeCompleted'), events
        assert started[1] == completed[1] and started[5] == threads, events
        runs.append((NAMES[started[1]], completed[3]))
    return runs


def leader_name(emulators):
    leader = agreed_leader(emulators)
    return NAMES['%s:%d' % (leader['httpEndPointIp'], leader['httpEndPointPort'])]


def test_every_node_is_scavenged_once_the_followers_first_and_the_leader_last(tmp_path, cluster):
    before, leader = last_link(cluster), leader_name(cluster)
    rc, output = scavenge(tmp_path, cluster, eventstore_scavenge_threads=2)
    assert rc == 0, output[-4000:]
    runs = run_since(cluster, before, threads=2)
    assert sorted(name for name, _result in runs) == ['n1', 'n2', 'n3'], runs
    assert runs[-1] == (leader, 'Success'), runs
    assert all(result == 'Success' for _name, result in runs), runs
    followers = [name for name in sorted(NAMES.values()) if name != leader]
    assert 'Scavenging one node at a time, each to its end: %s' % ', then '.join(
        '%s (%s)' % (name, next(a for a, n in NAMES.items() if n == name)) for name in followers) in output, output


def test_the_leader_is_left_out_when_asked_and_the_run_says_so(tmp_path, cluster):
    before, leader = last_link(cluster), leader_name(cluster)
    rc, output = scavenge(tmp_path, cluster, eventstore_scavenge_leader=False)
    assert rc == 0, output[-4000:]
    runs = run_since(cluster, before)
    assert sorted(name for name, _result in runs) == sorted(n for n in NAMES.values() if n != leader), runs
    assert 'The Leader %s' % leader in output and 'is not scavenged: eventstore_scavenge_leader is false' in output


def test_check_mode_shows_the_order_and_starts_no_scavenge(tmp_path, cluster):
    before = last_link(cluster)
    rc, output = scavenge(tmp_path, cluster, '--check')
    assert rc == 0, output[-4000:]
    assert output.count('would be scavenged (check mode)') == 3, output[-4000:]
    time.sleep(1)
    assert run_since(cluster, before) == []


# Types are refused by the argument spec (ansible-core's sentence: 2.17 and 2.18 do not quote an int's
# value back), ranges by the role's own check.
BAD_OPTIONS = {
    'no threads': ('eventstore_scavenge_threads', 0, 'Host n1: eventstore_scavenge_threads must be a whole '
                   'number of threads from 1 to 2147483647, not 0.'),
    'threads as words': ('eventstore_scavenge_threads', 'abc',
                         "argument 'eventstore_scavenge_threads' is of type"),
    'negative chunk': ('eventstore_scavenge_start_from_chunk', -1, 'Host n1: eventstore_scavenge_start_from_chunk '
                       'must be a whole number of chunks from 0 to 2147483647, not -1.'),
    'no wait': ('eventstore_scavenge_wait_timeout', 0, 'Host n1: eventstore_scavenge_wait_timeout must be a whole '
                'number of seconds from 1 to 86400, not 0.'),
    'leader maybe': ('eventstore_scavenge_leader', 'later', "argument 'eventstore_scavenge_leader' is of type"),
}


@pytest.mark.parametrize('case', sorted(BAD_OPTIONS))
def test_a_bad_option_is_refused_by_name_before_any_scavenge(tmp_path, cluster, case):
    name, value, sentence = BAD_OPTIONS[case]
    before = last_link(cluster)
    rc, output = scavenge(tmp_path, cluster, **{name: value})
    assert rc != 0
    assert sentence in output, output[-3000:]
    assert 'Traceback' not in output
    # Refused before the cluster is read.
    assert 'Scavenge - the leader is found' not in output, output[-3000:]
    assert run_since(cluster, before) == []


def test_an_unready_cluster_is_refused_and_no_node_scavenged(tmp_path, cluster):
    before, leader = last_link(cluster), agreed_leader(cluster)
    stopped = next(h for h in HOSTS if h != leader['httpEndPointIp'])
    cluster.stop(stopped)
    try:
        rc, output = scavenge(tmp_path, cluster)
        assert rc != 0
        assert 'No scavenge was started on any node: the cluster is degraded, not ready.' in output, output[-3000:]
        assert '%s:2113' % stopped in output, output[-3000:]
    finally:
        cluster.start(stopped)
        assert wait_until(lambda: agreed_leader(cluster), timeout=60), 'the cluster did not form again'
    assert run_since(cluster, before) == []


def test_the_run_stops_at_the_first_node_whose_scavenge_fails(tmp_path, cluster):
    leader = agreed_leader(cluster)['httpEndPointIp']
    # About 2 MB more log makes each emulated scavenge last about 2.5 s: time to stop the first one.
    for _ballast in range(20):
        response = requests.post('https://%s:2113/streams/scavenge-ballast' % leader, auth=ADMIN,
                                 verify=cluster.pki['ca'], timeout=10,
                                 headers={'Content-Type': 'application/vnd.eventstore.events+json'},
                                 data=json.dumps([{'eventId': str(uuid.uuid4()), 'eventType': 'ballast',
                                                   'data': {'fill': 'x' * 100000}}]))
        assert response.status_code == 201, response.text
    before = last_link(cluster)
    run = subprocess.Popen(playbook_command(tmp_path, cluster), cwd=REPO, env=environment(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = wait_until(lambda: events_since(cluster, before), timeout=120, step=0.05)
        assert first, 'no scavenge started'
        _number, endpoint, event_type, _result, scavenge_id, _threads = first[0]
        assert event_type == '$scavengeStarted'
        stopped = requests.delete('https://%s/admin/scavenge/%s' % (endpoint, scavenge_id), auth=ADMIN,
                                  verify=cluster.pki['ca'], timeout=5)
        assert stopped.status_code == 200, 'the first scavenge ended before it could be stopped'
        output = run.communicate(timeout=300)[0]
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode != 0
    name = NAMES[endpoint]
    assert name != NAMES['%s:2113' % leader]
    left = sorted(n for n in NAMES.values() if n != name)
    assert 'Scavenging stopped at %s (%s): the scavenge on %s ended with Stopped.' % (name, endpoint, endpoint) in output, (
        output[-3000:])
    assert 'Not scavenged: ' in output and all(n in output.split('Not scavenged: ')[1][:40] for n in left), output[-3000:]
    assert run_since(cluster, before) == [(name, 'Stopped')]
