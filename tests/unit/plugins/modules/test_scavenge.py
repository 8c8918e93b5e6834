"""esdb.cluster.scavenge main(), run the way Ansible runs it, against canned 22.10 replies."""
import io
import json
from pathlib import Path
from urllib.error import HTTPError, URLError

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.esdb.cluster.plugins.module_utils import gossip_client
from ansible_collections.esdb.cluster.plugins.modules import scavenge

FIXTURES = Path(__file__).parents[1] / 'module_utils' / 'fixtures'
SCAVENGE_ID = '0b3e5d2c-7f5e-4a4d-9a57-2d1f4f0e6a11'


class AnsibleExitJson(Exception):
    """exit_json was called."""


class AnsibleFailJson(Exception):
    """fail_json was called."""


def exit_json(self, **kwargs):
    raise AnsibleExitJson(kwargs)


def fail_json(self, msg, **kwargs):
    raise AnsibleFailJson(dict(kwargs, msg=msg))


class Reply(io.BytesIO):
    def __init__(self, body, status=200):
        super().__init__(body)
        self.status = status

    def getcode(self):
        return self.status


def completed(result='Success', error=None):
    data = {'scavengeId': SCAVENGE_ID, 'result': result, 'error': error, 'timeTaken': '00:00:02.0000000',
            'spaceSaved': 1024}
    return json.dumps({'entries': [{'eventType': '$scavengeCompleted', 'data': json.dumps(data)},
                                   {'eventType': '$scavengeStarted', 'data': '{}'}]}).encode()


class FakeNode:
    """open_url stand-in: /gossip from a fixture, POST /admin/scavenge, then the progress replies in turn."""

    def __init__(self, scenario='healthy_trio', node='n2', post=(200, b'{"scavengeId": "%s"}' % SCAVENGE_ID.encode()),
                 progress=(completed(),)):
        self.scenario, self.node, self.post, self.progress = scenario, node, post, list(progress)
        self.calls = []

    def __call__(self, url, method=None, **kwargs):
        self.calls.append((method, url, kwargs))
        if url.endswith('/gossip'):
            return Reply((FIXTURES / self.scenario / (self.node + '.json')).read_bytes())
        if method == 'POST':
            return self._answer(self.post, url)
        answer = self.progress.pop(0) if len(self.progress) > 1 else self.progress[0]
        return self._answer(answer if isinstance(answer, tuple) else (200, answer), url)

    @staticmethod
    def _answer(answer, url):
        status, body = answer
        if isinstance(body, BaseException):
            raise body
        if status != 200:
            raise HTTPError(url, status, body.decode() if isinstance(body, bytes) else body, {}, io.BytesIO(b''))
        return Reply(body, status)


@pytest.fixture(autouse=True)
def module_exits(monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)


def run(monkeypatch, fake, args, expect=AnsibleExitJson):
    monkeypatch.setattr(gossip_client, 'open_url', fake)
    monkeypatch.setattr(scavenge, 'open_url', fake)
    args = dict({'node': '10.0.1.12', 'interval': 0.01, 'url_username': 'ops', 'url_password': 's3cret'}, **args)
    with patch_module_args(args), pytest.raises(expect) as caught:
        scavenge.main()
    result = caught.value.args[0]
    json.dumps(result)
    return result


def test_a_follower_is_scavenged_and_the_result_reported(monkeypatch):
    fake = FakeNode(progress=[(404, b'Not Found'), completed()])
    result = run(monkeypatch, fake, {'start_from_chunk': 3, 'threads': 2})
    assert result == dict(changed=True, scavenge_id=SCAVENGE_ID, result='Success', time_taken='00:00:02.0000000',
                          space_saved=1024)
    posts = [(url, kw) for method, url, kw in fake.calls if method == 'POST']
    assert [url for url, _kw in posts] == ['https://10.0.1.12:2113/admin/scavenge?startFromChunk=3&threads=2']
    assert (posts[0][1]['url_username'], posts[0][1]['force_basic_auth']) == ('ops', True)
    reads = [url for method, url, _kw in fake.calls if method == 'GET' and '$scavenges' in url]
    assert reads == ['https://10.0.1.12:2113/streams/$scavenges/%s/head/20?embed=body' % SCAVENGE_ID] * 2


