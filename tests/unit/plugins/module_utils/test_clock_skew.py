"""Clock skew between members from canned 22.10 /gossip bodies and the times of each request."""

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.clock_skew import (
    GOSSIP_INTERVAL_S,
    clock_offsets,
    clock_report,
    skew_problem,
    timestamp_seconds,
    widest_skew,
)
from ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http import answers

# 2022-11-20T10:15:30Z, the own-entry time of the healthy_trio fixtures (plus .1234567 s).
FIXTURE_TIME = 1668939330.1234567


def stamped(own, times, scenario='healthy_trio'):
    """answers() whose node's own entry carries `own[node]` (seconds after FIXTURE_TIME) as timeStamp,
    and whose request left and came back at times[node] = (sent, received)."""
    def edit(node, document):
        for member in document['members']:
            if member['httpEndPointIp'] == document['serverIp'] and node in own:
                member['timeStamp'] = own[node]
    result = answers(scenario, edit=edit)
    for answer in result:
        node = 'n%s' % answer['node'][8]
        if answer['gossip'] is not None and node in times:
            answer['gossip']['requested_at'], answer['gossip']['answered_at'] = times[node]
    return result


@pytest.mark.parametrize('text, seconds', [
    ('2022-11-20T10:15:30.1234567Z', FIXTURE_TIME),
    ('2022-11-20T10:15:30Z', 1668939330.0),
    ('2022-11-20T12:15:30.5+02:00', 1668939330.5),
    ('1970-01-01T00:00:00.000000001Z', 1e-9),
    ('0001-01-01T00:00:00Z', None),
    ('yesterday', None),
    (None, None),
])
def test_timestamps_are_seconds_since_1970_utc(text, seconds):
    if seconds is None:
        assert timestamp_seconds(text) is None
    else:
        assert timestamp_seconds(text) == pytest.approx(seconds, abs=1e-6)


def test_each_node_is_read_from_its_own_entry_with_half_the_round_trip_subtracted():
    own = {'n1': '2022-11-20T10:15:30Z', 'n2': '2022-11-20T10:15:33Z', 'n3': '2022-11-20T10:15:29.5Z'}
    base = 1668939330.0
    times = {'n1': (base, base + 0.2), 'n2': (base, base + 1.0), 'n3': (base + 0.1, base + 0.1)}
    offsets = clock_offsets(stamped(own, times), gossip_interval=2.0)
    assert [o['node'] for o in offsets] == ['10.0.1.11:2113', '10.0.1.12:2113', '10.0.1.13:2113']
    assert [o['offset_s'] for o in offsets] == pytest.approx([0.9, 3.5, 0.4])
    assert [o['uncertainty_s'] for o in offsets] == pytest.approx([1.1, 1.5, 1.0])


def test_the_gossip_interval_is_22_10_s_default():
    assert GOSSIP_INTERVAL_S == 2.0
    own = {'n1': '2022-11-20T10:15:30Z'}
    [offset] = clock_offsets(stamped(own, {'n1': (1668939330.0, 1668939330.0)})[:1])
    assert (offset['offset_s'], offset['uncertainty_s']) == pytest.approx((1.0, 1.0))


@pytest.mark.parametrize('times', [
    {'n1': (None, 1.0)}, {'n1': (1.0, None)}, {'n1': (2.0, 1.0)}, {},
])
def test_answers_without_usable_request_times_are_left_out(times):
    assert clock_offsets(stamped({}, times)[:1]) == []


def test_nodes_without_an_own_entry_or_a_readable_stamp_are_left_out():
    times = dict((n, (1668939330.0, 1668939330.0)) for n in ('n1', 'n2', 'n3'))
    with_bad_stamp = stamped({'n2': 'not a time'}, times)
    assert [o['node'] for o in clock_offsets(with_bad_stamp)] == ['10.0.1.11:2113', '10.0.1.13:2113']
    one_dead = stamped({}, times, scenario='one_dead')
    assert [o['node'] for o in clock_offsets(one_dead)] == ['10.0.1.11:2113', '10.0.1.12:2113']
    no_self = stamped({}, times)
    no_self[0]['gossip']['server'] = {'host': '10.9.9.9', 'port': 2113}
    assert [o['node'] for o in clock_offsets(no_self)] == ['10.0.1.12:2113', '10.0.1.13:2113']


def offset(node, value, uncertainty=0.5):
    return dict(node=node, offset_s=value, uncertainty_s=uncertainty)


