"""account_password: what is sent to probe and reset a password, and one sentence for each failure."""

import io
import json
import socket
import threading
from types import SimpleNamespace
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils import account_password as utils
from ansible_collections.esdb.cluster.plugins.module_utils.account_password import (
    PasswordError,
    probe_all,
    reset,
    verdict,
)
from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import parse_node_address

N1, N2, N3 = (parse_node_address(host) for host in ('10.0.1.11', '10.0.1.12', 'http://10.0.1.13:2114'))
OPTIONS = dict(timeout=2.0, validate_certs=False, headers={'Accept': 'application/json'}, follow_redirects='none')


class Reply(io.BytesIO):
    """A reply that remembers being closed."""

    def __init__(self, body=b''):
        super().__init__(body)
        self.was_closed = False

    def close(self):
        self.was_closed = True
        super().close()


class Opener:
    """Records each call; answers with the outcome for its URL, or the default outcome.

    An outcome is an exception to raise, or a factory of replies (a reply is read once).
    """

    def __init__(self, default=Reply, **by_host):
        self.default, self.by_host, self.calls, self.replies = default, by_host, [], []

    def __call__(self, url, **kwargs):
        self.calls.append((url, kwargs))
        host = url.split('://', 1)[1].split(':', 1)[0].replace('.', '_')
        outcome = self.by_host.get('h' + host, self.default)
        if isinstance(outcome, list):
            outcome = outcome.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        reply = outcome()
        self.replies.append(reply)
        return reply


def http_error(code, reason='Reason'):
    return HTTPError('https://10.0.1.11:2113/x', code, reason, {}, io.BytesIO(b''))


# probe_all: GET /info/options with the account's own login on every node


def test_probe_sends_an_authenticated_get_to_info_options_and_closes_the_reply():
    opener = Opener()
    assert probe_all([N1], 'ops', 'pw', OPTIONS, opener) == {'10.0.1.11:2113': 200}
    [(url, kwargs)] = opener.calls
    assert url == 'https://10.0.1.11:2113/info/options'
    assert kwargs == dict(OPTIONS, method='GET', url_username='ops', url_password='pw', force_basic_auth=True)
    assert opener.replies[0].was_closed


def test_probe_answers_every_node_in_the_given_order():
    opener = Opener(h10_0_1_12=http_error(401, 'Unauthorized'), h10_0_1_13=http_error(500))
    answers = probe_all([N3, N1, N2], 'admin', 'pw', OPTIONS, opener)
    assert list(answers.items()) == [
        ('10.0.1.13:2114', '10.0.1.13:2114 answered GET /info/options with HTTP 500.'),
        ('10.0.1.11:2113', 200), ('10.0.1.12:2113', 401)]
    assert sorted(call[0] for call in opener.calls) == [
        'http://10.0.1.13:2114/info/options', 'https://10.0.1.11:2113/info/options',
        'https://10.0.1.12:2113/info/options']


@pytest.mark.parametrize('code', [400, 403, 404, 408])
def test_probe_names_any_refusal_other_than_401(code):
    answers = probe_all([N1], 'admin', 'pw', OPTIONS, Opener(http_error(code)))
    assert answers == {'10.0.1.11:2113': '10.0.1.11:2113 answered GET /info/options with HTTP %d.' % code}


@pytest.mark.parametrize('options, expected', [
    (OPTIONS, '10.0.1.11:2113 gave no answer within 2 s (timed out).'),
    ({}, '10.0.1.11:2113 gave no answer within 5 s (timed out).'),
])
def test_probe_timeout_is_a_sentence_with_the_timeout(options, expected):
    answers = probe_all([N1], 'admin', 'pw', options, Opener(URLError(socket.timeout('timed out'))))
    assert answers == {'10.0.1.11:2113': expected}


def test_probe_connection_failure_is_a_sentence():
    answers = probe_all([N1], 'admin', 'pw', OPTIONS, Opener(URLError(ConnectionRefusedError(111, 'refused'))))
    assert answers == {'10.0.1.11:2113': '10.0.1.11:2113: connection refused; is EventStoreDB running and '
                                         'listening on HTTP port 2113?'}


def test_probe_uses_open_url_when_no_opener_is_given(monkeypatch):
    opener = Opener()
    monkeypatch.setattr(utils, 'open_url', opener)
    assert probe_all([N1], 'admin', 'pw', OPTIONS) == {'10.0.1.11:2113': 200}
    assert len(opener.calls) == 1


class SilentThread(threading.Thread):
    """A thread that never runs its target, and records how it was started and waited for."""

    seen = []

    def start(self):
        self.record = dict(daemon=self.daemon)
        SilentThread.seen.append(self.record)

    def join(self, timeout=None):
        self.record['join'] = timeout


