"""Parsing of canned EventStoreDB 22.10 /gossip bodies."""

import json
from pathlib import Path

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.gossip import (
    GossipError,
    is_placeholder,
    merge_views,
    parse_gossip,
    self_member,
    timestamp_key,
)

FIXTURES = Path(__file__).parent / 'fixtures'
MEMBER_KEYS = {
    'instanceId', 'timeStamp', 'state', 'isAlive', 'internalTcpIp', 'internalTcpPort',
    'internalSecureTcpPort', 'externalTcpIp', 'externalTcpPort', 'externalSecureTcpPort',
    'httpEndPointIp', 'httpEndPointPort', 'lastCommitPosition', 'writerCheckpoint',
    'chaserCheckpoint', 'epochPosition', 'epochNumber', 'epochId', 'nodePriority', 'isReadOnlyReplica',
}


def body(scenario, node):
    return (FIXTURES / scenario / (node + '.json')).read_bytes()


@pytest.mark.parametrize('scenario', sorted(d.name for d in FIXTURES.iterdir() if d.name != 'unknown_keys'))
def test_fixtures_have_exactly_the_22_10_member_keys(scenario):
    for path in (FIXTURES / scenario).glob('*.json'):
        for member in json.loads(path.read_text())['members']:
            assert set(member) == MEMBER_KEYS, path


def test_healthy_member_is_flattened_to_snake_case():
    parsed = parse_gossip(body('healthy_trio', 'n2'), '10.0.1.12:2113')
    assert parsed['server'] == {'host': '10.0.1.12', 'port': 2113}
    assert parsed['malformed_members'] == 0
    leader = parsed['members'][0]
    assert leader == {
        'instance_id': '3f2a1b2c-9d4e-4f60-8a71-b2c3d4e5f601',
        'state': 'Leader',
        'is_alive': True,
        'host': '10.0.1.11',
        'port': 2113,
        'is_read_only_replica': False,
        'epoch_number': 4,
        'writer_checkpoint': 181234,
        'node_priority': 0,
        'internal_tcp_port': 1112,
        'internal_tcp_tls': False,
        'timestamp': '2022-11-20T10:15:30.1234567Z',
    }
    assert [m['state'] for m in parsed['members']] == ['Leader', 'Follower', 'Follower']


def test_secure_mode_takes_the_secure_replication_port():
    members = parse_gossip(body('secure_ports', 'n1'), 'n1')['members']
    assert [(m['internal_tcp_port'], m['internal_tcp_tls']) for m in members] == [(1112, True)] * 3
    assert [m['port'] for m in members] == [2113] * 3
    assert [m['node_priority'] for m in members] == [10, 5, 0]


def test_unknown_keys_are_ignored_and_missing_optional_keys_tolerated():
    parsed = parse_gossip(body('unknown_keys', 'n3'), 'n3')
    assert parsed['malformed_members'] == 0
    assert [m['state'] for m in parsed['members']] == ['Leader', 'Follower', 'Follower']
    assert parsed['members'][2]['node_priority'] is None
    assert 'esVersion' not in parsed['members'][0] and 'es_version' not in parsed['members'][0]


def test_placeholders_are_parsed_but_recognised():
    members = parse_gossip(body('seed_placeholders', 'n1'), 'n1')['members']
    placeholders = [m for m in members if is_placeholder(m)]
    assert [m['host'] for m in placeholders] == ['n2.esdb.internal', 'n3.esdb.internal']
    assert all(m['writer_checkpoint'] == -1 and not m['is_alive'] for m in placeholders)
    assert len(merge_views([members])) == 3


def test_read_only_replica_flag_and_state():
    members = parse_gossip(body('replica_and_clone', 'n1'), 'n1')['members']
    by_state = dict((m['state'], m) for m in members)
    assert by_state['ReadOnlyReplica']['is_read_only_replica'] is True
    assert by_state['Clone']['is_read_only_replica'] is False
    replica_by_state_only = {'members': [{'instanceId': 'x', 'state': 'PreReadOnlyReplica', 'isAlive': True}]}
    assert parse_gossip(json.dumps(replica_by_state_only), 'n')['members'][0]['is_read_only_replica'] is True


def test_members_without_identity_or_state_are_counted_not_used():
    doc = {'members': [{'state': 'Leader'}, {'instanceId': 'a'}, 'junk', {'instanceId': 'B', 'state': 'Follower'}]}
    parsed = parse_gossip(json.dumps(doc), 'n')
    assert parsed['malformed_members'] == 3
    assert parsed['members'][0]['instance_id'] == 'b'
    assert parsed['members'][0]['is_alive'] is False
    assert parsed['server'] is None


def test_wrongly_typed_values_become_none_not_errors():
    doc = {'members': [{'instanceId': 'a', 'state': 'Follower', 'isAlive': 'yes', 'httpEndPointPort': 'x',
                        'epochNumber': True, 'writerCheckpoint': '77', 'httpEndPointIp': ''}]}
    member = parse_gossip(json.dumps(doc), 'n')['members'][0]
    assert (member['is_alive'], member['port'], member['epoch_number'], member['writer_checkpoint'],
            member['host']) == (False, None, None, 77, None)


