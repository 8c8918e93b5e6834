"""provision.yml -> esdb.cluster.ec2_nodes -> teardown.yml against a local moto EC2 server."""

import fnmatch
import json
import re
from pathlib import Path

import pytest

from ansible_collections.esdb.cluster.tests.lib.aws_moto import (
    MotoEndpoint, ansible_env, json_document, run, write_plugin_config)

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
AMI = "ami-12c6146b"
ADMIN_CIDR = "203.0.113.0/24"
VPC_CIDR = "10.42.0.0/16"
LIVE_STATES = ["pending", "running", "stopping", "stopped"]
IAM_POLICY = Path(__file__).resolve().parents[2] / "docs" / "iam-policy.json"
UBUNTU_PARAMETER = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"
# Actions that change or remove what exists: only allowed on resources tagged with a cluster.
DESTRUCTIVE = ("ec2:TerminateInstances", "ec2:StopInstances", "ec2:StartInstances", "ec2:DeleteSecurityGroup",
               "ec2:AuthorizeSecurityGroup*", "ec2:RevokeSecurityGroup*", "ec2:DeleteNetworkInterface",
               "ec2:ModifyInstanceAttribute", "ec2:DeleteTags")


@pytest.fixture(scope="module")
def moto():
    with MotoEndpoint(ssm_parameters=[(REGION, UBUNTU_PARAMETER, AMI)]) as endpoint:
        ec2 = endpoint.ec2(REGION)
        vpc = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
                   for cidr, zone in (("10.42.0.0/24", REGION + "a"), ("10.42.1.0/24", REGION + "b"))]
        # As in a default VPC: the subnets hand out public IPs unless the launch says otherwise.
        for subnet in subnets:
            ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
        other_vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        foreign_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.99.0.0/24")["Subnet"]["SubnetId"]
        endpoint.fixture = {"ec2": ec2, "vpc": vpc, "subnets": subnets, "foreign_subnet": foreign_subnet}
        yield endpoint


def cluster_vars(moto, **overrides):
    extra_vars = {"aws_region": REGION, "aws_endpoint_url": moto.url,
                  "eventstore_vpc_subnet_ids": moto.fixture["subnets"], "eventstore_admin_cidrs": [ADMIN_CIDR]}
    extra_vars.update(overrides)
    return {k: v for k, v in extra_vars.items() if v is not None}


def playbook(name, extra_vars, *args):
    return run(["ansible-playbook", "-i", "localhost,", "playbooks/%s.yml" % name, "-e", json.dumps(extra_vars)]
               + list(args))


def recap(output):
    match = re.search(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def live_instances(ec2, cluster="esdb"):
    reservations = ec2.describe_instances(Filters=[{"Name": "tag:eventstore_cluster", "Values": [cluster]},
                                                   {"Name": "instance-state-name", "Values": LIVE_STATES}])
    instances = [i for r in reservations["Reservations"] for i in r["Instances"]]
    return {tags(i)["Name"]: i for i in instances}


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def inventory(moto, tmp_path, *args, **options):
    config = write_plugin_config(tmp_path, regions=[REGION], endpoint_url=moto.url, **options)
    return run(["ansible-inventory", "-i", str(config)] + list(args))


def group_hosts(moto, tmp_path, group, **options):
    """The hosts `ansible-inventory --graph GROUP` shows under GROUP, and the raw output."""
    rc, out = inventory(moto, tmp_path, "--graph", group, **options)[:2]
    assert rc == 0, out
    assert re.search(r"^@%s:$" % group, out, re.M), out
    return sorted(set(re.findall(r"--([^@\s]\S*)$", out, re.M))), out


def assert_security_group(ec2, vpc, external_tcp):
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["eventstore-esdb"]}])
    [group] = group["SecurityGroups"]
    assert group["VpcId"] == vpc
    rules = set()
    for permission in group["IpPermissions"]:
        for source in permission["IpRanges"]:
            rules.add((permission["FromPort"], source["CidrIp"]))
        for source in permission["UserIdGroupPairs"]:
            rules.add((permission["FromPort"], "self" if source["GroupId"] == group["GroupId"] else source["GroupId"]))
        assert permission.get("Ipv6Ranges", []) == []
    expected = {(22, ADMIN_CIDR), (2113, "self"), (1112, "self"), (2113, VPC_CIDR)}
    if external_tcp:
        expected.add((1113, VPC_CIDR))
    assert rules == expected
    assert all(cidr != "0.0.0.0/0" for _port, cidr in rules)
    return group["GroupId"]