def test_check_mode_starts_nothing(monkeypatch):
    fake = FakeNode(progress=[(404, b'Not Found')])
    result = run(monkeypatch, fake, {'_ansible_check_mode': True})
    assert result['changed'] is True and result['scavenge_id'] is None
    assert not [c for c in fake.calls if c[0] == 'POST']


def test_check_mode_reports_refused_credentials(monkeypatch):
    result = run(monkeypatch, FakeNode(progress=[(401, b'Unauthorized')]), {'_ansible_check_mode': True},
                 AnsibleFailJson)
    assert '$ops or $admins' in result['msg'] and result['changed'] is False


def test_an_unready_node_is_refused_before_any_post(monkeypatch):
    fake = FakeNode(scenario='catching_up', node='n3')
    result = run(monkeypatch, fake, {'node': '10.0.1.13'}, AnsibleFailJson)
    assert result['msg'].startswith('10.0.1.13:2113 is CatchingUp, not Leader, Follower or ReadOnlyReplica')
    assert result['changed'] is False and not [c for c in fake.calls if c[0] == 'POST']


def test_a_running_scavenge_is_reported_as_such(monkeypatch):
    result = run(monkeypatch, FakeNode(post=(400, b'Bad Request')), {}, AnsibleFailJson)
    assert 'a scavenge is already running on that node' in result['msg']


def test_a_failed_scavenge_fails_the_task_after_starting_it(monkeypatch):
    result = run(monkeypatch, FakeNode(progress=[completed('Failed', 'disk full')]), {}, AnsibleFailJson)
    assert result['msg'] == 'the scavenge on 10.0.1.12:2113 ended with Failed: disk full'
    assert result['changed'] is True and result['scavenge_id'] == SCAVENGE_ID


def test_no_wait_returns_the_id_at_once(monkeypatch):
    fake = FakeNode()
    result = run(monkeypatch, fake, {'wait': False})
    assert (result['changed'], result['scavenge_id'], result['result']) == (True, SCAVENGE_ID, None)
    assert not [c for c in fake.calls if '$scavenges' in c[1]]


def test_a_timeout_says_the_scavenge_goes_on(monkeypatch):
    result = run(monkeypatch, FakeNode(progress=[(404, b'Not Found')]), {'wait_timeout': 0.05}, AnsibleFailJson)
    assert 'did not complete within 0.05s' in result['msg'] and result['changed'] is True


@pytest.mark.parametrize('args, words', [
    ({'threads': 0}, 'threads is 0; give 1 or more'),
    ({'start_from_chunk': -2}, 'start_from_chunk is -2'),
    ({'node': 'ftp://x'}, "uses scheme 'ftp'"),
    ({'interval': 0}, 'interval > 0'),
])
def test_bad_input_is_one_sentence_and_no_call(monkeypatch, args, words):
    fake = FakeNode()
    result = run(monkeypatch, fake, args, AnsibleFailJson)
    assert words in result['msg'] and fake.calls == []


def test_an_unreachable_node_is_a_sentence(monkeypatch):
    def refuse(url, **kwargs):
        raise URLError(ConnectionRefusedError(111, 'Connection refused'))
    monkeypatch.setattr(gossip_client, 'open_url', refuse)
    monkeypatch.setattr(scavenge, 'open_url', refuse)
    with patch_module_args({'node': '10.0.1.12'}), pytest.raises(AnsibleFailJson) as caught:
        scavenge.main()
    assert '10.0.1.12:2113' in caught.value.args[0]['msg']