def test_utf8_bom_is_accepted():
    assert parse_gossip(b'\xef\xbb\xbf' + body('healthy_trio', 'n1'), 'n1')['members']


@pytest.mark.parametrize('raw, expected', [
    (b'', 'node-a answered /gossip with an empty body'),
    (b'  \n', 'node-a answered /gossip with an empty body'),
    (b'{"members": [', 'node-a answered /gossip with malformed JSON'),
    (b'<html>Bad Gateway</html>', "malformed JSON (Expecting value: line 1 column 1 (char 0)): '<html>Bad Gateway</html>'"),
    (b'[{"instanceId": "a"}]', 'node-a answered /gossip with a JSON array, not an object'),
    (b'"Leader"', 'a JSON string, not an object'),
    (b'null', 'a JSON null, not an object'),
    (b'42', 'a JSON number, not an object'),
    (b'{"serverIp": "10.0.1.11"}', "node-a answered /gossip without a 'members' list"),
    (b'{"members": {"a": 1}}', "without a 'members' list"),
])
def test_bad_bodies_raise_a_sentence_naming_the_node(raw, expected):
    with pytest.raises(GossipError) as caught:
        parse_gossip(raw, 'node-a')
    assert expected in str(caught.value)


def test_long_garbage_is_shortened_in_the_sentence():
    with pytest.raises(GossipError) as caught:
        parse_gossip(b'x' * 5000, 'n')
    assert len(str(caught.value)) < 200


def test_merge_keeps_the_newest_entry_per_instance():
    older = {'members': [{'instanceId': 'A', 'state': 'Leader', 'isAlive': True,
                          'timeStamp': '2022-11-20T10:15:59.9999999Z'}]}
    newer = {'members': [{'instanceId': 'a', 'state': 'Follower', 'isAlive': False,
                          'timeStamp': '2022-11-20T10:16:00.0000001Z'}]}
    views = [parse_gossip(json.dumps(d), 'n')['members'] for d in (older, newer)]
    assert [(m['state'], m['is_alive']) for m in merge_views(views)] == [('Follower', False)]
    assert [(m['state'], m['is_alive']) for m in merge_views(views[::-1])] == [('Follower', False)]


def test_merge_of_split_brain_views_keeps_both_self_reports():
    views = [parse_gossip(body('split_brain', n), n)['members'] for n in ('n1', 'n2', 'n3')]
    merged = merge_views(views)
    assert [(m['host'], m['state'], m['is_alive']) for m in merged] == [
        ('10.0.1.11', 'Leader', True), ('10.0.1.12', 'Leader', True), ('10.0.1.13', 'Follower', True)]


@pytest.mark.parametrize('earlier, later', [
    ('2022-11-20T10:15:30.1234567Z', '2022-11-20T10:15:30.1234568Z'),
    ('2022-11-20T10:15:30.9Z', '2022-11-20T10:15:31Z'),
    ('2022-11-20T11:15:30+01:00', '2022-11-20T10:15:31Z'),
    ('not a time', '2000-01-01T00:00:00Z'),
    (None, '2000-01-01T00:00:00Z'),
])
def test_timestamp_order(earlier, later):
    assert timestamp_key(earlier) < timestamp_key(later)


def test_self_member_is_the_alive_entry_at_the_server_endpoint():
    parsed = parse_gossip(body('healthy_trio', 'n2'), 'n2')
    assert self_member(parsed)['host'] == '10.0.1.12'


def test_self_member_follows_the_advertised_address():
    document = json.loads(body('healthy_trio', 'n2'))
    for member in document['members']:
        member['httpEndPointIp'] = 'db-' + member['httpEndPointIp'].rsplit('.', 1)[1] + '.example.com'
    document['serverIp'] = 'db-12.example.com'
    own = self_member(parse_gossip(json.dumps(document), 'n2'))
    assert (own['host'], own['instance_id'][:8]) == ('db-12.example.com', '5b6c7d8e')


@pytest.mark.parametrize('edit', [
    lambda doc: doc.update(serverIp='10.9.9.9'),
    lambda doc: doc.pop('serverIp'),
    lambda doc: [m.update(isAlive=False) for m in doc['members'] if m['httpEndPointIp'] == '10.0.1.12'],
    lambda doc: [m.update(httpEndPointIp='10.0.1.12') for m in doc['members']],
])
def test_self_member_is_none_when_no_single_alive_entry_matches(edit):
    document = json.loads(body('healthy_trio', 'n2'))
    edit(document)
    assert self_member(parse_gossip(json.dumps(document), 'n2')) is None