def allowing_statements(policy, action):
    """The Allow statements whose Action list matches `action` (IAM wildcards, case-insensitive).

    Models Action lists only: Resource ARNs, Conditions, Deny statements, NotAction and service control
    policies are not evaluated; tag_conditions() checks the Conditions of destructive actions separately.
    """
    return [statement for statement in policy["Statement"] if statement["Effect"] == "Allow"
            and any(fnmatch.fnmatch(action.lower(), pattern.lower()) for pattern in _list(statement["Action"]))]


def _list(value):
    return [value] if isinstance(value, str) else value


def tag_condition(statement, tag="eventstore_cluster"):
    """The cluster (or bastion) tag a statement requires on the resource acted on, or None."""
    for operator in statement.get("Condition", {}).values():
        for key in operator:
            if key == "aws:ResourceTag/" + tag:
                return key
    return None


def test_cluster_lifecycle(moto, tmp_path):
    ec2, subnets = moto.fixture["ec2"], moto.fixture["subnets"]

    # check mode on an empty account reports the launch and creates nothing
    rc, out = playbook("provision", cluster_vars(moto), "--check")[:2]
    assert rc == 0, out
    assert "nodes esdb-1, esdb-2, esdb-3 would be launched" in " ".join(out.split()), out
    assert live_instances(ec2) == {}
    assert ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["eventstore-esdb"]}])[
        "SecurityGroups"] == []

    moto.start_recording()

    # 1. provision
    rc, out = playbook("provision", cluster_vars(moto))[:2]
    assert rc == 0, out
    assert recap(out)["changed"] > 0
    nodes = live_instances(ec2)
    assert sorted(nodes) == ["esdb-1", "esdb-2", "esdb-3"]

    # 2-3. the inventory plugin sees every node, its groups and its private IP, with DescribeInstances alone
    provision_actions = moto.recorded_actions()
    moto.start_recording()
    assert group_hosts(moto, tmp_path, "eventstore")[0] == ["esdb-1", "esdb-2", "esdb-3"]
    assert moto.recorded_actions() == {"ec2:DescribeInstances"}
    moto.start_recording()
    assert group_hosts(moto, tmp_path, "eventstore_esdb")[0] == ["esdb-1", "esdb-2", "esdb-3"]
    all_nodes, out = group_hosts(moto, tmp_path, "eventstore")
    assert all_nodes == ["esdb-1", "esdb-2", "esdb-3"]
    assert "--@eventstore_esdb:" in out
    # the shipped inventories/aws works as it is (boto3 takes the endpoint from AWS_ENDPOINT_URL)
    shipped = run(["ansible-inventory", "-i", "inventories/aws", "--host", "esdb-2"],
                  env=ansible_env({"AWS_ENDPOINT_URL": moto.url}))
    assert shipped.rc == 0, shipped.out
    assert json_document(shipped.out)["eventstore_node_ip"] == nodes["esdb-2"]["PrivateIpAddress"]
    assert json_document(shipped.out)["ansible_user"] == "ubuntu"
    # one source: the plugin reads region, endpoint and cluster name from the group_vars the playbooks read,
    # and the inventory check names expected and found sizes when they differ
    shared = tmp_path / "shared"
    (shared / "group_vars").mkdir(parents=True)
    (shared / "group_vars" / "all.yml").write_text(json.dumps(
        {"aws_region": REGION, "aws_endpoint_url": moto.url, "eventstore_cluster_name": "esdb"}))
    (shared / "eventstore.ec2_nodes.yml").write_text(json.dumps(
        {"plugin": "esdb.cluster.ec2_nodes", "vars_file": "group_vars/all.yml"}))
    check = ["ansible-playbook", "-i", str(shared), "playbooks/inventory_check.yml"]
    assert run(check).rc == 0
    rc, out = run(check + ["-e", "eventstore_cluster_size=5"])[:2]
    assert rc != 0, out
    assert ("The inventory group eventstore_esdb holds 3 hosts (esdb-1, esdb-2, esdb-3), expected "
            "eventstore_cluster_size=5 nodes of cluster esdb in eu-west-1") in " ".join(out.split()), out
    (shared / "group_vars" / "all.yml").write_text(json.dumps(
        {"aws_region": "us-east-1", "aws_endpoint_url": moto.url, "eventstore_cluster_name": "esdb"}))
    rc, out = run(check)[:2]
    assert rc != 0, out
    assert "holds 0 hosts (none), expected eventstore_cluster_size=3 nodes of cluster esdb in us-east-1" in \
        " ".join(out.split()), out
    for name, instance in nodes.items():
        rc, out = inventory(moto, tmp_path, "--host", name)[:2]
        assert rc == 0, out
        host_vars = json_document(out)
        assert host_vars["eventstore_node_ip"] == instance["PrivateIpAddress"]
        assert host_vars["ansible_host"] == instance["PrivateIpAddress"]
        assert host_vars["instance_id"] == instance["InstanceId"]
        assert host_vars["eventstore_node_index"] == int(name.split("-")[1])
        assert host_vars["private_ip_address"].startswith("10.42.")

    # 4. least-privilege security group, IMDSv2, encrypted gp3 root volumes, round-robin subnets
    group_id = assert_security_group(ec2, moto.fixture["vpc"], external_tcp=False)
    for name, instance in nodes.items():
        index = int(tags(instance)["eventstore_node_index"])
        assert tags(instance)["eventstore_cluster"] == "esdb"
        assert instance["SubnetId"] == subnets[(index - 1) % len(subnets)]
        # the node's own interface, created beforehand so that no public IP comes with it
        [primary] = [n for n in instance["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0]
        [interface] = ec2.describe_network_interfaces(
            NetworkInterfaceIds=[primary["NetworkInterfaceId"]])["NetworkInterfaces"]
        assert [g["GroupId"] for g in interface["Groups"]] == [group_id]
        assert {t["Key"]: t["Value"] for t in interface["TagSet"]}["eventstore_node_index"] == str(index)
        assert "Association" not in interface
        assert instance["MetadataOptions"]["HttpTokens"] == "required"
        assert "PublicIpAddress" not in instance
        [root] = [m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == instance["RootDeviceName"]]
        [volume] = ec2.describe_volumes(VolumeIds=[root["Ebs"]["VolumeId"]])["Volumes"]
        assert (volume["VolumeType"], volume["Encrypted"], volume["Size"]) == ("gp3", True, 20)

    # 5. a rerun changes nothing, and check mode agrees
    for mode in ([], ["--check"]):
        rc, out = playbook("provision", cluster_vars(moto), *mode)[:2]
        assert rc == 0, out
        assert recap(out)["changed"] == 0, out
    assert {n: i["InstanceId"] for n, i in live_instances(ec2).items()} == \
        {n: i["InstanceId"] for n, i in nodes.items()}

    # scale out to 5 with external TCP; asking for fewer, or leaving the size out, is refused before any change
    rc, out = playbook("provision", cluster_vars(moto, eventstore_cluster_size=5, eventstore_external_tcp=True))[:2]
    assert rc == 0, out
    five = {n: i["InstanceId"] for n, i in live_instances(ec2).items()}
    assert sorted(five) == ["esdb-1", "esdb-2", "esdb-3", "esdb-4", "esdb-5"]
    assert_security_group(ec2, moto.fixture["vpc"], external_tcp=True)
    for size, fragment in ((3, "from 5 to 3 nodes: it has esdb-1, esdb-2, esdb-3, esdb-4, esdb-5"),
                           (None, "from 5 to 3 nodes (eventstore_cluster_size is not set, so the default applies)")):
        extra = cluster_vars(moto, eventstore_external_tcp=True)
        if size is None:
            extra.pop("eventstore_cluster_size", None)
        else:
            extra["eventstore_cluster_size"] = size
        rc, out = playbook("provision", extra)[:2]
        assert rc != 0, out
        flat = " ".join(out.split())
        assert "Refusing to shrink cluster esdb " + fragment in flat, out
        assert "run playbooks/resize.yml" in flat and "playbooks/teardown.yml" in flat, out
        assert {n: i["InstanceId"] for n, i in live_instances(ec2).items()} == five
    # a stopped node (an interrupted run) is started again, never replaced
    ec2.stop_instances(InstanceIds=[five["esdb-4"]])
    rc, out = playbook("provision", cluster_vars(moto, eventstore_cluster_size=5, eventstore_external_tcp=True))[:2]
    assert rc == 0, out
    assert {n: (i["InstanceId"], i["State"]["Name"]) for n, i in live_instances(ec2).items()} == \
        {n: (i, "running") for n, i in five.items()}

    # 6. teardown: refused without confirmation, then complete, then a harmless rerun
    rc, out = playbook("teardown", cluster_vars(moto))[:2]
    assert rc != 0
    assert "Refusing to tear down" in out and "eventstore_teardown_confirm=esdb" in out
    assert len(live_instances(ec2)) == 5
    for attempt in ("first", "rerun"):
        rc, out = playbook("teardown", cluster_vars(moto, eventstore_teardown_confirm="esdb"))[:2]
        assert rc == 0, out
        if attempt == "rerun":
            assert recap(out)["changed"] == 0, out
        assert live_instances(ec2) == {}
        groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["eventstore-esdb"]}])
        assert groups["SecurityGroups"] == []

    assert group_hosts(moto, tmp_path, "eventstore_esdb", clusters=["esdb"])[0] == []

    # the IAM policy file allows every call provisioning, scaling and teardown made, and the destructive
    # ones only on resources tagged with a cluster
    policy = json.loads(IAM_POLICY.read_text())
    assert not any("*" in action for statement in policy["Statement"] for action in _list(statement["Action"]))
    called = provision_actions | moto.recorded_actions()
    assert {"ec2:RunInstances", "ec2:TerminateInstances", "ec2:StartInstances", "ec2:DescribeInstanceTypeOfferings",
            "ssm:GetParameter", "ec2:DeleteNetworkInterface"} <= called, sorted(called)
    assert [action for action in sorted(called) if not allowing_statements(policy, action)] == []
    for action in sorted(called):
        if any(fnmatch.fnmatch(action, pattern) for pattern in DESTRUCTIVE):
            assert all(tag_condition(s) or tag_condition(s, "eventstore_bastion")
                       for s in allowing_statements(policy, action)), action
    for pattern in ("ec2:StopInstances", "ec2:StartInstances", "ec2:DeleteSecurityGroup"):
        assert allowing_statements(policy, pattern), pattern


