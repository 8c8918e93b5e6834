# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters provision.yml decides with; the logic lives in plugin_utils.ec2_placement."""

from __future__ import annotations

from ansible_collections.esdb.cluster.plugins.plugin_utils import ec2_placement


def ec2_subnet_plan(subnets, route_tables, offered_zones, count, kind="auto", instance_type="the instance type"):
    """{'subnet_ids': one per node index, 'problem': ''}, or no subnet ids and the reason, for an assert."""
    try:
        return {"subnet_ids": ec2_placement.subnet_plan(subnets, route_tables, offered_zones, count, kind,
                                                        instance_type), "problem": ""}
    except ValueError as error:
        return {"subnet_ids": [], "problem": str(error)}


def ec2_live_node_indexes(instances):
    """The node indexes that have a live instance, sorted."""
    return sorted(ec2_placement.live_node_indexes(instances))


class FilterModule(object):
    def filters(self):
        return {'ec2_cidr_problems': ec2_placement.cidr_problems,
                'ec2_subnet_plan': ec2_subnet_plan,
                'ec2_shrink_refusal': ec2_placement.shrink_refusal,
                'ec2_replace_refusal': ec2_placement.replace_refusal,
                'ec2_interface_plan': ec2_placement.interface_plan,
                'ec2_live_node_indexes': ec2_live_node_indexes,
                'ec2_architecture_problem': ec2_placement.architecture_problem}
