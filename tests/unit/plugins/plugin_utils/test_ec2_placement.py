"""provision.yml's decisions before any change: CIDRs, subnets, shrinking, interfaces, architecture."""

import pytest

from ansible_collections.esdb.cluster.plugins.plugin_utils.ec2_placement import (
    architecture_problem, cidr_problems, interface_plan, replace_refusal, shrink_refusal, subnet_is_public, subnet_plan)

CIDR_CASES = [
    (["203.0.113.0/24", "10.0.0.5/32"], False, []),
    (["999.999.999.999/32"], False,
     ["eventstore_admin_cidrs: '999.999.999.999/32' is not a CIDR block "
      "('999.999.999.999/32' does not appear to be an IPv4 or IPv6 network); write it as address/prefix, "
      "e.g. 203.0.113.0/24"]),
    (["10.0.0.1/16"], False,
     ["eventstore_admin_cidrs: '10.0.0.1/16' is not a CIDR block (10.0.0.1/16 has host bits set); "
      "write it as address/prefix, e.g. 203.0.113.0/24"]),
    (["203.0.113.7"], False,
     ["eventstore_admin_cidrs: '203.0.113.7' has no prefix length; write a single address as 203.0.113.7/32"]),
    (["0.0.0.0/0"], False,
     ["eventstore_admin_cidrs: 0.0.0.0/0 opens the port to the whole internet; list your own networks, "
      "or set eventstore_allow_world_open: true to accept that"]),
    (["::/0"], False,
     ["eventstore_admin_cidrs: ::/0 opens the port to the whole internet; list your own networks, "
      "or set eventstore_allow_world_open: true to accept that"]),
    (["0.0.0.0/0"], True, []),
    (["2001:db8::/32"], False,
     ["eventstore_admin_cidrs: 2001:db8::/32 is IPv6; the security group takes IPv4 CIDR blocks only"]),
    ("203.0.113.0/24", False,
     ["eventstore_admin_cidrs must be a list of IPv4 CIDR blocks such as ['203.0.113.0/24'], "
      "not '203.0.113.0/24'"]),
]


@pytest.mark.parametrize("values, allow_world, expected", CIDR_CASES)
def test_cidr_problems(values, allow_world, expected):
    assert cidr_problems(values, "eventstore_admin_cidrs", allow_world) == expected


def subnet(subnet_id, zone, vpc="vpc-1"):
    return {"id": subnet_id, "availability_zone": zone, "vpc_id": vpc}


def table(subnet_ids=(), main=False, igw=False, vpc="vpc-1"):
    associations = [{"subnet_id": s, "main": False} for s in subnet_ids]
    if main:
        associations.append({"main": True})
    routes = [{"gateway_id": "local"}] + ([{"gateway_id": "igw-1"}] if igw else [])
    return {"vpc_id": vpc, "associations": associations, "routes": routes}


SUBNETS = [subnet("subnet-pa", "z-a"), subnet("subnet-pb", "z-b"), subnet("subnet-qa", "z-a"),
           subnet("subnet-qc", "z-c"), subnet("subnet-qb", "z-b")]
# p* are public through their own table; q* use the main table, which has no internet gateway.
TABLES = [table(["subnet-pa", "subnet-pb"], igw=True), table(main=True)]


def test_public_is_decided_by_the_route_table_or_the_main_one():
    assert [subnet_is_public(s, TABLES) for s in SUBNETS] == [True, True, False, False, False]
    assert subnet_is_public(subnet("subnet-x", "z-a"), [table(main=True, igw=True)])
    assert not subnet_is_public(subnet("subnet-x", "z-a"), [table(main=True, igw=True, vpc="vpc-2")])


PLAN_CASES = [
    ("auto", ["z-a", "z-b", "z-c"], 5, ["subnet-qa", "subnet-qb", "subnet-qc", "subnet-qa", "subnet-qb"]),
    ("private", ["z-a", "z-b"], 3, ["subnet-qa", "subnet-qb", "subnet-qa"]),
    ("public", ["z-a", "z-b", "z-c"], 3, ["subnet-pa", "subnet-pb", "subnet-pa"]),
    ("auto", ["z-a"], 3, ["subnet-qa", "subnet-qa", "subnet-qa"]),
]


@pytest.mark.parametrize("kind, zones, count, expected", PLAN_CASES)
def test_subnet_plan_spreads_nodes_over_zones(kind, zones, count, expected):
    assert subnet_plan(SUBNETS, TABLES, zones, count, kind) == expected


def test_auto_falls_back_to_public_subnets():
    assert subnet_plan(SUBNETS[:2], TABLES, ["z-a", "z-b"], 3) == ["subnet-pa", "subnet-pb", "subnet-pa"]


