"""POST /admin/node/resign: what is sent, and one sentence for every way it can go wrong."""

import io
import socket
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils import admin_client
from ansible_collections.esdb.cluster.plugins.module_utils.admin_client import (
    RESIGN_PATH,
    AdminCallError,
    describe_admin_status,
    post_admin,
)
from ansible_collections.esdb.cluster.plugins.module_utils.node_connection import (
    open_url_options,
    parse_node_address,
)

NODE = parse_node_address('10.0.1.11')
PARAMS = dict(timeout=2.0, validate_certs=True, ca_path='/ca.crt', client_cert=None, client_key=None,
              url_username='ops', url_password='s3cret')


class Reply(io.BytesIO):
    def __init__(self, status, body=b'OK'):
        super().__init__(body)
        self.status = status


class Opener:
    """Records each call; answers with a Reply or raises the given exception."""

    def __init__(self, outcome):
        self.outcome, self.calls = outcome, []

    def __call__(self, url, **kwargs):
        self.calls.append((url, kwargs))
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def http_error(code, reason):
    return HTTPError('https://10.0.1.11:2113' + RESIGN_PATH, code, reason, {}, io.BytesIO(b''))


def test_200_is_accepted_and_sends_an_authenticated_empty_post():
    opener = Opener(Reply(200))
    assert post_admin(NODE, RESIGN_PATH, open_url_options(PARAMS), opener) is None
    [(url, kwargs)] = opener.calls
    assert url == 'https://10.0.1.11:2113/admin/node/resign'
    assert (kwargs['method'], kwargs['data'], kwargs['timeout'], kwargs['ca_path']) == ('POST', b'', 2.0, '/ca.crt')
    assert (kwargs['url_username'], kwargs['url_password'], kwargs['force_basic_auth']) == ('ops', 's3cret', True)
    assert kwargs['follow_redirects'] == 'none'


def message(outcome):
    with pytest.raises(AdminCallError) as caught:
        post_admin(NODE, RESIGN_PATH, open_url_options(PARAMS), Opener(outcome))
    text = str(caught.value)
    assert '\n' not in text and 's3cret' not in text
    return text


@pytest.mark.parametrize('code, reason', [(401, 'Unauthorized'), (403, 'Forbidden')])
def test_refused_credentials_name_the_node_and_the_options(code, reason):
    assert message(http_error(code, reason)) == (
        '10.0.1.11:2113 answered POST /admin/node/resign with HTTP %d %s; the admin credentials were refused: '
        'set url_username and url_password to a user in $admins or $ops (admin and ops by default).'
        % (code, reason))


def test_404_says_the_admin_endpoints_are_off():
    assert message(http_error(404, 'Not Found')) == (
        '10.0.1.11:2113 answered POST /admin/node/resign with HTTP 404 Not Found; the admin endpoints are off '
        'on that node (DisableAdminUi: true), so leadership cannot be handed over through HTTP there.')


@pytest.mark.parametrize('outcome, expected', [
    (http_error(500, 'Internal Server Error'),
     'HTTP 500 Internal Server Error; the node failed to handle the request, see its log.'),
    (http_error(307, 'Temporary Redirect'), 'HTTP 307 Temporary Redirect; point nodes at the node itself'),
    (http_error(405, 'Method Not Allowed'), 'HTTP 405 Method Not Allowed; this node does not take POST there'),
    # A factory: a reply is read once, and parameters outlive one run of the test.
    (lambda: Reply(204, b''), 'with HTTP 204; only HTTP 200 means the node accepted.'),
])
def test_other_statuses(outcome, expected):
    text = message(outcome() if callable(outcome) and not isinstance(outcome, BaseException) else outcome)
    assert text.startswith('10.0.1.11:2113 answered POST /admin/node/resign with HTTP ')
    assert expected in text


@pytest.mark.parametrize('outcome, expected', [
    (URLError(ConnectionRefusedError(111, 'Connection refused')),
     '10.0.1.11:2113: connection refused; is EventStoreDB running and listening on HTTP port 2113?'),
    (URLError(socket.timeout('timed out')), '10.0.1.11:2113 gave no answer within 2 s (timed out).'),
    (ValueError('something odd'), '10.0.1.11:2113: request failed (ValueError: something odd).'),
])
def test_connection_failures_are_sentences(outcome, expected):
    assert message(outcome) == expected


