"""esdb.cluster.account_password main(), run the way Ansible runs it, against a fake replicating cluster."""

import json
from urllib.error import HTTPError


from ansible_collections.esdb.cluster.plugins.module_utils import account_password as utils
from ansible_collections.esdb.cluster.plugins.module_utils import gossip_client
from ansible_collections.esdb.cluster.plugins.modules import account_password
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

TRIO = ['10.0.1.11', '10.0.1.12', '10.0.1.13']
Done, Failed = ModuleExit, ModuleFail


class FakeCluster:
    """Accounts as 22.10 keeps them: one set, written on the Leader (10.0.1.11), seen by a node
    `lag` probes after the write; a follower refuses to write; no Leader answers 408."""

    def __init__(self, passwords, lag=1, leader=True, down=()):
        self.passwords, self.lag, self.leader, self.down = dict(passwords), lag, leader, down
        self.pending, self.seen, self.resets = None, {}, []

    def __call__(self, url, method=None, data=None, url_username=None, url_password=None, **kwargs):
        host = host_of(url)
        if host in self.down:
            raise refused()
        path = url.split(':2113', 1)[1]
        if path == '/gossip':
            body = json.dumps(gossip_document('healthy_trio', NODES[host]))
            return Reply((body if self.leader else body.replace('"Leader"', '"Unknown"')).encode())
        if path == '/info/options':
            return self._probe(host, url_username, url_password, url)
        return self._reset(host, path, json.loads(data), url_username, url_password, url)

    def _known(self, host, user):
        if self.pending and self.pending[0] == user:
            self.seen[host] = self.seen.get(host, 0) + 1
            if self.seen[host] > self.lag:
                return self.pending[1]
        return self.passwords[user]

    def _probe(self, host, user, password, url):
        if self._known(host, user) != password:
            raise HTTPError(url, 401, 'Unauthorized', {}, None)
        return Reply(b'{}')

    def _reset(self, host, path, body, user, password, url):
        if not self.leader:
            raise HTTPError(url, 408, 'Server was unable to handle request in time', {}, None)
        if self.passwords[user] != password:
            raise HTTPError(url, 401, 'Unauthorized', {}, None)
        account = path.split('/')[2]
        self.resets.append((host, account, user))
        self.pending, self.seen = (account, body['newPassword']), {}
        self.passwords[account] = body['newPassword'] if self.lag == 0 else self.passwords[account]
        return Reply(b'')


def run(monkeypatch, cluster, expect=Done, **args):
    monkeypatch.setattr(utils, 'open_url', cluster)
    monkeypatch.setattr(gossip_client, 'open_url', cluster)
    base = dict(nodes=TRIO, account='admin', password='n3w', url_username='admin', url_password='n3w',
                login_fallbacks=['changeit'], interval=0.01, wait_timeout=5)
    base.update(args)
    return run_module(account_password.main, base, expect)


def test_new_cluster_is_reset_once_on_the_leader_with_the_default_login(monkeypatch):
    cluster = FakeCluster({'admin': 'changeit', 'ops': 'changeit'}, lag=2)
    result = run(monkeypatch, cluster)
    assert (result['changed'], result['reset_on'], cluster.resets) == (True, '10.0.1.11:2113', [('10.0.1.11', 'admin', 'admin')])
    assert result['refusing'] == ['10.0.1.11:2113', '10.0.1.12:2113', '10.0.1.13:2113']
    assert result['iterations'] >= 2
    assert 'n3w' not in json.dumps(result)


def test_every_node_accepting_changes_nothing(monkeypatch):
    cluster = FakeCluster({'admin': 'n3w'})
    result = run(monkeypatch, cluster)
    assert (result['changed'], cluster.resets) == (False, [])


def test_check_mode_posts_nothing(monkeypatch):
    cluster = FakeCluster({'admin': 'changeit'})
    result = run(monkeypatch, cluster, _ansible_check_mode=True)
    assert (result['changed'], cluster.resets) == (True, [])


def test_ops_is_reset_with_admins_password(monkeypatch):
    cluster = FakeCluster({'admin': 'adm1n', 'ops': 'changeit'}, lag=0)
    result = run(monkeypatch, cluster, account='ops', password='0ps', url_password='adm1n', login_fallbacks=[])
    assert result['changed'] and cluster.resets == [('10.0.1.11', 'ops', 'admin')]


def test_no_leader_fails_before_posting(monkeypatch):
    cluster = FakeCluster({'admin': 'changeit'}, leader=False)
    result = run(monkeypatch, cluster, Failed)
    assert result['msg'].startswith('No agreed Leader answered, and 22.10 writes accounts through the Leader')
    assert cluster.resets == []


def test_wrong_admin_password_is_named(monkeypatch):
    cluster = FakeCluster({'admin': 'something-else'})
    result = run(monkeypatch, cluster, Failed)
    assert result['msg'] == ('10.0.1.11:2113 refused every login given for admin (HTTP 401): the account accepts none '
                             'of them. Give its current password (for the role: eventstore_admin_password), or reset '
                             'it in the EventStoreDB UI.')


def test_replication_that_never_arrives_times_out_naming_the_nodes(monkeypatch):
    cluster = FakeCluster({'admin': 'changeit'}, lag=10 ** 6)
    result = run(monkeypatch, cluster, Failed, wait_timeout=0.05)
    assert 'took the new password of admin' in result['msg']
    assert '10.0.1.12:2113, 10.0.1.13:2113' in result['msg'] or '10.0.1.11:2113, 10.0.1.12:2113' in result['msg']


def test_unreachable_node_fails_with_its_sentence(monkeypatch):
    cluster = FakeCluster({'admin': 'changeit'}, down=('10.0.1.13',))
    result = run(monkeypatch, cluster, Failed)
    assert '10.0.1.13:2113' in result['msg'] and cluster.resets == []


def test_login_is_required(monkeypatch):
    result = run(monkeypatch, FakeCluster({'admin': 'x'}), Failed, url_username=None, url_password=None)
    assert result['msg'].startswith('url_username and url_password are required')


def test_status_sentences():
    assert utils._reset_status('n', 'ops', 408).endswith('no Leader to write the change, so wait until it is ready.')
    assert utils._reset_status('n', 'ops', 404).endswith('or the node runs with Insecure (no accounts).')