PLAN_ERRORS = [
    (SUBNETS, ["z-x"], "public",
     "no subnet is in a zone that offers m7.huge (subnets: subnet-pa (z-a), subnet-pb (z-b), subnet-qa (z-a), "
     "subnet-qc (z-c), subnet-qb (z-b); zones offering it: z-x): choose another eventstore_instance_type "
     "or subnets in those zones"),
    (SUBNETS[:2], ["z-a", "z-b"], "private",
     "none of the subnets subnet-pa (z-a), subnet-pb (z-b) is private (a public subnet routes to an internet "
     "gateway): set eventstore_subnet_kind to auto, or list private subnets in eventstore_vpc_subnet_ids"),
    (SUBNETS, ["z-a"], "inside", "eventstore_subnet_kind must be one of auto, private, public, not 'inside'"),
]


@pytest.mark.parametrize("subnets, zones, kind, message", PLAN_ERRORS)
def test_subnet_plan_refuses_with_the_reason(subnets, zones, kind, message):
    with pytest.raises(ValueError) as error:
        subnet_plan(subnets, TABLES, zones, 3, kind, "m7.huge")
    assert str(error.value) == message


def node(index, instance_id=None):
    return {"instance_id": instance_id or "i-%s" % index, "tags": {"eventstore_node_index": str(index)}}


def test_shrink_is_refused_naming_both_sizes_and_the_way_out():
    nodes = [node(1), node(2), node(3)]
    assert shrink_refusal(nodes, 1, "esdb") == (
        "Refusing to shrink cluster esdb from 3 to 1 nodes: it has esdb-1, esdb-2, esdb-3. Provisioning never "
        "removes nodes. Set eventstore_cluster_size: 3 to keep it; to shrink, run playbooks/resize.yml, which lets "
        "members leave gracefully; to remove the whole cluster, run playbooks/teardown.yml.")
    assert "from 5 to 3 nodes (eventstore_cluster_size is not set, so the default applies)" in shrink_refusal(
        [node(i) for i in range(1, 6)], 3, "esdb", size_given=False)


@pytest.mark.parametrize("nodes, asked", [([], 3), ([node(1), node(2), node(3)], 3), ([node(1)], 3),
                                          ([node(1), node(1, "i-dup"), node(2)], 3),
                                          ([node(1), node(2), {"instance_id": "i-x", "tags": {}}], 2)])
def test_growing_or_keeping_the_size_is_not_refused(nodes, asked):
    assert shrink_refusal(nodes, asked, "esdb") == ""


def interface(eni_id, index, status="available"):
    return {"id": eni_id, "status": status, "tags": {"eventstore_node_index": str(index)}}


def test_interface_plan_creates_only_for_nodes_without_instance_or_free_interface():
    plan = interface_plan([interface("eni-2", 2), interface("eni-3", 3, "in-use")], [node(1)],
                          ["subnet-a", "subnet-b", "subnet-c"])
    assert plan == {"create": [{"index": 3, "subnet_id": "subnet-c"}], "attach": {2: "eni-2"}}
    assert interface_plan([], [node(1), node(2)], ["subnet-a", "subnet-b"]) == {"create": [], "attach": {}}


@pytest.mark.parametrize("architectures, expected", [
    (["x86_64"], ""),
    (["i386", "x86_64"], ""),
    (["arm64"], "eventstore_instance_type m6g.large is arm64 only: the EventStoreDB 22.10 package is built for amd64 "
                "(x86_64) alone; choose an x86_64 type such as t3.small or m6i.large"),
    ([], "eventstore_instance_type 'm6g.large' is not an EC2 instance type in this region"),
])
def test_architecture_problem(architectures, expected):
    assert architecture_problem("m6g.large", architectures) == expected


def live(index, state="running", instance_id=None):
    return dict(node(index, instance_id), state={"name": state})


def test_a_node_whose_instance_is_gone_may_be_replaced():
    assert replace_refusal([live(1), live(3)], "esdb-2", "esdb", 3) == ""
    assert replace_refusal([live(i) for i in (1, 2, 4, 5)], "esdb-3", "esdb", 5) == ""


@pytest.mark.parametrize("state", ["pending", "running", "stopping", "stopped"])
def test_a_node_whose_instance_exists_is_not_replaced(state):
    assert replace_refusal([live(1), live(2, state), live(3)], "esdb-2", "esdb", 3) == (
        "Refusing to replace esdb-2: its instance i-2 (%s) still exists, with its data. Replacing is for a node "
        "whose instance is gone: restart a running node with playbooks/restart_node.yml, start a stopped one with "
        "site.yml, or terminate the instance first." % state)


def test_one_node_is_replaced_at_a_time():
    assert replace_refusal([live(1)], "esdb-2", "esdb", 3) == (
        "Refusing to replace esdb-2 while esdb-3 is gone too: replace one node at a time, so that the others keep "
        "the cluster's quorum and the newcomer has a leader to catch up from.")
    assert "while esdb-3, esdb-4 are gone too" in replace_refusal([live(1), live(5)], "esdb-2", "esdb", 5)


@pytest.mark.parametrize("name", ["esdb-0", "esdb-4", "esdb-", "esdb-x", "other-2", "2", None, "esdb-2 "])
def test_a_name_that_is_not_a_node_of_the_cluster_is_refused(name):
    assert replace_refusal([live(1), live(3)], name, "esdb", 3) == (
        "eventstore_replace_node must name one node of cluster esdb as esdb-<index>, the index from 1 to 3, "
        "not %r." % name)
