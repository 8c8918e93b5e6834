"""esdb.cluster.scavenge main(), run the way Ansible runs it, against a fake cluster served from fixtures."""
import io
import json
from urllib.error import HTTPError

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils import gossip_client
from ansible_collections.esdb.cluster.plugins.modules import scavenge
from ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http import (
    NODES,
    ModuleExit,
    ModuleFail,
    Reply,
    gossip_document,
    host_of,
    refused,
    run_module,
)

SCAVENGE_ID = '0b3e5d2c-7f5e-4a4d-9a57-2d1f4f0e6a11'
TRIO = ['10.0.1.11', '10.0.1.12', '10.0.1.13']
STATUS_READ = 'https://10.0.1.12:2113/streams/$scavenges/%s/head/20?embed=body'


def completed(result='Success', error=None):
    data = {'scavengeId': SCAVENGE_ID, 'result': result, 'error': error, 'timeTaken': '00:00:02.0000000',
            'spaceSaved': 1024}
    return json.dumps({'entries': [{'eventType': '$scavengeCompleted', 'data': json.dumps(data)},
                                   {'eventType': '$scavengeStarted', 'data': '{}'}]}).encode()


class FakeCluster:
    """open_url stand-in: each node's /gossip from a scenario (no file: refused), POST /admin/scavenge,
    then the progress replies in turn (the last one repeats)."""

    def __init__(self, scenario='healthy_trio', post=(200, b'{"scavengeId": "%s"}' % SCAVENGE_ID.encode()),
                 progress=(completed(),), edit=None):
        self.scenario, self.post, self.progress, self.edit = scenario, post, list(progress), edit
        self.calls = []

    def __call__(self, url, method=None, **kwargs):
        self.calls.append((method, url, kwargs))
        if url.endswith('/gossip'):
            document = gossip_document(self.scenario, NODES[host_of(url)], self.edit)
            if document is None:
                raise refused()
            return Reply(json.dumps(document).encode())
        if method == 'POST':
            return self._answer(self.post, url)
        answer = self.progress.pop(0) if len(self.progress) > 1 else self.progress[0]
        return self._answer(answer if isinstance(answer, tuple) else (200, answer), url)

    def posts(self):
        return [(url, kwargs) for method, url, kwargs in self.calls if method == 'POST']

    @staticmethod
    def _answer(answer, url):
        status, body = answer
        if status != 200:
            raise HTTPError(url, status, body.decode(), {}, io.BytesIO(b''))
        return Reply(body, status)


def run(monkeypatch, fake, args, expect=ModuleExit):
    monkeypatch.setattr(gossip_client, 'open_url', fake)
    monkeypatch.setattr(scavenge, 'open_url', fake)
    args = dict({'nodes': TRIO, 'node': '10.0.1.12', 'interval': 0.01, 'url_username': 'ops',
                 'url_password': 's3cret'}, **args)
    return run_module(scavenge.main, args, expect)


def test_a_follower_of_a_ready_cluster_is_scavenged_and_the_result_reported(monkeypatch):
    fake = FakeCluster(progress=[(404, b'Not Found'), completed()])
    result = run(monkeypatch, fake, {'start_from_chunk': 3, 'threads': 2})
    assert result == dict(changed=True, scavenge_id=SCAVENGE_ID, result='Success', time_taken='00:00:02.0000000',
                          space_saved=1024, status='ready', problems=[])
    assert sorted(url for method, url, _kw in fake.calls if url.endswith('/gossip')) == [
        'https://%s:2113/gossip' % host for host in TRIO]
    posts = fake.posts()
    assert [url for url, _kw in posts] == ['https://10.0.1.12:2113/admin/scavenge?startFromChunk=3&threads=2']
    assert (posts[0][1]['url_username'], posts[0][1]['force_basic_auth']) == ('ops', True)
    reads = [url for method, url, _kw in fake.calls if method == 'GET' and '$scavenges' in url]
    assert reads == [STATUS_READ % SCAVENGE_ID] * 2


def test_the_node_is_reached_with_the_scheme_given_in_nodes(monkeypatch):
    fake = FakeCluster()
    run(monkeypatch, fake, {'nodes': ['10.0.1.11', 'http://10.0.1.12:2113', '10.0.1.13'], 'node': '10.0.1.12:2113',
                            'wait': False})
    assert [url for url, _kw in fake.posts()] == ['http://10.0.1.12:2113/admin/scavenge?startFromChunk=0&threads=1']


def test_a_node_not_among_nodes_is_refused_before_any_call(monkeypatch):
    fake = FakeCluster()
    result = run(monkeypatch, fake, {'node': '10.0.1.14'}, ModuleFail)
    assert result['msg'] == ('node 10.0.1.14:2113 is not one of nodes (10.0.1.11:2113, 10.0.1.12:2113, '
                             '10.0.1.13:2113); add it to nodes, written with the same host and port')
    assert result['changed'] is False and fake.calls == []


