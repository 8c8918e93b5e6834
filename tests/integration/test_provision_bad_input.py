"""Bad input to provision.yml, teardown.yml and esdb.cluster.ec2_nodes: a clear message, no traceback, nothing launched."""

import json

import pytest

from ansible_collections.esdb.cluster.tests.lib.aws_moto import (
    DUMMY_AWS_ENV, MotoEndpoint, ansible_env, free_port, json_document, run, write_plugin_config)

pytestmark = pytest.mark.slow

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def moto():
    with MotoEndpoint() as endpoint:
        ec2 = endpoint.ec2(REGION)
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.0.0/24")["Subnet"]["SubnetId"]
        other_vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        foreign = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.99.0.0/24")["Subnet"]["SubnetId"]
        endpoint.fixture = {"ec2": ec2, "vpc": vpc, "subnet": subnet, "foreign_subnet": foreign}
        yield endpoint


def base_vars(moto):
    return {"aws_region": REGION, "aws_endpoint_url": moto.url, "eventstore_ami_id": "ami-12c6146b",
            "eventstore_vpc_subnet_ids": [moto.fixture["subnet"]], "eventstore_admin_cidrs": ["203.0.113.0/24"]}


def without_credentials():
    return ansible_env({name: "" for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")})


def playbook(name, extra_vars, *args, env=None):
    return run(["ansible-playbook", "-i", "localhost,", "playbooks/%s.yml" % name, "-e", json.dumps(extra_vars)]
               + list(args), env=env)


def assert_refused(moto, output, *fragments):
    assert "Traceback" not in output, output
    for fragment in fragments:
        assert fragment in " ".join(output.split()), output
    running = moto.fixture["ec2"].describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]
    assert running == [], "nothing may be launched after bad input"


PROVISION_CASES = {
    "missing admin cidrs": (
        {"eventstore_admin_cidrs": None},
        ["eventstore_admin_cidrs is missing or empty", "There is deliberately no default"]),
    "admin cidrs as a string": (
        {"eventstore_admin_cidrs": "203.0.113.0/24"},
        ["eventstore_admin_cidrs is missing or empty"]),
    "admin cidr that is not a CIDR": (
        {"eventstore_admin_cidrs": ["203.0.113.7"]},
        ["eventstore_admin_cidrs: '203.0.113.7' has no prefix length; write a single address as 203.0.113.7/32"]),
    "admin cidr out of range": (
        {"eventstore_admin_cidrs": ["999.999.999.999/32"]},
        ["eventstore_admin_cidrs: '999.999.999.999/32' is not a CIDR block"]),
    "world-open ssh": (
        {"eventstore_admin_cidrs": ["0.0.0.0/0"]},
        ["eventstore_admin_cidrs: 0.0.0.0/0 opens the port to the whole internet",
         "set eventstore_allow_world_open: true"]),
    "world-open clients over IPv6": (
        {"eventstore_client_cidrs": ["::/0"]},
        ["eventstore_client_cidrs: ::/0 opens the port to the whole internet"]),
    "open client cidr typo": (
        {"eventstore_client_cidrs": ["0.0.0.0/33"]},
        ["eventstore_client_cidrs: '0.0.0.0/33' is not a CIDR block"]),
    "data volume size that is not a number": (
        {"eventstore_data_volume_size": "100G"},
        ["eventstore_data_volume_size '100G' is not a size in GiB: use 0 (no dedicated data volume) or a whole number "
         "from 1 to 16384 (gp3), e.g. eventstore_data_volume_size=100"]),
    "data volume size too large": (
        {"eventstore_data_volume_size": 20000},
        ["eventstore_data_volume_size '20000' is not a size in GiB"]),
    "graviton instance type": (
        {"eventstore_instance_type": "m6g.large"},
        ["eventstore_instance_type m6g.large is arm64 only: the EventStoreDB 22.10 package is built for amd64"]),
    "unknown instance type": (
        {"eventstore_instance_type": "t3.gigantic"},
        ["eventstore_instance_type 't3.gigantic' is not an EC2 instance type in this region"]),
    "public subnets wanted, none there": (
        {"eventstore_subnet_kind": "public"},
        ["No subnet of VPC", "is public (a public subnet routes to an internet gateway)"]),
    "no canonical image parameter": (
        {"eventstore_ami_id": None, "eventstore_ubuntu_release": "20.04"},
        ["Canonical publishes no Ubuntu 20.04 image in region eu-west-1",
         "SSM parameter /aws/service/canonical/ubuntu/server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id"]),
    "unsupported ubuntu release": (
        {"eventstore_ami_id": None, "eventstore_ubuntu_release": "24.04"},
        ["eventstore_ubuntu_release '24.04' is not supported"]),
    "even size without opt-in": (
        {"eventstore_cluster_size": 4},
        ["eventstore_cluster_size 4 is even", "Use 3 or 5", "eventstore_allow_even_cluster_size=true"]),
    "empty cluster": (
        {"eventstore_cluster_size": 0},
        ["eventstore_cluster_size '0' is not a positive whole number"]),
    "empty cluster name": (
        {"eventstore_cluster_name": ""},
        ["eventstore_cluster_name '' is not valid"]),
    "bad region": (
        {"aws_region": "mars-north-1"},
        ["Cannot use EC2 in region mars-north-1", "Check aws_region (an enabled region such as eu-west-1)"]),
    "missing region": (
        {"aws_region": None},
        ["aws_region is not set"]),
    "unreachable endpoint": (
        {"aws_endpoint_url": "http://127.0.0.1:%d" % free_port()},
        ["Cannot use EC2 in region eu-west-1 at http://127.0.0.1:", "and aws_endpoint_url and the network path"]),
    "unknown subnet": (
        {"eventstore_vpc_subnet_ids": ["subnet-0000000000000dead"]},
        ["eventstore_vpc_subnet_ids lists subnet-0000000000000dead, which does not exist in region eu-west-1"]),
    "unknown image": (
        {"eventstore_ami_id": "ami-0000000000000dead"},
        ["eventstore_ami_id ami-0000000000000dead does not exist in region eu-west-1"]),
    "unknown key pair": (
        {"eventstore_key_name": "nobody"},
        ["eventstore_key_name 'nobody' is not a key pair in region eu-west-1"]),
}


@pytest.mark.parametrize("case", sorted(PROVISION_CASES))
def test_provision_refuses_bad_input(moto, case):
    overrides, messages = PROVISION_CASES[case]
    extra_vars = {k: v for k, v in {**base_vars(moto), **overrides}.items() if v is not None}
    rc, out = playbook("provision", extra_vars)[:2]
    assert rc != 0, out
    assert_refused(moto, out, *messages)


def test_provision_refuses_a_subnet_outside_the_vpc(moto):
    extra_vars = {**base_vars(moto), "eventstore_vpc_id": moto.fixture["vpc"],
                  "eventstore_vpc_subnet_ids": [moto.fixture["subnet"], moto.fixture["foreign_subnet"]]}
    rc, out = playbook("provision", extra_vars)[:2]
    assert rc != 0, out
    assert_refused(moto, out, "Subnet %s is in" % moto.fixture["foreign_subnet"],
                   "not in the cluster's VPC %s" % moto.fixture["vpc"], "List subnets of a single VPC")


def test_provision_without_credentials(moto):
    rc, out = playbook("provision", base_vars(moto), env=without_credentials())[:2]
    assert rc != 0, out
    assert_refused(moto, out, "Cannot use EC2 in region eu-west-1", "No AWS credentials were found")


def test_even_size_with_opt_in_passes_preflight(moto):
    extra_vars = {**base_vars(moto), "eventstore_cluster_size": 4, "eventstore_allow_even_cluster_size": True}
    rc, out = playbook("provision", extra_vars, "--tags", "preflight")[:2]
    assert rc == 0, out


def test_teardown_refuses_the_wrong_confirmation(moto):
    extra_vars = {**base_vars(moto), "eventstore_cluster_name": "orders", "eventstore_teardown_confirm": "esdb"}
    rc, out = playbook("teardown", extra_vars)[:2]
    assert rc != 0, out
    assert_refused(moto, out, "Refusing to tear down", "eventstore_cluster=orders",
                   "pass -e eventstore_teardown_confirm=orders")


# The inventory plugin through ansible-inventory, as users run it. Ansible only warns about an inventory
# source that fails to parse; with inventory_any_unparsed_is_failed the run fails too.
STRICT = {"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"}


def inventory(tmp_path, env=None, **options):
    config = write_plugin_config(tmp_path, **options)
    return run(["ansible-inventory", "-i", str(config), "--graph"], env=env or ansible_env(STRICT))


def assert_inventory_error(rc, out, *fragments):
    assert rc != 0, out
    assert "Traceback" not in out, out
    flat = " ".join(out.split())
    for fragment in fragments:
        assert fragment in flat, out


def test_inventory_unknown_option(moto, tmp_path):
    rc, out = inventory(tmp_path, regions=[REGION], endpoint_url=moto.url, cluster=["esdb"])[:2]
    assert_inventory_error(rc, out, "Unknown option 'cluster' (did you mean 'clusters'?)",
                           "for esdb.cluster.ec2_nodes. Valid options:")


def test_inventory_bad_region(moto, tmp_path):
    rc, out = inventory(tmp_path, regions=["eu-west-1", "mars-north-1"], endpoint_url=moto.url)[:2]
    assert_inventory_error(rc, out, "unknown AWS region 'mars-north-1' in the regions option")


def test_inventory_without_credentials(moto, tmp_path):
    env = ansible_env({**STRICT, **{k: "" for k in DUMMY_AWS_ENV if k.endswith(("_ID", "_KEY", "_TOKEN"))}})
    rc, out = inventory(tmp_path, env=env, regions=[REGION], endpoint_url=moto.url)[:2]
    assert_inventory_error(rc, out, "no usable AWS credentials for region eu-west-1", "AWS_ACCESS_KEY_ID")


def test_inventory_unreachable_endpoint(tmp_path):
    url = "http://127.0.0.1:%d" % free_port()
    rc, out = inventory(tmp_path, regions=[REGION], endpoint_url=url, connect_timeout=1)[:2]
    assert_inventory_error(rc, out, "cannot reach %s for region eu-west-1" % url, "Check endpoint_url")


def test_inventory_empty_cluster_is_empty_groups(moto, tmp_path):
    rc, out = inventory(tmp_path, regions=[REGION], endpoint_url=moto.url, clusters=["nothing-here"])[:2]
    assert rc == 0, out
    assert "WARNING" not in out, out
    assert "@eventstore:" in out and "@eventstore_nothing_here:" in out
    assert "--esdb" not in out


def test_inventory_empty_tag_key(moto, tmp_path):
    rc, out = inventory(tmp_path, regions=[REGION], endpoint_url=moto.url, tag_key="")[:2]
    assert_inventory_error(rc, out, "tag_key must name the cluster tag, for example eventstore_cluster; it is empty")


def test_inventory_tags_variable_cannot_overwrite_plugin_vars(moto, tmp_path):
    rc, out = inventory(tmp_path, regions=[REGION], endpoint_url=moto.url, tags_variable="eventstore_node_ip")[:2]
    assert_inventory_error(rc, out, "tags_variable 'eventstore_node_ip' would overwrite a variable the plugin sets")


def test_inventory_same_region_twice_lists_each_instance_once(moto, tmp_path):
    ec2 = moto.fixture["ec2"]
    [instance] = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=moto.fixture["subnet"],
                                   TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                       {"Key": "eventstore_cluster", "Value": "twice"},
                                       {"Key": "Name", "Value": "{{ lookup('pipe', 'touch /tmp/pwned') }}"}]}]
                                   )["Instances"]
    try:
        config = write_plugin_config(tmp_path, regions=[REGION, REGION], endpoint_url=moto.url, clusters=["twice"])
        rc, out = run(["ansible-inventory", "-i", str(config), "--list"], env=ansible_env(STRICT))[:2]
        assert rc == 0, out
        listing = json_document(out)
        # listed once, named by its instance id: the Jinja Name tag is never a host name nor a variable
        assert listing["eventstore_twice"]["hosts"] == [instance["InstanceId"]], out
        assert "lookup('pipe'" not in json.dumps(listing), out
        assert "%s: tag 'Name' is ignored" % instance["InstanceId"] in " ".join(out.split()), out
    finally:
        ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])


def test_inventory_silent_endpoint_is_bounded(tmp_path):
    import socket
    import time

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = "http://127.0.0.1:%d" % silent.getsockname()[1]
        started = time.monotonic()
        rc, out = inventory(tmp_path, regions=[REGION], endpoint_url=url, connect_timeout=1, read_timeout=2,
                            max_attempts=1)[:2]
        elapsed = time.monotonic() - started
    assert_inventory_error(rc, out, "cannot reach %s for region eu-west-1" % url)
    assert elapsed < 20, elapsed
