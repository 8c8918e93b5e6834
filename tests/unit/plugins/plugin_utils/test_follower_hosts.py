"""follower_hosts: cluster_status's Followers by their inventory names."""

import pytest

from ansible_collections.esdb.cluster.plugins.plugin_utils.follower_hosts import follower_hosts

HOSTS = {'10.0.1.11:2113': 'n1', '10.0.1.12:2113': 'n2', '10.0.1.13:2113': 'n3', '10.0.1.14:2113': 'old'}
MEMBERS = ['n1', 'n2', 'n3']


def follower(host, port=2113):
    return {'instance_id': 'id-%s' % host, 'host': host, 'port': port}


@pytest.mark.parametrize('followers, expected', [
    ([follower('10.0.1.12'), follower('10.0.1.13')], ['n2', 'n3']),
    ([follower('10.0.1.13'), follower('10.0.1.12')], ['n3', 'n2']),
    ([], []),
    (None, []),
    ([follower('10.0.9.9')], []),
    ([follower('10.0.1.12', 2114)], []),
    ([follower('10.0.1.12', '2113')], ['n2']),
    ([follower('10.0.1.14'), follower('10.0.1.12')], ['n2']),
], ids=['in order', 'order kept', 'none', 'no status', 'unknown address', 'other port', 'port as text',
        'not a member'])
def test_follower_hosts(followers, expected):
    assert follower_hosts(followers, HOSTS, MEMBERS) == expected


def test_no_addresses_or_members_leave_nothing():
    assert follower_hosts([follower('10.0.1.12')], None, MEMBERS) == []
    assert follower_hosts([follower('10.0.1.12')], HOSTS, None) == []


def test_the_filter_is_registered():
    from ansible_collections.esdb.cluster.plugins.filter.cluster import FilterModule

    assert FilterModule().filters()['follower_hosts'] is follower_hosts
