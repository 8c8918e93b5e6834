"""esdb.cluster.cluster_status main(), run the way Ansible runs it, with gossip served from fixtures."""

import datetime
import json
import socket
from urllib.error import URLError

import pytest
import yaml

from ansible_collections.esdb.cluster.plugins.module_utils import gossip_client
from ansible_collections.esdb.cluster.plugins.modules import cluster_status
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

TRIO = ['10.0.1.11', '10.0.1.12:2113', 'https://10.0.1.13:2113']
AnsibleExitJson, AnsibleFailJson = ModuleExit, ModuleFail


class FakeNodes:
    """open_url stand-in: each round serves the next scenario; a node without a file refuses."""

    def __init__(self, *scenarios):
        self.scenarios = list(scenarios)
        self.calls = []

    def __call__(self, url, **kwargs):
        self.calls.append((url, kwargs))
        rounds_done = (len(self.calls) - 1) // 3
        scenario = self.scenarios[min(rounds_done, len(self.scenarios) - 1)]
        document = gossip_document(scenario, NODES[host_of(url)])
        if document is None:
            raise refused()
        return Reply(json.dumps(document).encode())


def serve(monkeypatch, *scenarios):
    nodes = FakeNodes(*scenarios)
    monkeypatch.setattr(gossip_client, 'open_url', nodes)
    return nodes


def run(args, expect=AnsibleExitJson):
    return run_module(cluster_status.main, args, expect)


def test_healthy_trio_is_ready_and_changes_nothing(monkeypatch):
    nodes = serve(monkeypatch, 'healthy_trio')
    result = run({'nodes': TRIO, 'ca_path': None, 'timeout': 2})
    assert (result['changed'], result['ready'], result['status']) == (False, True, 'ready')
    assert result['leader']['host'] == '10.0.1.11'
    assert (result['voters_alive'], result['quorum_size'], result['expected_size']) == (3, 2, 3)
    assert (result['iterations'], result['problems'], result['unreachable_nodes']) == (1, [], [])
    assert result['elapsed'] >= 0
    assert result['report'].split('\n') == result['report_lines']
    assert result['report_lines'][0] == 'ready: leader 10.0.1.11:2113, 3/3 voters alive (quorum 2), 0 unreachable'
    assert sorted(call[0] for call in nodes.calls) == [
        'https://10.0.1.11:2113/gossip', 'https://10.0.1.12:2113/gossip', 'https://10.0.1.13:2113/gossip']
    kwargs = nodes.calls[0][1]
    assert (kwargs['timeout'], kwargs['validate_certs'], kwargs['method']) == (2.0, True, 'GET')


def test_check_mode_runs_the_same_read_only_check(monkeypatch):
    serve(monkeypatch, 'healthy_trio')
    result = run({'nodes': TRIO, '_ansible_check_mode': True})
    assert (result['changed'], result['status']) == (False, 'ready')


def test_scheme_applies_to_nodes_without_one(monkeypatch):
    nodes = serve(monkeypatch, 'healthy_trio')
    run({'nodes': TRIO, 'scheme': 'http'})
    assert sorted(call[0] for call in nodes.calls) == [
        'http://10.0.1.11:2113/gossip', 'http://10.0.1.12:2113/gossip', 'https://10.0.1.13:2113/gossip']


def test_failure_has_a_one_line_message_and_the_full_result(monkeypatch):
    serve(monkeypatch, 'one_dead')
    result = run({'nodes': TRIO}, AnsibleFailJson)
    assert result['msg'] == (
        'EventStoreDB cluster is degraded, validate=ready not met after 1 check(s) in %.1f s: '
        '10.0.1.13:2113: connection refused; is EventStoreDB running and listening on HTTP port 2113? '
        '(2 more problems in the result)' % result['elapsed'])
    assert '\n' not in result['msg']
    assert (result['changed'], result['ready'], result['status'], result['voters_alive']) == (
        False, False, 'degraded', 2)
    assert result['unreachable_nodes'][0]['node'] == '10.0.1.13:2113'
    assert len(result['problems']) == 3 and len(result['members']) == 3 and result['report_lines']


def test_quorum_validation_passes_with_one_node_dead(monkeypatch):
    serve(monkeypatch, 'one_dead')
    result = run({'nodes': TRIO, 'validate': 'quorum'})
    assert (result['status'], result['ready']) == ('degraded', False)


@pytest.mark.parametrize('scenario', ['two_dead', 'split_brain', 'catching_up'])
def test_validate_none_never_fails(monkeypatch, scenario):
    serve(monkeypatch, scenario)
    assert run({'nodes': TRIO, 'validate': 'none'})['ready'] is False