def test_timestamp_key_is_utc_moment_and_nanoseconds():
    from datetime import datetime
    assert timestamp_key('2022-11-20T10:15:30.1234567Z') == (datetime(2022, 11, 20, 10, 15, 30), 123456700)
    assert timestamp_key('2022-11-20T10:15:30.1234567891Z') == (datetime(2022, 11, 20, 10, 15, 30), 123456789)
    assert timestamp_key('2022-11-20T10:15:30.5Z') > timestamp_key('2022-11-20T10:15:30.4999999Z')


@pytest.mark.parametrize('local', ['2022-11-20T12:00:00+02:00', '2022-11-20T04:30:00-05:30',
                                   '2022-11-20T15:30:00+0530', '2022-11-20T10:00:00'])
def test_offsets_are_turned_into_utc(local):
    assert timestamp_key(local) == timestamp_key('2022-11-20T10:00:00Z')


def test_equal_timestamps_keep_the_first_view():
    first = parse_gossip(body('healthy_trio', 'n1'), 'n1')['members']
    second = [dict(m, state='Unknown') for m in first]
    assert [m['state'] for m in merge_views([first, second])] == ['Leader', 'Follower', 'Follower']


def test_server_endpoint_with_only_an_address():
    parsed = parse_gossip(json.dumps({'members': [], 'serverIp': '10.0.1.11'}), 'n1')
    assert parsed['server'] == {'host': '10.0.1.11', 'port': None}


def test_numbers_given_as_text_are_read():
    member = dict(json.loads(body('healthy_trio', 'n1'))['members'][0], epochNumber='-5', writerCheckpoint='5-')
    parsed = parse_gossip(json.dumps({'members': [member]}), 'n1')['members'][0]
    assert (parsed['epoch_number'], parsed['writer_checkpoint']) == (-5, None)


def test_read_only_replica_flag_counts_whatever_the_state():
    raw = {'instanceId': 'A-1', 'state': 'CatchingUp', 'isReadOnlyReplica': True}
    assert parse_gossip(json.dumps({'members': [raw]}), 'n1')['members'][0]['is_read_only_replica'] is True


def test_invalid_utf8_is_replaced_not_fatal():
    document = body('healthy_trio', 'n1').replace(b'"Leader"', b'"Lead\xffer"')
    assert parse_gossip(document, 'n1')['members'][0]['state'] == 'Lead\ufffder'


@pytest.mark.parametrize('document, message', [
    (b'true', 'n1 answered /gossip with a JSON boolean, not an object with a members list'),
    (b'X{"members": []}', "n1 answered /gossip with malformed JSON (Expecting value: line 1 column 1 (char 0)): "
                          "'X{\"members\": []}'"),
    (b'{}', "n1 answered /gossip without a 'members' list; is this an EventStoreDB node?"),
    (b'x' * 60, "n1 answered /gossip with malformed JSON (Expecting value: line 1 column 1 (char 0)): '%s'"
                % ('x' * 60)),
    (b'x' * 61, "n1 answered /gossip with malformed JSON (Expecting value: line 1 column 1 (char 0)): '%s...'"
                % ('x' * 60)),
])
def test_unusable_bodies_are_named_exactly(document, message):
    with pytest.raises(GossipError) as caught:
        parse_gossip(document, 'n1')
    assert str(caught.value) == message


def test_text_that_is_not_a_number_is_no_number():
    member = dict(json.loads(body('healthy_trio', 'n1'))['members'][0], epochNumber='X5', nodePriority='-')
    parsed = parse_gossip(json.dumps({'members': [member]}), 'n1')['members'][0]
    assert (parsed['epoch_number'], parsed['node_priority']) == (None, None)


@pytest.mark.parametrize('depth', [100000, 3 * 1024 * 1024])
def test_deeply_nested_json_is_one_sentence_not_a_recursion_error(depth):
    document = b'{"members": ' + b'[' * depth + b']' * depth + b'}'
    with pytest.raises(GossipError) as caught:
        parse_gossip(document, 'n1')
    assert str(caught.value) == ("n1 answered /gossip with JSON nested too deeply to be a gossip document: "
                                 "'{\"members\": %s...'" % ('[' * 48))


@pytest.mark.parametrize('value, parsed', [
    ('9223372036854775807', 2 ** 63 - 1), ('-9223372036854775808', -2 ** 63), (' 42 ', 42),
    ('92233720368547758070', None), ('9223372036854775808', None), ('²', None), ('١٢', None),
    (2 ** 63, None), (-2 ** 63 - 1, None), (2 ** 63 - 1, 2 ** 63 - 1), (-2 ** 63, -2 ** 63),
    ('5' * 5000, None), (True, None), ('', None), (1.5, None),
])
def test_numbers_are_64_bit_integers_or_nothing(value, parsed):
    member = dict(json.loads(body('healthy_trio', 'n1'))['members'][0], writerCheckpoint=value)
    assert parse_gossip(json.dumps({'members': [member]}), 'n1')['members'][0]['writer_checkpoint'] == parsed
