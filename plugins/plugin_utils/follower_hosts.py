# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Followers esdb.cluster.cluster_status reports, by their inventory names.

cluster_status names each Follower by the host and port it advertises; the cluster layout's
hosts_by_address maps those C(host:port) to inventory hosts.
"""

from __future__ import annotations


def follower_hosts(followers, hosts_by_address, members):
    """Inventory names of `followers` ({'host', 'port'} each), in the order reported.

    A Follower whose address is not in `hosts_by_address`, or whose host is not one of
    `members` (a leaving host, for instance), is left out.
    """
    names = hosts_by_address or {}
    members = members or []
    hosts = []
    for follower in followers or []:
        host = names.get('%s:%s' % (follower.get('host'), follower.get('port')))
        if host is not None and host in members:
            hosts.append(host)
    return hosts