@pytest.mark.parametrize('options, wait', [(dict(OPTIONS, timeout='0.5'), 1.5), ({}, 6.0)])
def test_a_node_that_never_answers_is_named_after_timeout_plus_a_second(monkeypatch, options, wait):
    SilentThread.seen = []
    monkeypatch.setattr(utils, 'threading', SimpleNamespace(Thread=SilentThread))
    answers = probe_all([N1, N2], 'admin', 'pw', options, Opener())
    assert answers == {'10.0.1.11:2113': '10.0.1.11:2113 gave no answer in time.',
                       '10.0.1.12:2113': '10.0.1.12:2113 gave no answer in time.'}
    assert SilentThread.seen == [dict(daemon=True, join=wait), dict(daemon=True, join=wait)]


def test_verdict_separates_refusals_from_errors():
    assert verdict({'a': 200, 'b': 200}) == (True, [], [])
    assert verdict({'c': 401, 'a': 200, 'b': 401}) == (False, ['b', 'c'], [])
    assert verdict({'a': 200, 'b': 'b gave no answer in time.'}) == (False, [], ['b gave no answer in time.'])


# reset: POST the new password once, trying each login in turn


def test_reset_posts_the_new_password_as_json_with_the_first_login_that_works():
    opener = Opener(h10_0_1_11=[http_error(401, 'Unauthorized'), Reply])
    index = reset(N1, 'ops', 'n3w "pw"', 'admin', ['old', 'changeit', 'other'], OPTIONS, opener)
    assert index == 1
    assert [call[0] for call in opener.calls] == ['https://10.0.1.11:2113/users/ops/command/reset-password'] * 2
    assert [call[1]['url_password'] for call in opener.calls] == ['old', 'changeit']
    kwargs = opener.calls[1][1]
    assert json.loads(kwargs.pop('data').decode('utf-8')) == {'newPassword': 'n3w "pw"'}
    assert kwargs == dict(OPTIONS, method='POST', url_username='admin', url_password='changeit',
                          force_basic_auth=True,
                          headers={'Accept': 'application/json', 'Content-Type': 'application/json'})
    assert opener.replies[0].was_closed


def test_reset_body_is_utf8_json():
    opener = Opener()
    assert reset(N1, 'admin', 'pässwörd', 'admin', ['changeit'], {}, opener) == 0
    [(_url, kwargs)] = opener.calls
    assert kwargs['data'] == json.dumps({'newPassword': 'pässwörd'}).encode('utf-8')
    assert kwargs['headers'] == {'Content-Type': 'application/json'}


def test_reset_uses_open_url_when_no_opener_is_given(monkeypatch):
    opener = Opener()
    monkeypatch.setattr(utils, 'open_url', opener)
    assert reset(N1, 'admin', 'n3w', 'admin', ['changeit'], OPTIONS) == 0
    assert len(opener.calls) == 1


def reset_error(outcome, options=None, logins=('changeit',)):
    opener = Opener(outcome)
    with pytest.raises(PasswordError) as caught:
        reset(N1, 'ops', 'n3w', 'admin', list(logins), OPTIONS if options is None else options, opener)
    text = str(caught.value)
    assert '\n' not in text and 'n3w' not in text and 'changeit' not in text
    return text, opener


def test_every_login_refused_names_the_node_the_user_and_the_fix():
    text, opener = reset_error(http_error(401, 'Unauthorized'), logins=('a', 'b'))
    assert text == ('10.0.1.11:2113 refused every login given for admin (HTTP 401): the account accepts none of '
                    'them. Give its current password (for the role: eventstore_admin_password), or reset it in the '
                    'EventStoreDB UI.')
    assert len(opener.calls) == 2


def test_no_login_at_all_is_refused_without_a_call():
    text, opener = reset_error(Reply, logins=())
    assert text.startswith('10.0.1.11:2113 refused every login given for admin (HTTP 401)')
    assert opener.calls == []


@pytest.mark.parametrize('code, expected', [
    (404, '10.0.1.11:2113 answered the reset of ops with HTTP 404; the account does not exist, or the node runs '
          'with Insecure (no accounts).'),
    (408, '10.0.1.11:2113 answered the reset of ops with HTTP 408; the cluster has no Leader to write the '
          'change, so wait until it is ready.'),
    (500, '10.0.1.11:2113 answered the reset of ops with HTTP 500; see the node log.'),
    (403, '10.0.1.11:2113 answered the reset of ops with HTTP 403; see the node log.'),
])
def test_other_statuses_stop_at_once_with_a_sentence(code, expected):
    text, opener = reset_error(http_error(code), logins=('a', 'b'))
    assert text == expected
    assert len(opener.calls) == 1


@pytest.mark.parametrize('options, expected', [
    (OPTIONS, '10.0.1.11:2113 gave no answer within 2 s (timed out).'),
    ({}, '10.0.1.11:2113 gave no answer within 5 s (timed out).'),
])
def test_reset_timeout_is_a_sentence_with_the_timeout(options, expected):
    text, opener = reset_error(URLError(socket.timeout('timed out')), options=options, logins=('a', 'b'))
    assert text == expected
    assert len(opener.calls) == 1