def test_nothing_answering_with_validate_none_reports_unreachable(monkeypatch):
    def refusing(url, **kwargs):
        raise refused()
    monkeypatch.setattr(gossip_client, 'open_url', refusing)
    result = run({'nodes': TRIO, 'validate': 'none'})
    assert (result['status'], len(result['unreachable_nodes']), result['leader']) == ('unreachable', 3, None)


def test_split_brain_fails_even_for_validate_leader(monkeypatch):
    serve(monkeypatch, 'split_brain')
    result = run({'nodes': TRIO, 'validate': 'leader'}, AnsibleFailJson)
    assert result['status'] == 'split_brain'
    assert result['msg'].startswith(
        'EventStoreDB cluster is split_brain, validate=leader not met after 1 check(s) in ')
    assert 'Split brain: 2 members are alive Leaders at once' in result['msg']


def test_waits_until_ready_and_returns_at_once(monkeypatch):
    nodes = serve(monkeypatch, 'one_dead', 'catching_up', 'healthy_trio', 'split_brain')
    result = run({'nodes': TRIO, 'wait_timeout': 30, 'interval': 0.01})
    assert (result['status'], result['iterations']) == ('ready', 3)
    assert len(nodes.calls) == 9
    assert result['elapsed'] < 5


def test_waiting_gives_up_with_the_last_verdict(monkeypatch):
    serve(monkeypatch, 'two_dead')
    result = run({'nodes': TRIO, 'wait_timeout': 0.05, 'interval': 0.01}, AnsibleFailJson)
    assert result['status'] == 'unavailable' and result['iterations'] >= 2
    assert 'validate=ready not met after %d check(s)' % result['iterations'] in result['msg']


def test_expected_size_overrides_the_node_count(monkeypatch):
    serve(monkeypatch, 'replica_and_clone')
    result = run({'nodes': ['10.0.1.11'], 'expected_size': 3})
    assert (result['status'], result['expected_size'], result['read_only_replicas'], result['clones']) == (
        'ready', 3, 1, 1)


def test_one_node_given_for_a_trio_is_flagged(monkeypatch):
    serve(monkeypatch, 'healthy_trio')
    result = run({'nodes': ['10.0.1.11']}, AnsibleFailJson)
    assert 'expected_size is 1' in result['msg']


def test_dns_and_timeouts_through_the_module(monkeypatch):
    def failing(url, **kwargs):
        if '10.0.1.11' in url:
            raise URLError(socket.gaierror(-2, 'Name or service not known'))
        raise URLError(socket.timeout('timed out'))
    monkeypatch.setattr(gossip_client, 'open_url', failing)
    result = run({'nodes': TRIO, 'timeout': 1.5}, AnsibleFailJson)
    assert result['status'] == 'unreachable'
    assert result['problems'][0] == ("10.0.1.11:2113: the name '10.0.1.11' could not be resolved "
                                     "(DNS: Name or service not known).")
    assert result['problems'][1] == '10.0.1.12:2113 gave no answer within 1.5 s (timed out).'


@pytest.mark.parametrize('args, message', [
    ({'nodes': ['10.0.1.11:x']}, "node '10.0.1.11:x' has port 'x'; the port must be a number from 1 to 65535"),
    ({'nodes': []}, 'nodes is empty'),
    ({'nodes': TRIO, 'max_lag': -1}, 'max_lag -1 must be 0 or more bytes'),
    ({'nodes': TRIO, 'validate': 'all'}, 'value of validate must be one of: ready, quorum, leader, none'),
    ({'nodes': TRIO, 'url_username': 'ops'}, 'parameters are required together: url_username, url_password'),
    ({'nodes': TRIO, 'client_key': '/k.pem'}, 'missing parameter(s) required by \'client_key\': client_cert'),
])
def test_bad_options_fail_with_a_clear_message(monkeypatch, args, message):
    nodes = serve(monkeypatch, 'healthy_trio')
    result = run(args, AnsibleFailJson)
    assert message in result['msg']
    assert nodes.calls == []


def test_member_waits_until_the_restarted_node_is_a_follower(monkeypatch):
    serve(monkeypatch, 'catching_up', 'catching_up', 'healthy_trio')
    result = run({'nodes': TRIO, 'validate': 'quorum', 'members': ['10.0.1.13', '10.0.1.12'], 'wait_timeout': 5,
                  'interval': 0.01})
    assert result['iterations'] == 3
    assert [(r['node'], r['rejoined'], r['state']) for r in result['rejoin']] == [
        ('10.0.1.13:2113', True, 'Follower'), ('10.0.1.12:2113', True, 'Follower')]