class RecordingReply:
    """A reply without a status attribute (as older http.client objects), recording reads and close."""

    def __init__(self, code, fail_read=False):
        self.code, self.fail_read, self.reads, self.closed = code, fail_read, [], False

    def getcode(self):
        return self.code

    def read(self, size=-1):
        self.reads.append(size)
        if self.fail_read:
            raise ConnectionResetError(104, 'Connection reset by peer')
        return b'OK'

    def close(self):
        self.closed = True


def test_status_comes_from_getcode_when_the_reply_has_none_and_a_bounded_read_closes_it():
    reply = RecordingReply(200)
    assert post_admin(NODE, RESIGN_PATH, open_url_options(PARAMS), Opener(reply)) is None
    assert (reply.reads, reply.closed) == ([65536], True)


def test_status_zero_falls_back_to_getcode():
    reply = RecordingReply(200)
    reply.status = 0
    assert post_admin(NODE, RESIGN_PATH, open_url_options(PARAMS), Opener(reply)) is None


def test_getcode_other_than_200_is_refused_and_the_reply_closed():
    reply = RecordingReply(202)
    assert message(reply) == ('10.0.1.11:2113 answered POST /admin/node/resign with HTTP 202; only HTTP 200 means '
                              'the node accepted.')
    assert reply.closed


def test_a_reply_that_breaks_while_read_is_closed_and_described():
    reply = RecordingReply(200, fail_read=True)
    assert message(reply) == ('10.0.1.11:2113 closed the connection without an HTTP answer (empty reply).')
    assert reply.closed


def test_other_paths_are_named_and_sent_to():
    opener = Opener(http_error(404, None))
    with pytest.raises(AdminCallError) as caught:
        post_admin(NODE, '/admin/shutdown', open_url_options(PARAMS), opener)
    assert str(caught.value).startswith('10.0.1.11:2113 answered POST /admin/shutdown with HTTP 404; the admin')
    assert opener.calls[0][0] == 'https://10.0.1.11:2113/admin/shutdown'


def test_without_a_timeout_option_the_default_of_5_s_is_named():
    with pytest.raises(AdminCallError) as caught:
        post_admin(NODE, RESIGN_PATH, {}, Opener(URLError(socket.timeout('timed out'))))
    assert str(caught.value) == '10.0.1.11:2113 gave no answer within 5 s (timed out).'


def test_open_url_is_used_when_no_opener_is_given(monkeypatch):
    opener = Opener(Reply(200))
    monkeypatch.setattr(admin_client, 'open_url', opener)
    assert post_admin(NODE, RESIGN_PATH, open_url_options(PARAMS)) is None
    assert len(opener.calls) == 1


@pytest.mark.parametrize('code, reason, expected', [
    (300, 'Multiple Choices', 'HTTP 300 Multiple Choices; point nodes at the node itself, not at a redirecting proxy.'),
    (399, None, 'HTTP 399; point nodes at the node itself, not at a redirecting proxy.'),
    (400, 'Bad Request', 'HTTP 400 Bad Request; only HTTP 200 means the node accepted.'),
    (299, None, 'HTTP 299; only HTTP 200 means the node accepted.'),
    (499, None, 'HTTP 499; only HTTP 200 means the node accepted.'),
    (500, None, 'HTTP 500; the node failed to handle the request, see its log.'),
    (503, 'Service Unavailable', 'HTTP 503 Service Unavailable; the node failed to handle the request, see its log.'),
    (405, None, 'HTTP 405; this node does not take POST there, so it is probably not EventStoreDB 22.10.'),
    (403, None, 'HTTP 403; the admin credentials were refused: set url_username and url_password to a user in '
                '$admins or $ops (admin and ops by default).'),
    (404, None, 'HTTP 404; the admin endpoints are off on that node (DisableAdminUi: true), so leadership cannot '
                'be handed over through HTTP there.'),
])
def test_each_status_has_its_exact_sentence(code, reason, expected):
    assert describe_admin_status('n1:2113', '/admin/node/resign', code, reason) == (
        'n1:2113 answered POST /admin/node/resign with ' + expected)