@pytest.mark.parametrize('scenario, node, status, problem', [
    ('catching_up', '10.0.1.12', 'degraded', 'member 10.0.1.13:2113 (9c8b7a6d) is CatchingUp, not Leader or '
                                             'Follower yet.'),
    ('one_dead', '10.0.1.11', 'degraded', '10.0.1.13:2113: connection refused; is EventStoreDB running and '
                                          'listening on HTTP port 2113?'),
    ('split_brain', '10.0.1.13', 'split_brain', 'Split brain: 2 members are alive Leaders at once'),
])
def test_an_unready_cluster_is_refused_before_any_post(monkeypatch, scenario, node, status, problem):
    fake = FakeCluster(scenario)
    result = run(monkeypatch, fake, {'node': node}, ModuleFail)
    assert result['msg'].startswith('the cluster is %s, not ready, so no scavenge was started on %s:2113: '
                                    % (status, node))
    assert problem in result['msg'] and problem in ' '.join(result['problems'])
    assert result['msg'].endswith('Scavenge once esdb.cluster.cluster_status reports it ready.')
    assert (result['changed'], result['status'], result['scavenge_id']) == (False, status, None)
    assert fake.posts() == [] and not [c for c in fake.calls if '$scavenges' in c[1]]


def test_an_unready_cluster_is_refused_in_check_mode_too(monkeypatch):
    fake = FakeCluster('catching_up', progress=[(404, b'Not Found')])
    result = run(monkeypatch, fake, {'_ansible_check_mode': True}, ModuleFail)
    assert result['msg'].startswith('the cluster is degraded, not ready')
    assert [c for c in fake.calls if not c[1].endswith('/gossip')] == []


def test_expected_size_larger_than_the_cluster_is_unready(monkeypatch):
    fake = FakeCluster()
    result = run(monkeypatch, fake, {'expected_size': 5}, ModuleFail)
    assert result['msg'].startswith('the cluster is degraded, not ready') and fake.posts() == []


def test_a_node_that_does_not_list_itself_is_refused(monkeypatch):
    def hide_self(node, document):
        if node == 'n2':
            document['serverIp'] = '10.0.9.9'
    fake = FakeCluster(edit=hide_self)
    result = run(monkeypatch, fake, {}, ModuleFail)
    assert result['msg'] == ('10.0.1.12:2113 does not list itself as an alive member in /gossip, so it is not '
                             'ready to scavenge')
    assert result['status'] == 'ready' and fake.posts() == []


def test_check_mode_starts_nothing(monkeypatch):
    fake = FakeCluster(progress=[(404, b'Not Found')])
    result = run(monkeypatch, fake, {'_ansible_check_mode': True})
    assert (result['changed'], result['scavenge_id'], result['status']) == (True, None, 'ready')
    assert fake.posts() == []
    assert [url for method, url, _kw in fake.calls if '$scavenges' in url] == [STATUS_READ % scavenge.PROBE_ID]


def test_check_mode_reports_refused_credentials(monkeypatch):
    result = run(monkeypatch, FakeCluster(progress=[(401, b'Unauthorized')]), {'_ansible_check_mode': True},
                 ModuleFail)
    assert '$ops or $admins' in result['msg'] and result['changed'] is False


def test_a_running_scavenge_is_reported_as_such(monkeypatch):
    result = run(monkeypatch, FakeCluster(post=(400, b'Bad Request')), {}, ModuleFail)
    assert 'a scavenge is already running on that node' in result['msg']


def test_a_failed_scavenge_fails_the_task_after_starting_it(monkeypatch):
    result = run(monkeypatch, FakeCluster(progress=[completed('Failed', 'disk full')]), {}, ModuleFail)
    assert result['msg'] == 'the scavenge on 10.0.1.12:2113 ended with Failed: disk full'
    assert result['changed'] is True and result['scavenge_id'] == SCAVENGE_ID


def test_no_wait_returns_the_id_at_once(monkeypatch):
    fake = FakeCluster()
    result = run(monkeypatch, fake, {'wait': False})
    assert (result['changed'], result['scavenge_id'], result['result']) == (True, SCAVENGE_ID, None)
    assert not [c for c in fake.calls if '$scavenges' in c[1]]


def test_a_timeout_says_the_scavenge_goes_on(monkeypatch):
    result = run(monkeypatch, FakeCluster(progress=[(404, b'Not Found')]), {'wait_timeout': 0.05}, ModuleFail)
    assert 'did not complete within 0.05s' in result['msg'] and result['changed'] is True


@pytest.mark.parametrize('args, message', [
    ({'threads': 0}, 'threads is 0; give 1 or more'),
    ({'start_from_chunk': -2}, 'start_from_chunk is -2; give 0 (the first chunk) or a higher chunk number'),
    ({'node': 'ftp://x'}, "node 'ftp://x' uses scheme 'ftp'"),
    ({'interval': 0, 'threads': 0},
     'interval 0 must be more than 0 seconds, and at most 86400; threads is 0; give 1 or more'),
    ({'wait_timeout': -1}, 'wait_timeout -1 must be 0 or more seconds, and at most 86400 (0 reads the progress once)'),
])
def test_bad_input_is_one_sentence_each_and_no_call(monkeypatch, args, message):
    fake = FakeCluster()
    result = run(monkeypatch, fake, args, ModuleFail)
    assert result['msg'].startswith(message) and fake.calls == []


def test_an_unreachable_cluster_is_a_sentence(monkeypatch):
    def refuse(url, **kwargs):
        raise refused()
    result = run(monkeypatch, refuse, {}, ModuleFail)
    assert result['msg'].startswith('the cluster is unreachable, not ready, so no scavenge was started on '
                                    '10.0.1.12:2113: 10.0.1.11:2113: connection refused')