def test_the_widest_pair_is_named_ahead_first_with_its_bounds():
    offsets = [offset('a', 0.0), offset('b', 3.0, 0.25), offset('c', -1.0, 1.0)]
    assert widest_skew(offsets) == dict(nodes=['b', 'c'], skew_s=4.0, at_least_s=2.75, at_most_s=5.25)
    assert widest_skew([offset('a', 1.0), offset('b', 1.0)]) == dict(
        nodes=['a', 'b'], skew_s=0.0, at_least_s=0.0, at_most_s=1.0)
    assert widest_skew([offset('a', -2.0), offset('b', 1.0)])['nodes'] == ['b', 'a']
    assert widest_skew([offset('a', 0.0), offset('b', 2.0), offset('c', 2.0)])['nodes'] == ['b', 'a']


@pytest.mark.parametrize('offsets', [[], [offset('a', 9.0)]])
def test_no_skew_between_fewer_than_two_nodes(offsets):
    assert widest_skew(offsets) is None


@pytest.mark.parametrize('limit, problem', [
    (None, None), (2.75, None), (10, None),
    (2.7, 'The clocks of b and c are 4.0 s apart (at least 2.8 s, allowing for the round trips and the gossip '
          'interval), more than max_clock_skew 2.7 s; synchronise them (chrony, NTP).'),
    (0, 'The clocks of b and c are 4.0 s apart (at least 2.8 s, allowing for the round trips and the gossip '
        'interval), more than max_clock_skew 0 s; synchronise them (chrony, NTP).'),
])
def test_only_a_skew_certainly_past_the_limit_is_a_problem(limit, problem):
    widest = dict(nodes=['b', 'c'], skew_s=4.0, at_least_s=2.75, at_most_s=5.25)
    assert skew_problem(widest, limit) == problem
    assert skew_problem(None, 0) is None


def test_report_of_a_skewed_trio():
    own = {'n1': '2022-11-20T10:15:30Z', 'n2': '2022-11-20T10:15:40Z', 'n3': '2022-11-20T10:15:30.004Z'}
    base = 1668939330.0
    times = dict((n, (base - 1.0, base + 0.002)) for n in ('n1', 'n2', 'n3'))
    report, problem = clock_report(stamped(own, times), limit=5)
    assert report == dict(
        clock_offsets=[dict(node='10.0.1.11:2113', offset_s=1.499, uncertainty_s=1.501),
                       dict(node='10.0.1.12:2113', offset_s=11.499, uncertainty_s=1.501),
                       dict(node='10.0.1.13:2113', offset_s=1.503, uncertainty_s=1.501)],
        clock_skew=dict(nodes=['10.0.1.12:2113', '10.0.1.11:2113'], skew_s=10.0, at_least_s=6.998,
                        at_most_s=13.002),
        max_clock_skew_s=10.0)
    assert problem == ('The clocks of 10.0.1.12:2113 and 10.0.1.11:2113 are 10.0 s apart (at least 7.0 s, allowing '
                       'for the round trips and the gossip interval), more than max_clock_skew 5 s; synchronise '
                       'them (chrony, NTP).')
    assert clock_report(stamped(own, times), limit=7)[1] is None


def test_report_with_nothing_to_compare():
    assert clock_report(answers('two_dead')) == (dict(clock_offsets=[], clock_skew=None, max_clock_skew_s=None), None)
    report, problem = clock_report(stamped({}, {'n1': (1668939330.0, 1668939330.0)}, 'two_dead'), limit=0)
    assert (len(report['clock_offsets']), report['clock_skew'], problem) == (1, None, None)


def test_exact_seconds_of_a_fraction():
    assert timestamp_seconds('1970-01-01T00:00:00.5Z') == 0.5
    assert timestamp_seconds('1970-01-01T00:00:01.25Z') == 1.25


def test_report_is_rounded_to_milliseconds_and_uses_the_gossip_interval_given():
    base = 1668939330.0
    own = {'n1': '2022-11-20T10:15:30Z', 'n2': '2022-11-20T10:15:32.71858Z'}
    times = dict((n, (base - 0.12345 - 0.0001234, base - 0.12345 + 0.0001234)) for n in ('n1', 'n2'))
    report, _problem = clock_report(stamped(own, times, scenario='one_dead'))
    assert report['clock_offsets'] == [dict(node='10.0.1.11:2113', offset_s=1.123, uncertainty_s=1.0),
                                       dict(node='10.0.1.12:2113', offset_s=3.842, uncertainty_s=1.0)]
    assert report['clock_skew'] == dict(nodes=['10.0.1.12:2113', '10.0.1.11:2113'], skew_s=2.719,
                                        at_least_s=0.718, at_most_s=4.719)
    assert report['max_clock_skew_s'] == 2.719
    narrow, _problem = clock_report(stamped(own, times, scenario='one_dead'), gossip_interval=0.5)
    assert [o['offset_s'] for o in narrow['clock_offsets']] == [0.373, 3.092]
    assert narrow['clock_skew']['at_least_s'] == 2.218
