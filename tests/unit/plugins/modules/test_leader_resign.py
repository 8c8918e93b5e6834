"""esdb.cluster.leader_resign main(), run the way Ansible runs it, against a fake cluster served from fixtures."""

import io
import json
from urllib.error import HTTPError, URLError

import pytest
import yaml

from ansible_collections.esdb.cluster.plugins.module_utils import admin_client, gossip_client
from ansible_collections.esdb.cluster.plugins.modules import leader_resign
from ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http import (
    IDS,
    NODES,
    ModuleExit,
    ModuleFail,
    Reply,
    gossip_document,
    host_of,
    refused,
    run_module,
)

TRIO = ['10.0.1.11', '10.0.1.12:2113', 'https://10.0.1.13:2113']
RESIGN_URL = 'https://10.0.1.11:2113/admin/node/resign'
AnsibleExitJson, AnsibleFailJson = ModuleExit, ModuleFail


class FakeCluster:
    """open_url stand-in for gossip and admin calls.

    GET /gossip serves `before` until a POST arrives, then the next scenario of `after` per read of
    that node (the last one repeats). A node without a fixture file refuses the connection.
    """

    def __init__(self, before, after=(), post=200, edit=None):
        self.before, self.after, self.post, self.edit = before, list(after), post, edit
        self.gets, self.posts = [], []
        self.reads_since_post = {}

    def __call__(self, url, method=None, **kwargs):
        host = host_of(url)
        if method == 'POST':
            self.posts.append((url, kwargs))
            if isinstance(self.post, BaseException):
                raise self.post
            return Reply(b'OK', self.post)
        self.gets.append(url)
        if self.posts and self.after:
            done = self.reads_since_post.get(host, 0)
            self.reads_since_post[host] = done + 1
            scenario = self.after[min(done, len(self.after) - 1)]
        else:
            scenario = self.before
        document = gossip_document(scenario, NODES[host], self.edit and (lambda _node, doc: self.edit(doc)))
        if document is None:
            raise refused()
        return Reply(json.dumps(document).encode())


def serve(monkeypatch, *args, **kwargs):
    cluster = FakeCluster(*args, **kwargs)
    monkeypatch.setattr(gossip_client, 'open_url', cluster)
    monkeypatch.setattr(admin_client, 'open_url', cluster)
    return cluster


def run(args, expect=AnsibleExitJson):
    return run_module(leader_resign.main, dict({'interval': 0.01}, **args), expect)


def test_the_leader_resigns_and_another_node_leads(monkeypatch):
    cluster = serve(monkeypatch, 'healthy_trio', ['resigning', 'handed_over'])
    result = run({'nodes': TRIO, 'url_username': 'ops', 'url_password': 's3cret'})
    assert result['changed'] is True
    assert result['previous_leader'] == dict(instance_id=IDS['n1'], host='10.0.1.11', port=2113,
                                             node='10.0.1.11:2113')
    assert result['leader'] == dict(instance_id=IDS['n2'], host='10.0.1.12', port=2113)
    assert (result['leader_node'], result['status'], result['problems']) == ('10.0.1.12:2113', 'ready', [])
    assert result['iterations'] == 3 and result['elapsed'] >= 0
    assert result['msg'] == ('Leadership moved from member 10.0.1.11:2113 (3f2a1b2c) to member 10.0.1.12:2113 '
                             '(5b6c7d8e) in %.1f s.' % result['elapsed'])
    assert result['report_lines'][0] == 'ready: leader 10.0.1.12:2113, 3/3 voters alive (quorum 2), 0 unreachable'
    [(url, kwargs)] = cluster.posts
    assert url == RESIGN_URL
    assert (kwargs['url_username'], kwargs['url_password'], kwargs['force_basic_auth']) == ('ops', 's3cret', True)
    assert len(cluster.gets) == 9


def test_the_request_goes_to_the_node_that_answered_as_leader_whatever_it_advertises(monkeypatch):
    names = {'10.0.1.11': 'es-a.internal', '10.0.1.12': 'es-b.internal', '10.0.1.13': 'es-c.internal'}

    def advertise(document):
        for member in document['members']:
            member['httpEndPointIp'] = names[member['httpEndPointIp']]
        document['serverIp'] = names[document['serverIp']]

    cluster = serve(monkeypatch, 'healthy_trio', ['handed_over'], edit=advertise)
    result = run({'nodes': TRIO, 'node': '10.0.1.11'})
    assert [post[0] for post in cluster.posts] == [RESIGN_URL]
    assert result['previous_leader']['host'] == 'es-a.internal'
    assert (result['previous_leader']['node'], result['leader_node']) == ('10.0.1.11:2113', '10.0.1.12:2113')


def test_check_mode_posts_nothing_and_reports_the_same_leader(monkeypatch):
    cluster = serve(monkeypatch, 'healthy_trio', ['handed_over'])
    result = run({'nodes': TRIO, '_ansible_check_mode': True})
    assert cluster.posts == []
    assert result['changed'] is True
    assert result['leader'] == dict(instance_id=IDS['n1'], host='10.0.1.11', port=2113)
    assert result['msg'] == ('Would ask 10.0.1.11:2113 to resign: member 10.0.1.11:2113 (3f2a1b2c) leads, '
                             'at 10.0.1.11:2113; 2 Follower(s) can take over.')


def test_check_mode_for_a_follower_reports_no_change(monkeypatch):
    cluster = serve(monkeypatch, 'healthy_trio')
    result = run({'nodes': TRIO, 'node': '10.0.1.13', '_ansible_check_mode': True})
    assert (result['changed'], cluster.posts) == (False, [])


