# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the eventstore role's scavenge entry point; the logic lives in module_utils."""

from __future__ import annotations

from ansible_collections.esdb.cluster.plugins.module_utils.scavenge_order import describe_order, scavenge_order


def scavenge_order_filter(nodes, leader_node, include_leader=True, hosts_by_address=None):
    plan = scavenge_order(nodes, leader_node, include_leader, hosts_by_address)
    plan['summary'] = describe_order(plan)
    return plan


class FilterModule(object):
    def filters(self):
        return {'scavenge_order': scavenge_order_filter}
