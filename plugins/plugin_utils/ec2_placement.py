# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Decisions provision.yml takes before it changes anything on EC2.

Plain functions over the plain data the amazon.aws *_info modules return, so
every rule is unit-tested without AWS: CIDR checks, subnet choice, the refusal
to shrink, and which node interfaces are still to be created.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

WORLD_OPEN_OPT_IN = "eventstore_allow_world_open"
SUBNET_KINDS = ("auto", "private", "public")


def cidr_problems(values, name, allow_world=False):
    """One message per unusable entry of the CIDR list variable `name` (empty when all are fine)."""
    if not isinstance(values, (list, tuple)):
        return ["%s must be a list of IPv4 CIDR blocks such as ['203.0.113.0/24'], not %r" % (name, values)]
    problems = []
    for value in values:
        try:
            network = ipaddress.ip_network(str(value).strip(), strict=True) if "/" in str(value) else None
        except ValueError as error:
            problems.append("%s: %r is not a CIDR block (%s); write it as address/prefix, e.g. 203.0.113.0/24"
                            % (name, value, error))
            continue
        if network is None:
            problems.append("%s: %r has no prefix length; write a single address as %s/32" % (name, value, value))
        elif network.prefixlen == 0:
            if not allow_world:
                problems.append("%s: %s opens the port to the whole internet; list your own networks, or set %s: "
                                "true to accept that" % (name, network, WORLD_OPEN_OPT_IN))
            elif network.version == 6:
                problems.append("%s: %s is IPv6; the security group takes IPv4 CIDR blocks only" % (name, network))
        elif network.version == 6:
            problems.append("%s: %s is IPv6; the security group takes IPv4 CIDR blocks only" % (name, network))
    return problems


def subnet_is_public(subnet, route_tables):
    """A subnet is public when its route table (its own, else the VPC's main one) routes to an internet gateway."""
    own = [table for table in route_tables
           if any(assoc.get("subnet_id") == subnet["id"] for assoc in table.get("associations", []))]
    if not own:
        own = [table for table in route_tables
               if table.get("vpc_id") == subnet.get("vpc_id")
               and any(assoc.get("main") for assoc in table.get("associations", []))]
    return any(str(route.get("gateway_id") or "").startswith("igw-")
               for table in own for route in table.get("routes", []))


def subnet_plan(subnets, route_tables, offered_zones, count, kind="auto", instance_type="the instance type"):
    """The subnet id of every node index 1..count, one zone after another so nodes spread over zones.

    `kind` is private, public, or auto (private subnets when the VPC has usable ones, else public ones).
    Raises ValueError, naming what was considered, when no subnet qualifies.
    """
    if kind not in SUBNET_KINDS:
        raise ValueError("eventstore_subnet_kind must be one of %s, not %r" % (", ".join(SUBNET_KINDS), kind))
    offered = set(offered_zones)
    in_zone = [s for s in subnets if s.get("availability_zone") in offered]
    if not in_zone:
        raise ValueError("no subnet is in a zone that offers %s (subnets: %s; zones offering it: %s): choose "
                         "another eventstore_instance_type or subnets in those zones"
                         % (instance_type, _describe(subnets), ", ".join(sorted(offered)) or "none"))
    public = [s for s in in_zone if subnet_is_public(s, route_tables)]
    private = [s for s in in_zone if s not in public]
    if kind == "public":
        usable = public
    elif kind == "private":
        usable = private
    else:
        usable = private or public
    if not usable:
        raise ValueError("none of the subnets %s is %s (a public subnet routes to an internet gateway): set "
                         "eventstore_subnet_kind to auto, or list %s subnets in eventstore_vpc_subnet_ids"
                         % (_describe(in_zone), kind, kind))
    # One subnet per zone (the first by id), zones in name order, then round-robin over those.
    by_zone = {}
    for subnet in sorted(usable, key=lambda s: (s["availability_zone"], s["id"])):
        by_zone.setdefault(subnet["availability_zone"], subnet["id"])
    chosen = [by_zone[zone] for zone in sorted(by_zone)]
    return [chosen[(index - 1) % len(chosen)] for index in range(1, int(count) + 1)]


def _describe(subnets):
    return ", ".join("%s (%s)" % (s["id"], s.get("availability_zone")) for s in subnets) or "none"


