"""esdb.cluster.ec2_nodes against moto's in-process EC2 mock: hosts, groups, options, cache and errors."""

import importlib
import socket
import sys
import threading
from pathlib import Path

import boto3
import pytest
import yaml
from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, inventory_loader
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

COLLECTIONS_PATH = Path(__file__).resolve().parents[4] / ".collections"
AMI = "ami-12c6146b"


def _load_collection(name):
    """Import through Ansible's collection loader, as ansible-inventory does.

    A plain namespace import of `ansible_collections` (pytest's pythonpath) hides the collection metadata
    the plugin loader needs, so drop it before installing the loader.
    """
    for module in [m for m in sys.modules if m == "ansible_collections" or m.startswith("ansible_collections.")]:
        del sys.modules[module]
    init_plugin_loader([str(COLLECTIONS_PATH)])
    return importlib.import_module(name)


ec2_query = _load_collection("ansible_collections.esdb.cluster.plugins.plugin_utils.ec2_query")


@pytest.fixture(autouse=True)
def isolated_aws_env(monkeypatch):
    """Dummy credentials only, no config files, no metadata service: nothing can reach real AWS."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2",
                 "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Any request that is not for loopback (or intercepted by moto) goes to a closed port.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def aws():
    with mock_aws():
        yield


def launch(region, cluster, count, state="running", name_prefix=None, extra_tags=None):
    """Launch `count` tagged nodes the way provisioning does; return their instance records."""
    ec2 = boto3.client("ec2", region_name=region)
    instances = ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count)["Instances"]
    for index, instance in enumerate(instances, 1):
        tags = {"eventstore_cluster": cluster, "eventstore_node_index": str(index),
                "Name": "%s-%d" % (name_prefix or cluster, index)}
        tags.update(extra_tags or {})
        ec2.create_tags(Resources=[instance["InstanceId"]], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    if state == "stopped":
        ec2.stop_instances(InstanceIds=[i["InstanceId"] for i in instances])
    return instances


def parse(tmp_path, read_cache=False, **options):
    """Run the plugin on a config file holding `options`; return the resulting InventoryData."""
    config = tmp_path / "test.ec2_nodes.yml"
    config.write_text(yaml.safe_dump({"plugin": "esdb.cluster.ec2_nodes", **options}))
    plugin = inventory_loader.get("esdb.cluster.ec2_nodes")
    assert plugin.verify_file(str(config))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(config), cache=read_cache)
    if options.get("cache"):
        plugin.update_cache_if_changed()  # what InventoryManager does after each source
    return inventory


def members(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts())


@pytest.mark.parametrize("name, accepted", [("aws.ec2_nodes.yml", True), ("ec2_nodes.yaml", True),
                                            ("aws_ec2.yml", False), ("hosts.yml", False)])
def test_config_file_names(tmp_path, name, accepted):
    config = tmp_path / name
    config.write_text("plugin: esdb.cluster.ec2_nodes\n")
    assert inventory_loader.get("esdb.cluster.ec2_nodes").verify_file(str(config)) is accepted


def test_cluster_nodes_become_hosts_with_their_private_ips(aws, tmp_path):
    launched = launch("eu-west-1", "esdb", 3)
    inventory = parse(tmp_path, regions=["eu-west-1"])

    assert members(inventory, "eventstore") == ["esdb-1", "esdb-2", "esdb-3"]
    assert members(inventory, "eventstore_esdb") == ["esdb-1", "esdb-2", "esdb-3"]
    assert "eventstore_esdb" in [g.name for g in inventory.groups["eventstore"].child_groups]
    for index, instance in enumerate(launched, 1):
        host_vars = inventory.get_host("esdb-%d" % index).vars
        assert host_vars["eventstore_node_ip"] == instance["PrivateIpAddress"]
        assert host_vars["private_ip_address"] == instance["PrivateIpAddress"]
        assert host_vars["ansible_host"] == instance["PrivateIpAddress"]
        assert host_vars["public_ip_address"] == instance.get("PublicIpAddress")
        assert host_vars["instance_id"] == instance["InstanceId"]
        assert host_vars["instance_type"] == instance["InstanceType"]
        assert host_vars["availability_zone"] == instance["Placement"]["AvailabilityZone"]
        assert host_vars["eventstore_cluster"] == "esdb"
        assert host_vars["eventstore_node_index"] == index
        assert host_vars["tags"]["Name"] == "esdb-%d" % index


def test_untagged_instances_are_ignored(aws, tmp_path):
    boto3.client("ec2", region_name="eu-west-1").run_instances(ImageId=AMI, MinCount=2, MaxCount=2)
    launch("eu-west-1", "esdb", 1)
    assert sorted(parse(tmp_path, regions=["eu-west-1"]).hosts) == ["esdb-1"]


def test_no_matching_instance_gives_empty_groups_not_an_error(aws, tmp_path):
    inventory = parse(tmp_path, regions=["eu-west-1"], clusters=["esdb"])
    assert members(inventory, "eventstore") == []
    assert members(inventory, "eventstore_esdb") == []
    assert inventory.hosts == {}


def test_clusters_option_selects_clusters_and_sanitises_group_names(aws, tmp_path):
    launch("eu-west-1", "esdb", 3)
    launch("eu-west-1", "orders-prod.v2", 1)
    inventory = parse(tmp_path, regions=["eu-west-1"], clusters=["orders-prod.v2"])
    assert members(inventory, "eventstore") == ["orders-prod.v2-1"]
    assert members(inventory, "eventstore_orders_prod_v2") == ["orders-prod.v2-1"]
    assert "eventstore_esdb" not in inventory.groups


def test_all_regions_are_read_and_pages_followed(aws, tmp_path, monkeypatch):
    monkeypatch.setattr(ec2_query, "PAGE_SIZE", 5)
    launch("eu-west-1", "west", 12)
    launch("us-east-1", "east", 7)
    inventory = parse(tmp_path, regions=["eu-west-1", "us-east-1"])
    assert len(members(inventory, "eventstore_west")) == 12
    assert len(members(inventory, "eventstore_east")) == 7
    assert inventory.get_host("east-7").vars["region"] == "us-east-1"


def test_regions_are_queried_concurrently(aws, tmp_path, monkeypatch):
    """Each region's query waits for the other one: a sequential plugin would break the barrier."""
    barrier = threading.Barrier(2, timeout=10)
    original = ec2_query._describe_region

    def meet_then_describe(*args):
        barrier.wait()
        return original(*args)

    monkeypatch.setattr(ec2_query, "_describe_region", meet_then_describe)
    launch("eu-west-1", "west", 1)
    launch("us-east-1", "east", 1)
    inventory = parse(tmp_path, regions=["eu-west-1", "us-east-1"])
    assert members(inventory, "eventstore") == ["east-1", "west-1"]