def test_a_follower_given_as_node_is_left_alone(monkeypatch):
    cluster = serve(monkeypatch, 'healthy_trio', ['handed_over'])
    result = run({'nodes': TRIO, 'node': 'https://10.0.1.12:2113'})
    assert (result['changed'], cluster.posts, result['iterations']) == (False, [], 1)
    assert result['msg'].startswith('10.0.1.12:2113 is not the Leader (member 10.0.1.11:2113 (3f2a1b2c) leads')
    assert result['leader']['instance_id'] == result['previous_leader']['instance_id'] == IDS['n1']


def test_the_leader_given_as_node_resigns(monkeypatch):
    cluster = serve(monkeypatch, 'healthy_trio', ['handed_over'])
    assert run({'nodes': TRIO, 'node': '10.0.1.11:2113'})['changed'] is True
    assert [post[0] for post in cluster.posts] == [RESIGN_URL]


@pytest.mark.parametrize('scenario, status, start', [
    ('two_dead', 'unavailable', 'Nobody can take over from the Leader, member 10.0.1.11:2113 (3f2a1b2c)'),
    ('split_brain', 'split_brain', 'The nodes disagree about the Leader (split brain)'),
    ('resigning', 'unavailable', 'No node reports an alive Leader'),
])
def test_refusals_post_nothing(monkeypatch, scenario, status, start):
    cluster = serve(monkeypatch, scenario, ['handed_over'])
    result = run({'nodes': TRIO}, AnsibleFailJson)
    assert cluster.posts == [] and result['changed'] is False
    assert result['msg'].startswith(start)
    assert (result['status'], result['iterations']) == (status, 1)
    assert result['report_lines'][0].startswith(status + ': ')


def test_a_leader_that_is_not_among_the_nodes_is_refused(monkeypatch):
    cluster = serve(monkeypatch, 'healthy_trio')
    result = run({'nodes': ['10.0.1.12', '10.0.1.13'], 'expected_size': 3}, AnsibleFailJson)
    assert cluster.posts == []
    assert 'did not answer at any of the given nodes' in result['msg']
    assert result['previous_leader']['node'] is None


@pytest.mark.parametrize('post, expected', [
    (HTTPError(RESIGN_URL, 401, 'Unauthorized', {}, io.BytesIO()),
     '10.0.1.11:2113 answered POST /admin/node/resign with HTTP 401 Unauthorized; the admin credentials were '
     'refused: set url_username and url_password to a user in $admins or $ops (admin and ops by default).'),
    (HTTPError(RESIGN_URL, 404, 'Not Found', {}, io.BytesIO()),
     '10.0.1.11:2113 answered POST /admin/node/resign with HTTP 404 Not Found; the admin endpoints are off on '
     'that node (DisableAdminUi: true), so leadership cannot be handed over through HTTP there.'),
    (URLError(ConnectionRefusedError(111, 'Connection refused')),
     '10.0.1.11:2113: connection refused; is EventStoreDB running and listening on HTTP port 2113?'),
])
def test_a_refused_request_fails_unchanged(monkeypatch, post, expected):
    cluster = serve(monkeypatch, 'healthy_trio', ['handed_over'], post=post)
    result = run({'nodes': TRIO, 'url_username': 'admin', 'url_password': 'wrong'}, AnsibleFailJson)
    assert (result['msg'], result['changed'], len(cluster.posts)) == (expected, False, 1)
    assert result['leader']['instance_id'] == IDS['n1']
    assert 'wrong' not in json.dumps(result)


def test_no_new_leader_within_wait_timeout(monkeypatch):
    serve(monkeypatch, 'healthy_trio', ['resigning'])
    result = run({'nodes': TRIO, 'wait_timeout': 0.05}, AnsibleFailJson)
    assert result['changed'] is True and result['iterations'] >= 3
    assert result['msg'].startswith('10.0.1.11:2113 resigned but no other node became Leader within 0.05 s '
                                    '(cluster unavailable): No alive Leader')
    assert result['leader'] is None and result['status'] == 'unavailable'


def test_the_old_leader_still_leading_is_named(monkeypatch):
    serve(monkeypatch, 'healthy_trio', ['healthy_trio'])
    result = run({'nodes': TRIO, 'wait_timeout': 0.05}, AnsibleFailJson)
    assert '(cluster ready, still led by member 10.0.1.11:2113 (3f2a1b2c)).' in result['msg']


@pytest.mark.parametrize('args, message', [
    ({'nodes': TRIO, 'node': '10.0.1.14'},
     'node 10.0.1.14:2113 is not one of nodes (10.0.1.11:2113, 10.0.1.12:2113, 10.0.1.13:2113); add it to nodes'),
    ({'nodes': TRIO, 'node': '10.0.1.11:http'}, "node '10.0.1.11:http' has port 'http'"),
    ({'nodes': TRIO, 'node': 'https://admin:pw@10.0.1.11'},
     "node 'https://admin:********@10.0.1.11' carries credentials in the address"),
    ({'nodes': ['10.0.1.11/x']}, "node '10.0.1.11/x' has a path '/x'"),
    ({'nodes': TRIO, 'url_username': 'admin'}, 'parameters are required together: url_username, url_password'),
])
def test_bad_options_fail_before_any_call(monkeypatch, args, message):
    cluster = serve(monkeypatch, 'healthy_trio')
    result = run(args, AnsibleFailJson)
    assert message in result['msg']
    assert (cluster.gets, cluster.posts) == ([], [])


def test_every_result_key_is_documented(monkeypatch):
    serve(monkeypatch, 'healthy_trio', ['handed_over'])
    result = run({'nodes': TRIO})
    documented = set(yaml.safe_load(leader_resign.RETURN)) | {'changed'}
    assert set(result) - {'invocation'} == documented
