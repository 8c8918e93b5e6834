"""playbooks/tasks/provision_bastion.yml against a local moto EC2 server: the access mode is checked, and
in bastion mode a jump host is created in a public subnet with SSH from the admin networks only, found
again by a rerun, and removed by the teardown path. Nothing is sent to the addresses moto hands out."""

import json
import re
import shlex
import subprocess

import pytest

from ansible_collections.esdb.cluster.tests.lib.aws_moto import MotoEndpoint, REPO_ROOT, run

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
AMI = "ami-12c6146b"
ADMIN_CIDR = "203.0.113.0/24"
LIVE_STATES = ["pending", "running", "stopping", "stopped"]
PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  vars_files:
    - {root}/playbooks/vars/ec2_cluster.yml
    - {root}/playbooks/vars/ec2_provision.yml
  module_defaults:
    group/amazon.aws.aws:
      region: "{{{{ aws_region }}}}"
      endpoint_url: "{{{{ aws_endpoint_url }}}}"
  tasks:
    - name: Network placement
      ansible.builtin.import_tasks: {root}/playbooks/tasks/provision_network.yml
      when: _eventstore_bastion_state | default('present') == 'present'
    - name: Bastion
      ansible.builtin.import_tasks: {root}/playbooks/tasks/provision_bastion.yml
"""


@pytest.fixture(scope="module")
def moto():
    with MotoEndpoint() as endpoint:
        ec2 = endpoint.ec2(REGION)
        vpc = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
        private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.43.0.0/24")["Subnet"]["SubnetId"]
        public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.43.1.0/24")["Subnet"]["SubnetId"]
        # public: routed to an internet gateway (MapPublicIpOnLaunch alone does not make a subnet public)
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
        association = ec2.associate_route_table(RouteTableId=table, SubnetId=public)["AssociationId"]
        ec2.modify_subnet_attribute(SubnetId=private, MapPublicIpOnLaunch={"Value": True})
        endpoint.fixture = {"ec2": ec2, "vpc": vpc, "private": private, "public": public, "table": table,
                            "association": association}
        yield endpoint


def play(moto, tmp_path, **overrides):
    extra = {"aws_region": REGION, "aws_endpoint_url": moto.url, "eventstore_ami_id": AMI,
             "eventstore_vpc_subnet_ids": [moto.fixture["private"]], "eventstore_admin_cidrs": [ADMIN_CIDR],
             "eventstore_access_mode": "bastion"}
    extra.update(overrides)
    path = tmp_path / "play.yml"
    path.write_text(PLAY.format(root=REPO_ROOT))
    return run(["ansible-playbook", "-i", "localhost,", str(path), "-e", json.dumps(extra)])


def changed(output):
    match = re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", output)
    assert match, output
    return int(match.group(1)), int(match.group(2))


def bastions(ec2):
    reservations = ec2.describe_instances(Filters=[{"Name": "tag:eventstore_bastion", "Values": ["esdb"]},
                                                   {"Name": "instance-state-name", "Values": LIVE_STATES}])
    return [i for r in reservations["Reservations"] for i in r["Instances"]]


def bastion_groups(ec2):
    return ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["eventstore-esdb-bastion"]}])["SecurityGroups"]


def test_bastion_mode_creates_one_jump_host_in_the_public_subnet_and_teardown_removes_it(moto, tmp_path):
    ec2 = moto.fixture["ec2"]
    rc, out = play(moto, tmp_path)[:2]
    assert rc == 0, out[-3000:]
    [bastion] = bastions(ec2)
    tags = {t["Key"]: t["Value"] for t in bastion["Tags"]}
    assert "eventstore_cluster" not in tags, tags  # never taken for a node
    assert bastion["SubnetId"] == moto.fixture["public"]
    assert bastion.get("PublicIpAddress"), bastion
    assert "nodes are reached through it" in out and bastion["PublicIpAddress"] in out
    [group] = bastion_groups(ec2)
    assert [g["GroupId"] for g in bastion["SecurityGroups"]] == [group["GroupId"]]
    rules = [(p["FromPort"], p["ToPort"], [r["CidrIp"] for r in p["IpRanges"]], p["UserIdGroupPairs"])
             for p in group["IpPermissions"]]
    assert rules == [(22, 22, [ADMIN_CIDR], [])]

    rc, out = play(moto, tmp_path)[:2]
    assert (rc, changed(out)) == (0, (0, 0)), out[-3000:]
    assert len(bastions(ec2)) == 1

    for _attempt in range(2):  # a second teardown finds nothing and still succeeds
        rc, out = play(moto, tmp_path, _eventstore_bastion_state="absent")[:2]
        assert rc == 0, out[-3000:]
        assert bastions(ec2) == [] and bastion_groups(ec2) == []


def test_direct_mode_creates_no_jump_host(moto, tmp_path):
    rc, out = play(moto, tmp_path, eventstore_access_mode="direct")[:2]
    assert rc == 0, out[-3000:]
    assert bastions(moto.fixture["ec2"]) == [] and bastion_groups(moto.fixture["ec2"]) == []


def test_an_existing_bastion_is_used_as_given(moto, tmp_path):
    rc, out = play(moto, tmp_path, eventstore_bastion_address="198.51.100.7", eventstore_admin_cidrs=[])[:2]
    assert rc == 0, out[-3000:]
    assert bastions(moto.fixture["ec2"]) == []


@pytest.mark.parametrize("overrides, message", [
    ({"eventstore_access_mode": "vpn"}, "eventstore_access_mode is 'vpn': use direct"),
    ({"eventstore_admin_cidrs": []}, "set eventstore_admin_cidrs to the networks allowed to SSH to it"),
])
def test_bad_access_settings_are_refused_by_name(moto, tmp_path, overrides, message):
    rc, out = play(moto, tmp_path, **overrides)[:2]
    assert rc != 0 and message in out, out[-3000:]
    assert bastions(moto.fixture["ec2"]) == []


def test_a_vpc_without_public_subnet_is_refused(moto, tmp_path):
    """A subnet that maps public IPs on launch but has no route to an internet gateway is no place for it."""
    ec2 = moto.fixture["ec2"]
    ec2.disassociate_route_table(AssociationId=moto.fixture["association"])
    try:
        rc, out = play(moto, tmp_path)[:2]
    finally:
        moto.fixture["association"] = ec2.associate_route_table(
            RouteTableId=moto.fixture["table"], SubnetId=moto.fixture["public"])["AssociationId"]
    assert rc != 0 and "has no public subnet (one whose route table routes to an internet gateway)" in \
        " ".join(out.split()), out[-3000:]
    assert bastions(ec2) == []


HOP_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.set_fact:
        _eventstore_bastion_created_address: 198.51.100.9
      when: created | default(false) | bool
- hosts: eventstore
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: "HOP[{{ ansible_ssh_common_args }}]"
"""