def test_region_defaults_to_the_environment(aws, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    launch("ap-southeast-2", "esdb", 1)
    assert members(parse(tmp_path), "eventstore") == ["esdb-1"]


def test_stopped_nodes_only_when_asked(aws, tmp_path):
    launch("eu-west-1", "esdb", 2, state="stopped")
    assert members(parse(tmp_path, regions=["eu-west-1"]), "eventstore") == []
    inventory = parse(tmp_path, regions=["eu-west-1"], instance_states=["running", "stopped"])
    assert members(inventory, "eventstore") == ["esdb-1", "esdb-2"]
    assert inventory.get_host("esdb-1").vars["instance_state"] == "stopped"


def test_custom_tag_key(aws, tmp_path):
    launch("eu-west-1", "esdb", 1, extra_tags={"team:cluster": "billing"})
    inventory = parse(tmp_path, regions=["eu-west-1"], tag_key="team:cluster")
    assert members(inventory, "eventstore_billing") == ["esdb-1"]
    assert inventory.get_host("esdb-1").vars["eventstore_cluster"] == "billing"


@pytest.mark.parametrize("hostnames, field", [("instance_id", "InstanceId"), ("private_ip", "PrivateIpAddress"),
                                              ("private_dns", "PrivateDnsName")])
def test_hostnames_option(aws, tmp_path, hostnames, field):
    instance = launch("eu-west-1", "esdb", 1)[0]
    assert members(parse(tmp_path, regions=["eu-west-1"], hostnames=hostnames), "eventstore") == [instance[field]]


def test_ansible_host_from_public_ip(aws, tmp_path):
    instance = launch("eu-west-1", "esdb", 1)[0]
    inventory = parse(tmp_path, regions=["eu-west-1"], ansible_host_from="public_ip")
    assert inventory.get_host("esdb-1").vars["ansible_host"] == instance["PublicIpAddress"]
    assert inventory.get_host("esdb-1").vars["eventstore_node_ip"] == instance["PrivateIpAddress"]


def test_tags_variable_renames_the_tags_host_var(aws, tmp_path):
    launch("eu-west-1", "esdb", 1)
    host_vars = parse(tmp_path, regions=["eu-west-1"], tags_variable="ec2_tags").get_host("esdb-1").vars
    assert host_vars["ec2_tags"]["Name"] == "esdb-1"
    assert "tags" not in host_vars


def test_constructed_options(aws, tmp_path):
    launch("eu-west-1", "esdb", 3)
    inventory = parse(tmp_path, regions=["eu-west-1"],
                      compose={"ansible_host": "'node' ~ eventstore_node_index", "ansible_connection": "'local'",
                               "container_name": "inventory_hostname", "node_groups": "group_names"},
                      groups={"seed": "eventstore_node_index == 1"},
                      keyed_groups=[{"key": "availability_zone", "prefix": "az"}])
    assert inventory.get_host("esdb-2").vars["ansible_host"] == "node2"
    assert inventory.get_host("esdb-2").vars["ansible_connection"] == "local"
    assert inventory.get_host("esdb-2").vars["container_name"] == "esdb-2"
    assert set(inventory.get_host("esdb-2").vars["node_groups"]) == {"eventstore", "eventstore_esdb"}
    assert members(inventory, "seed") == ["esdb-1"]
    zone = inventory.get_host("esdb-1").vars["availability_zone"]
    assert "esdb-1" in members(inventory, "az_" + zone.replace("-", "_"))


def test_endpoint_url_may_be_a_template(aws, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_EC2_ENDPOINT", "http://127.0.0.1:%d" % closed_port())
    with pytest.raises(AnsibleError, match=r"cannot reach http://127\.0\.0\.1:\d+ for region eu-west-1"):
        parse(tmp_path, regions=["eu-west-1"], endpoint_url="{{ lookup('env', 'TEST_EC2_ENDPOINT') }}",
              connect_timeout=1)


def test_cache_hit_does_not_call_aws(aws, tmp_path, monkeypatch):
    launch("eu-west-1", "esdb", 3)
    options = dict(regions=["eu-west-1"], cache=True, cache_plugin="ansible.builtin.jsonfile",
                   cache_connection=str(tmp_path / "cache"), cache_timeout=600)
    assert members(parse(tmp_path, read_cache=False, **options), "eventstore") == ["esdb-1", "esdb-2", "esdb-3"]

    def no_aws(*_args):
        raise AssertionError("a cache hit must not query EC2")

    monkeypatch.setattr(ec2_query, "_describe_region", no_aws)
    assert members(parse(tmp_path, read_cache=True, **options), "eventstore") == ["esdb-1", "esdb-2", "esdb-3"]
    with pytest.raises(AssertionError, match="cache hit"):
        parse(tmp_path, read_cache=False, **options)  # --flush-cache / refresh_inventory: read AWS again


# Bad input: each failure names its cause and how to fix it.

def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_credentials(tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(AnsibleError, match=r"no usable AWS credentials for region eu-west-1 .*AWS_ACCESS_KEY_ID"):
        parse(tmp_path, regions=["eu-west-1"], endpoint_url="http://127.0.0.1:%d" % closed_port())


def test_unknown_profile(tmp_path):
    with pytest.raises(AnsibleError, match=r"profile \(nowhere\) could not be found.*Fix the profile option"):
        parse(tmp_path, regions=["eu-west-1"], profile="nowhere")


def test_bad_region(aws, tmp_path):
    with pytest.raises(AnsibleError, match=r"unknown AWS region 'mars-north-1' in the regions option"):
        parse(tmp_path, regions=["eu-west-1", "mars-north-1"])


def test_no_region(aws, tmp_path):
    with pytest.raises(AnsibleError, match=r"no AWS region given\. Set the regions option"):
        parse(tmp_path)


def test_unreachable_endpoint(tmp_path):
    url = "http://127.0.0.1:%d" % closed_port()
    with pytest.raises(AnsibleError, match=r"cannot reach %s for region eu-west-1 .*Check endpoint_url" % url):
        parse(tmp_path, regions=["eu-west-1"], endpoint_url=url, connect_timeout=1)


@set_initial_no_auth_action_count(2)
def test_access_denied(aws, tmp_path, monkeypatch):
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="no-permissions")
    key = iam.create_access_key(UserName="no-permissions")["AccessKey"]
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    with pytest.raises(AnsibleError, match=r"access denied for ec2:DescribeInstances in region eu-west-1 "
                                           r"\((UnauthorizedOperation|AccessDenied).*Grant the ec2:DescribeInstances"):
        parse(tmp_path, regions=["eu-west-1"], access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])


def test_unknown_option_is_named_with_a_suggestion(aws, tmp_path):
    with pytest.raises(AnsibleError, match=r"Unknown option 'region' \(did you mean 'regions'\?\) in .*test\.ec2_nodes"
                                           r"\.yml for esdb\.cluster\.ec2_nodes\. Valid options: .*hostnames"):
        parse(tmp_path, region="eu-west-1")


def test_bad_choice_is_named(aws, tmp_path):
    with pytest.raises(AnsibleError, match=r"hostnames.*public_ip|public_ip.*hostnames"):
        parse(tmp_path, regions=["eu-west-1"], hostnames="public_ip")


def test_vars_file_gives_region_and_cluster_the_playbooks_use(aws, tmp_path):
    launch("us-east-2", "orders", 3)
    launch("us-east-2", "esdb", 1)
    launch("eu-west-1", "orders", 1)
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text(
        "aws_region: \"{{ 'us-east-2' }}\"\neventstore_cluster_name: orders\neventstore_cluster_size: 3\n")
    inventory = parse(tmp_path, vars_file="group_vars/all.yml")
    assert members(inventory, "eventstore") == ["orders-1", "orders-2", "orders-3"]
    # options in the inventory file win over vars_file
    assert members(parse(tmp_path, vars_file="group_vars/all.yml", regions=["eu-west-1"]), "eventstore") == \
        ["orders-1"]


@pytest.mark.parametrize("mode, options, address", [
    ("public", {}, "PublicIpAddress"),
    ("bastion", {}, "PrivateIpAddress"),
    ("direct", {}, "PrivateIpAddress"),
    ("public", {"ansible_host_from": "private_ip"}, "PrivateIpAddress"),  # the inventory file's own choice wins
])
def test_access_mode_in_vars_file_chooses_the_address_ansible_uses(aws, tmp_path, mode, options, address):
    instance = launch("eu-west-1", "esdb", 1)[0]
    assert instance["PublicIpAddress"] != instance["PrivateIpAddress"]
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text(
        "aws_region: eu-west-1\neventstore_cluster_name: esdb\neventstore_access_mode: %s\n" % mode)
    inventory = parse(tmp_path, vars_file="group_vars/all.yml", **options)
    assert inventory.get_host("esdb-1").vars["ansible_host"] == instance[address]


def test_vars_file_leaves_the_loader_cache_to_group_vars(aws, tmp_path):
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("aws_region: eu-west-1\npki: \"{{ 'x' }}\"\n")
    config = tmp_path / "test.ec2_nodes.yml"
    config.write_text(yaml.safe_dump({"plugin": "esdb.cluster.ec2_nodes", "vars_file": "group_vars/all.yml"}))
    loader = DataLoader()
    inventory_loader.get("esdb.cluster.ec2_nodes").parse(InventoryData(), loader, str(config), cache=False)
    # What group_vars would read next: the file itself, not a copy this plugin parsed untrusted.
    assert str(tmp_path / "group_vars" / "all.yml") not in loader._FILE_CACHE


def test_missing_vars_file_is_named(aws, tmp_path):
    with pytest.raises(AnsibleError) as error:
        parse(tmp_path, vars_file="group_vars/nothing.yml")
    assert "esdb.cluster.ec2_nodes: cannot read vars_file %s/group_vars/nothing.yml" % tmp_path in str(error.value)


def test_same_region_twice_lists_each_instance_once(aws, tmp_path):
    launch("eu-west-1", "esdb", 3)
    inventory = parse(tmp_path, regions=["eu-west-1", "eu-west-1"])
    assert members(inventory, "eventstore") == ["esdb-1", "esdb-2", "esdb-3"]
    assert len(inventory.hosts) == 3
