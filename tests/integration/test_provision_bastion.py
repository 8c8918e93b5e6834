"""playbooks/tasks/provision_bastion.yml against a local moto EC2 server: the access mode is checked, and
in bastion mode a jump host is created in a public subnet with SSH from the admin networks only, found
again by a rerun, and removed by the teardown path. Nothing is sent to the addresses moto hands out."""

import json
import re

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
        ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
        ec2.modify_subnet_attribute(SubnetId=private, MapPublicIpOnLaunch={"Value": False})
        endpoint.fixture = {"ec2": ec2, "vpc": vpc, "private": private, "public": public}
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
    assert "ProxyJump through it" in out and bastion["PublicIpAddress"] in out
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
    ec2 = moto.fixture["ec2"]
    ec2.modify_subnet_attribute(SubnetId=moto.fixture["public"], MapPublicIpOnLaunch={"Value": False})
    try:
        rc, out = play(moto, tmp_path)[:2]
    finally:
        ec2.modify_subnet_attribute(SubnetId=moto.fixture["public"], MapPublicIpOnLaunch={"Value": True})
    assert rc != 0 and "has no subnet that maps public IPs on launch" in out, out[-3000:]
    assert bastions(ec2) == []