@pytest.mark.parametrize("extra, proxy", [
    ({"created": True}, "ssh -W %h:%p -q -o StrictHostKeyChecking=accept-new -o ConnectTimeout=10 ubuntu@198.51.100.9"),
    ({"created": True, "eventstore_bastion_address": "jump.example.com", "eventstore_bastion_user": "admin",
      "ansible_ssh_private_key_file": "/keys/id"},
     "ssh -W %h:%p -q -o StrictHostKeyChecking=accept-new -o ConnectTimeout=10 -i /keys/id admin@jump.example.com"),
    ({}, None),  # bastion mode before any bastion is known: no hop, and Reachable names the bastion to check
    ({"created": True, "eventstore_access_mode": "direct"}, None),
])
def test_the_shipped_group_vars_hop_through_the_bastion_in_bastion_mode(tmp_path, extra, proxy):
    """inventories/aws/group_vars set the SSH hop once: the given bastion, else the one provisioning created;
    OpenSSH reads the result as one ProxyCommand (`ssh -G` parses without connecting)."""
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    for source in (REPO_ROOT / "inventories" / "aws" / "group_vars").glob("*.yml"):
        (inventory / "group_vars" / source.name).write_text(source.read_text())
    (inventory / "hosts.yml").write_text("eventstore:\n  hosts:\n    n1:\n      ansible_host: 10.0.0.5\n")
    (tmp_path / "hop.yml").write_text(HOP_PLAY)
    rc, out = run(["ansible-playbook", "-i", str(inventory), str(tmp_path / "hop.yml"), "-e", json.dumps(extra)])[:2]
    assert rc == 0, out[-3000:]
    [args] = re.findall(r"HOP\[(.*)\]", out)
    args = args.replace('\\"', '"')
    if proxy is None:
        assert args == ""
        return
    parsed = subprocess.run(["ssh", "-G"] + shlex.split(args) + ["10.0.0.5"], capture_output=True, text=True,
                            check=True).stdout
    assert "proxycommand " + proxy in parsed.splitlines(), parsed