def test_member_still_catching_up_fails_naming_it(monkeypatch):
    serve(monkeypatch, 'catching_up')
    result = run({'nodes': TRIO, 'validate': 'quorum', 'members': ['10.0.1.12', '10.0.1.13:2113']}, AnsibleFailJson)
    assert result['msg'].startswith('EventStoreDB cluster is degraded, validate=quorum not met after 1 check(s)')
    assert ': 10.0.1.13:2113 is CatchingUp, not Follower or ReadOnlyReplica yet.' in result['msg']
    assert [r['rejoined'] for r in result['rejoin']] == [True, False]


def test_empty_members_adds_no_condition(monkeypatch):
    serve(monkeypatch, 'healthy_trio')
    assert run({'nodes': TRIO, 'members': []})['rejoin'] == []


def test_member_must_be_one_of_the_nodes(monkeypatch):
    nodes = serve(monkeypatch, 'healthy_trio')
    result = run({'nodes': TRIO, 'members': ['10.0.1.14', '10.0.1.11']}, AnsibleFailJson)
    assert result['msg'] == ('members 10.0.1.14 are not among nodes (10.0.1.11:2113, 10.0.1.12:2113, 10.0.1.13:2113); '
                             'give them as they appear there')
    assert nodes.calls == []


def test_deeply_nested_gossip_is_that_node_s_problem_not_a_traceback(monkeypatch):
    nodes = serve(monkeypatch, 'healthy_trio')

    def nested_for_n3(url, **kwargs):
        if host_of(url) == '10.0.1.13':
            return Reply(b'{"members": ' + b'[' * 200000 + b'}')
        return nodes(url, **kwargs)
    monkeypatch.setattr(gossip_client, 'open_url', nested_for_n3)
    result = run({'nodes': TRIO, 'validate': 'quorum'})
    assert result['unreachable_nodes'] == [dict(
        node='10.0.1.13:2113', url='https://10.0.1.13:2113/gossip',
        error="10.0.1.13:2113 answered /gossip with JSON nested too deeply to be a gossip document: "
              "'{\"members\": %s...'." % ('[' * 48))]


def serve_clocks(monkeypatch, ahead):
    """healthy_trio, each node's own entry stamped now (by this clock) plus ahead[host] seconds."""
    def opener(url, **kwargs):
        document = gossip_document('healthy_trio', NODES[host_of(url)])
        stamp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=ahead.get(host_of(url), 0))
        for member in document['members']:
            if member['httpEndPointIp'] == host_of(url):
                member['timeStamp'] = stamp.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
        return Reply(json.dumps(document).encode())
    monkeypatch.setattr(gossip_client, 'open_url', opener)


def test_clock_skew_is_reported_and_within_the_limit_passes(monkeypatch):
    serve_clocks(monkeypatch, {})
    result = run({'nodes': TRIO, 'max_clock_skew': 1})
    assert result['max_clock_skew_s'] < 0.5 and result['clock_skew']['skew_s'] == result['max_clock_skew_s']
    assert [o['node'] for o in result['clock_offsets']] == ['10.0.1.11:2113', '10.0.1.12:2113', '10.0.1.13:2113']
    assert all(abs(o['offset_s'] - 1.0) < 0.5 for o in result['clock_offsets'])


def test_clock_skew_past_the_limit_fails_naming_the_nodes(monkeypatch):
    serve_clocks(monkeypatch, {'10.0.1.13': -30})
    result = run({'nodes': TRIO, 'max_clock_skew': 5}, AnsibleFailJson)
    assert result['clock_skew']['nodes'][1] == '10.0.1.13:2113'
    assert 29 < result['max_clock_skew_s'] < 31
    assert result['msg'].startswith('EventStoreDB cluster is ready, validate=ready not met after 1 check(s) in ')
    assert ': The clocks of 10.0.1.1' in result['msg'] and ' and 10.0.1.13:2113 are 30.0 s apart (at least 2' in result['msg']
    assert result['msg'].endswith('more than max_clock_skew 5 s; synchronise them (chrony, NTP).')


def test_without_max_clock_skew_a_skew_is_only_reported(monkeypatch):
    serve_clocks(monkeypatch, {'10.0.1.13': -30})
    assert run({'nodes': TRIO})['max_clock_skew_s'] > 29


def test_every_result_key_is_documented(monkeypatch):
    serve(monkeypatch, 'healthy_trio')
    result = run({'nodes': TRIO, 'members': ['10.0.1.12']})
    documented = set(yaml.safe_load(cluster_status.RETURN)) | {'changed'}
    assert set(result) - {'invocation'} == documented