def test_teardown_after_an_interrupted_one(moto):
    """Nodes left stopped and terminated, interfaces left behind: a teardown run finishes the job.

    moto terminates at once, so the shutting-down state cannot be produced here; teardown lists it with
    the other live states and waits for termination.
    """
    ec2 = moto.fixture["ec2"]
    extra = cluster_vars(moto, eventstore_cluster_name="cut")
    rc, out = playbook("provision", extra)[:2]
    assert rc == 0, out
    nodes = live_instances(ec2, "cut")
    assert sorted(nodes) == ["cut-1", "cut-2", "cut-3"]
    ec2.stop_instances(InstanceIds=[nodes["cut-1"]["InstanceId"]])
    ec2.terminate_instances(InstanceIds=[nodes["cut-2"]["InstanceId"]])
    rc, out = playbook("teardown", {**extra, "eventstore_teardown_confirm": "cut"})[:2]
    assert rc == 0, out
    assert live_instances(ec2, "cut") == {}
    assert ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["eventstore-cut"]}])[
        "SecurityGroups"] == []
    assert ec2.describe_network_interfaces(Filters=[{"Name": "tag:eventstore_cluster", "Values": ["cut"]}])[
        "NetworkInterfaces"] == []


def public_subnet(moto):
    """A subnet of the cluster's VPC routed to an internet gateway, in a third zone (created once)."""
    if "public" not in moto.fixture:
        ec2 = moto.fixture["ec2"]
        public = ec2.create_subnet(VpcId=moto.fixture["vpc"], CidrBlock="10.42.9.0/24",
                                   AvailabilityZone=REGION + "c")["Subnet"]["SubnetId"]
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=moto.fixture["vpc"])
        table = ec2.create_route_table(VpcId=moto.fixture["vpc"])["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
        ec2.associate_route_table(RouteTableId=table, SubnetId=public)
        moto.fixture["public"] = public
    return moto.fixture["public"]


def ingress(group):
    """(port, CIDR or group id) of every ingress rule of a security group."""
    return {(p["FromPort"], source.get("CidrIp") or source.get("GroupId"))
            for p in group["IpPermissions"] for source in p["IpRanges"] + p["UserIdGroupPairs"]}


def named_group(ec2, name):
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    return groups[0] if groups else None


def test_public_ip_only_when_asked(moto):
    """eventstore_assign_public_ip: true puts nodes in public subnets (routed to an internet gateway) with public IPs."""
    ec2 = moto.fixture["ec2"]
    public = public_subnet(moto)
    extra = cluster_vars(moto, eventstore_cluster_name="pub", eventstore_cluster_size=1,
                         eventstore_vpc_subnet_ids=moto.fixture["subnets"] + [public])
    rc, out = playbook("provision", {**extra, "eventstore_assign_public_ip": True})[:2]
    assert rc == 0, out
    [node] = live_instances(ec2, "pub").values()
    assert node["SubnetId"] == public
    assert "PublicIpAddress" in node  # moto's made-up address: never contacted
    rc, out = playbook("teardown", {**extra, "eventstore_teardown_confirm": "pub"})[:2]
    assert rc == 0, out
    assert live_instances(ec2, "pub") == {}


def test_public_mode_opens_ssh_and_http_to_the_admin_networks_only(moto):
    """Public access mode: public IPs by default, 22 and 2113 from eventstore_admin_cidrs, nothing world-open.

    The public IPs moto hands out are only read, never contacted.
    """
    ec2 = moto.fixture["ec2"]
    extra = cluster_vars(moto, eventstore_cluster_name="open", eventstore_cluster_size=1,
                         eventstore_access_mode="public",
                         eventstore_vpc_subnet_ids=moto.fixture["subnets"] + [public_subnet(moto)])
    rc, out = playbook("provision", extra)[:2]
    assert rc == 0, out
    [node] = live_instances(ec2, "open").values()
    assert node["SubnetId"] == public_subnet(moto) and node.get("PublicIpAddress"), node
    group = named_group(ec2, "eventstore-open")
    assert ingress(group) == {(22, ADMIN_CIDR), (2113, ADMIN_CIDR), (2113, VPC_CIDR),
                              (2113, group["GroupId"]), (1112, group["GroupId"])}
    assert named_group(ec2, "eventstore-open-bastion") is None

    # public IPs cannot be turned off in public mode; the world needs eventstore_allow_world_open
    for overrides, fragment in (
            ({"eventstore_assign_public_ip": False}, "eventstore_access_mode is public but eventstore_assign_public_ip"
                                                     " is false"),
            ({"eventstore_admin_cidrs": ["0.0.0.0/0"]}, "opens the port to the whole internet")):
        rc, out = playbook("provision", {**extra, **overrides})[:2]
        assert rc != 0 and fragment in " ".join(out.split()), out
    assert ingress(named_group(ec2, "eventstore-open")) == ingress(group)

    rc, out = playbook("teardown", {**extra, "eventstore_teardown_confirm": "open"})[:2]
    assert rc == 0, out

    # nodes launched without a public IP are refused by name in public mode, before any wait
    private = cluster_vars(moto, eventstore_cluster_name="open", eventstore_cluster_size=1)
    assert playbook("provision", private).rc == 0
    [node] = live_instances(ec2, "open").values()
    rc, out = playbook("provision", {**private, "eventstore_access_mode": "public", "eventstore_subnet_kind": "auto"})[:2]
    assert rc != 0
    assert node["InstanceId"] + " has no public IP, so access mode public cannot reach it" in " ".join(out.split()), out
    assert playbook("teardown", {**private, "eventstore_teardown_confirm": "open"}).rc == 0
    assert live_instances(ec2, "open") == {}


def test_bastion_mode_lifecycle(moto):
    """Bastion mode: provision creates one jump host in a public subnet, the nodes admit SSH from it alone,
    a rerun changes nothing, teardown removes it last; the IAM policy allows every call, and the bastion's
    destructive ones only on resources tagged eventstore_bastion."""
    ec2 = moto.fixture["ec2"]
    public = public_subnet(moto)
    extra = cluster_vars(moto, eventstore_cluster_name="jump", eventstore_access_mode="bastion")
    moto.start_recording()
    rc, out = playbook("provision", extra)[:2]
    assert rc == 0, out
    nodes = live_instances(ec2, "jump")
    assert sorted(nodes) == ["jump-1", "jump-2", "jump-3"]
    assert all("PublicIpAddress" not in node and node["SubnetId"] in moto.fixture["subnets"]
               for node in nodes.values()), nodes
    bastions = [i for r in ec2.describe_instances(Filters=[
        {"Name": "tag:eventstore_bastion", "Values": ["jump"]},
        {"Name": "instance-state-name", "Values": LIVE_STATES}])["Reservations"] for i in r["Instances"]]
    [bastion] = bastions
    assert bastion["SubnetId"] == public and bastion.get("PublicIpAddress")
    assert "eventstore_cluster" not in tags(bastion)
    assert "eventstore_bastion_address=" + bastion["PublicIpAddress"] in out
    bastion_group, group = named_group(ec2, "eventstore-jump-bastion"), named_group(ec2, "eventstore-jump")
    assert ingress(bastion_group) == {(22, ADMIN_CIDR)}
    assert ingress(group) == {(22, bastion_group["GroupId"]), (2113, VPC_CIDR),
                              (2113, group["GroupId"]), (1112, group["GroupId"])}

    rc, out = playbook("provision", extra)[:2]
    assert (rc, recap(out)["changed"]) == (0, 0), out

    for attempt in ("first", "rerun"):
        rc, out = playbook("teardown", {**extra, "eventstore_teardown_confirm": "jump"})[:2]
        assert rc == 0, out
        assert live_instances(ec2, "jump") == {}
        assert named_group(ec2, "eventstore-jump") is None and named_group(ec2, "eventstore-jump-bastion") is None
        assert ec2.describe_instances(Filters=[{"Name": "tag:eventstore_bastion", "Values": ["jump"]},
                                               {"Name": "instance-state-name", "Values": LIVE_STATES}])[
            "Reservations"] == []

    policy = json.loads(IAM_POLICY.read_text())
    called = moto.recorded_actions()
    assert {"ec2:RunInstances", "ec2:TerminateInstances", "ec2:DeleteSecurityGroup"} <= called, sorted(called)
    assert [action for action in sorted(called) if not allowing_statements(policy, action)] == []
    for action in ("ec2:TerminateInstances", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress"):
        statements = allowing_statements(policy, action)
        assert all(tag_condition(s) or tag_condition(s, "eventstore_bastion") for s in statements), action
        assert any(tag_condition(s, "eventstore_bastion") for s in statements), action
