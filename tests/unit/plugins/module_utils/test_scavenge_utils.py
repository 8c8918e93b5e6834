"""module_utils/scavenge.py: paths, replies and sentences for 22.10's scavenge endpoints."""
import json
from pathlib import Path

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.gossip import parse_gossip
from ansible_collections.esdb.cluster.plugins.module_utils.scavenge import (
    ScavengeError,
    check_parameters,
    describe_start_status,
    describe_status_code,
    outcome_problem,
    parse_progress,
    parse_started,
    readiness_problem,
    start_path,
    status_path,
)

FIXTURES = Path(__file__).parent / 'fixtures'


def gossip(scenario, node):
    return parse_gossip((FIXTURES / scenario / (node + '.json')).read_bytes(), node)


def feed(*events):
    return json.dumps({'entries': [{'eventType': t, 'data': json.dumps(d)} for t, d in events]}).encode()


def test_paths_carry_22_10_parameter_names():
    assert start_path(0, 1) == '/admin/scavenge?startFromChunk=0&threads=1'
    assert start_path(12, 4) == '/admin/scavenge?startFromChunk=12&threads=4'
    assert status_path('abc') == '/streams/$scavenges/abc/head/20?embed=body'


def test_parameters_are_checked_before_any_call():
    assert check_parameters(0, 1) is None
    assert 'start_from_chunk is -1' in check_parameters(-1, 1)
    assert 'threads is 0' in check_parameters(0, 0)


def test_only_a_serving_node_beside_one_leader_is_ready():
    assert readiness_problem(gossip('healthy_trio', 'n2'), '10.0.1.12:2113') is None
    assert readiness_problem(gossip('healthy_trio', 'n1'), '10.0.1.11:2113') is None
    problem = readiness_problem(gossip('catching_up', 'n3'), '10.0.1.13:2113')
    assert problem is not None and '10.0.1.13:2113' in problem


def test_the_started_reply_gives_the_id_or_a_sentence():
    assert parse_started(b'{"scavengeId": "0b3e"}', 'n1:2113') == '0b3e'
    with pytest.raises(ScavengeError, match='n1:2113 accepted the scavenge but its reply carries no scavengeId'):
        parse_started(b'{}', 'n1:2113')
    with pytest.raises(ScavengeError):
        parse_started(b'not json', 'n1:2113')


@pytest.mark.parametrize('code, reason, fix', [
    (401, 'Unauthorized', 'url_username and url_password'),
    (400, 'Bad Request', 'already running'),
    (400, 'threads must be a 1 or above', 'refused the parameters'),
    (404, 'Not Found', 'DisableAdminUi'),
    (408, 'Server was unable to handle request in time', 'initialising'),
    (500, 'Internal Server Error', 'only HTTP 200'),
])
def test_start_failures_name_node_status_and_fix(code, reason, fix):
    text = describe_start_status('10.0.1.12:2113', code, reason)
    assert text.startswith('10.0.1.12:2113 answered POST /admin/scavenge with HTTP %d' % code)
    assert fix in text


def test_progress_reads_the_completed_event():
    running = parse_progress(feed(('$scavengeStarted', {'scavengeId': 'x'})))
    assert running['completed'] is False
    done = parse_progress(feed(('$scavengeCompleted', {'result': 'Success', 'timeTaken': '00:00:01.5000000',
                                                       'spaceSaved': 4096, 'error': None}),
                               ('$scavengeStarted', {})))
    assert done == {'completed': True, 'result': 'Success', 'time_taken': '00:00:01.5000000',
                    'space_saved': 4096, 'error': None}
    assert outcome_problem(done, 'n') is None
    failed = dict(done, result='Failed', error='disk full')
    assert outcome_problem(failed, '10.0.1.12:2113') == 'the scavenge on 10.0.1.12:2113 ended with Failed: disk full'
    with pytest.raises(ScavengeError):
        parse_progress(b'[]')
    with pytest.raises(ScavengeError):
        parse_progress(json.dumps({'entries': [{'eventType': '$scavengeCompleted', 'data': 'x'}]}))


def test_progress_read_failures_say_who_may_read():
    assert '$ops or $admins' in describe_status_code('n:2113', 'abc', 401)