def live_node_indexes(instances):
    """{index: [instance ids]} of the instances whose eventstore_node_index tag is a whole number."""
    indexes = {}
    for instance in instances:
        value = str((instance.get("tags") or {}).get("eventstore_node_index", ""))
        if value.isdigit():
            indexes.setdefault(int(value), []).append(instance["instance_id"])
    return indexes


def shrink_refusal(instances, asked_size, cluster, size_given=True):
    """The refusal message when `asked_size` is below the cluster's live node count, else ''."""
    indexes = live_node_indexes(instances)
    current = len(indexes)
    asked = int(asked_size)
    if asked >= current:
        return ""
    names = ", ".join("%s-%d" % (cluster, index) for index in sorted(indexes))
    given = "" if size_given else " (eventstore_cluster_size is not set, so the default applies)"
    return ("Refusing to shrink cluster %s from %d to %d nodes%s: it has %s. Provisioning never removes nodes. "
            "Set eventstore_cluster_size: %d to keep it; to shrink, run playbooks/resize.yml, which lets members "
            "leave gracefully; to remove the whole cluster, run playbooks/teardown.yml."
            % (cluster, current, asked, given, names, current))


def replace_refusal(instances, node, cluster, size):
    """Why `node` (named <cluster>-<index>) cannot be replaced now, or ''.

    A replacement is launched at the node's index, on its own network interface, so no instance may hold
    that index any more (pending, running, stopping or stopped: the host, and its data, still exist), and
    every other node of the cluster must have one: one node is replaced at a time, while the others keep
    quorum and the newcomer has a leader to catch up from.
    """
    prefix = "%s-" % cluster
    text = str(node)
    index = text[len(prefix):] if text.startswith(prefix) else ""
    if not index.isdigit() or not 1 <= int(index) <= int(size):
        return ("eventstore_replace_node must name one node of cluster %s as %s<index>, the index from 1 to %d, "
                "not %r." % (cluster, prefix, int(size), node))
    held = {}
    for instance in instances:
        value = str((instance.get("tags") or {}).get("eventstore_node_index", ""))
        if value.isdigit():
            state = (instance.get("state") or {}).get("name", "unknown")
            held.setdefault(int(value), []).append("%s (%s)" % (instance["instance_id"], state))
    if int(index) in held:
        return ("Refusing to replace %s: its instance %s still exists, with its data. Replacing is for a node whose "
                "instance is gone: restart a running node with playbooks/restart_node.yml, start a stopped one with "
                "site.yml, or terminate the instance first." % (text, ", ".join(held[int(index)])))
    missing = ["%s%d" % (prefix, i) for i in range(1, int(size) + 1) if i != int(index) and i not in held]
    if missing:
        return ("Refusing to replace %s while %s %s gone too: replace one node at a time, so that the others keep "
                "the cluster's quorum and the newcomer has a leader to catch up from."
                % (text, ", ".join(missing), "is" if len(missing) == 1 else "are"))
    return ""


def interface_plan(interfaces, instances, subnet_ids):
    """Which node interfaces to create, and which one each node index launches with.

    Returns {'create': [{'index', 'subnet_id'}], 'attach': {index: eni_id}} for the node indexes
    1..len(subnet_ids) that have no live instance. An available interface tagged with the index is reused.
    """
    live = live_node_indexes(instances)
    free = {}
    for interface in interfaces:
        value = str((interface.get("tags") or {}).get("eventstore_node_index", ""))
        if value.isdigit() and interface.get("status") == "available":
            free.setdefault(int(value), interface["id"])
    plan = {"create": [], "attach": {}}
    for index, subnet_id in enumerate(subnet_ids, start=1):
        if index in live:
            continue
        if index in free:
            plan["attach"][index] = free[index]
        else:
            plan["create"].append({"index": index, "subnet_id": subnet_id})
    return plan


def architecture_problem(instance_type, architectures):
    """The refusal when the instance type cannot run the amd64-only EventStoreDB 22.10 package, else ''."""
    if not architectures:
        return "eventstore_instance_type %r is not an EC2 instance type in this region" % instance_type
    if "x86_64" in architectures:
        return ""
    return ("eventstore_instance_type %s is %s only: the EventStoreDB 22.10 package is built for amd64 (x86_64) "
            "alone; choose an x86_64 type such as t3.small or m6i.large" % (instance_type, "/".join(architectures)))
