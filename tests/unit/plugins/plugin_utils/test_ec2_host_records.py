"""The pure instance -> host record rules behind esdb.cluster.ec2_nodes."""

import datetime
import json

import pytest

from ansible_collections.esdb.cluster.plugins.plugin_utils.ec2_host_records import (
    build_hosts,
    cluster_group_name,
    host_vars,
    slim_instance,
)


def instance(instance_id, cluster="esdb", index=None, name=None, private_ip="10.42.0.10", **extra):
    tags = {"eventstore_cluster": cluster}
    if index is not None:
        tags["eventstore_node_index"] = str(index)
    if name is not None:
        tags["Name"] = name
    record = {"InstanceId": instance_id, "PrivateIpAddress": private_ip, "InstanceType": "t3.small",
              "Tags": [{"Key": k, "Value": v} for k, v in tags.items()], "AvailabilityZone": "eu-west-1a",
              "State": "running", "Region": "eu-west-1"}
    record.update(extra)
    return record


def test_slim_instance_keeps_what_hosts_need_and_is_json_safe():
    raw = {"InstanceId": "i-1", "InstanceType": "t3.small", "PrivateIpAddress": "10.0.0.1",
           "LaunchTime": datetime.datetime(2026, 1, 1), "Placement": {"AvailabilityZone": "eu-west-1b"},
           "State": {"Code": 16, "Name": "running"}, "BlockDeviceMappings": [{"DeviceName": "/dev/sda1"}],
           "Tags": [{"Key": "Name", "Value": "esdb-1"}], "PublicIpAddress": ""}
    slim = slim_instance(raw, "eu-west-1")
    assert slim == {"InstanceId": "i-1", "InstanceType": "t3.small", "PrivateIpAddress": "10.0.0.1",
                    "Tags": [{"Key": "Name", "Value": "esdb-1"}], "AvailabilityZone": "eu-west-1b",
                    "State": "running", "Region": "eu-west-1"}
    json.dumps(slim)


@pytest.mark.parametrize("cluster, group", [("esdb", "eventstore_esdb"), ("orders-prod", "eventstore_orders_prod"),
                                            ("a.b c/d", "eventstore_a_b_c_d"), ("Prod_1", "eventstore_Prod_1")])
def test_cluster_group_names_are_valid_ansible_group_names(cluster, group):
    assert cluster_group_name(cluster) == group


def test_hosts_are_named_by_name_tag_and_ordered_by_cluster_then_index():
    hosts, warnings = build_hosts([
        instance("i-3", index=3, name="esdb-3", private_ip="10.42.0.13"),
        instance("i-b", cluster="beta", index=1, name="beta-1"),
        instance("i-1", index=1, name="esdb-1", private_ip="10.42.0.11"),
        instance("i-10", index=10, name="esdb-10"),
    ])
    assert warnings == []
    assert [h["name"] for h in hosts] == ["beta-1", "esdb-1", "esdb-3", "esdb-10"]
    assert hosts[1]["groups"] == ["eventstore", "eventstore_esdb"]
    assert hosts[1]["vars"]["eventstore_node_ip"] == "10.42.0.11"
    assert hosts[1]["vars"]["ansible_host"] == "10.42.0.11"
    assert hosts[1]["vars"]["eventstore_node_index"] == 1
    assert hosts[1]["vars"]["tags"] == {"eventstore_cluster": "esdb", "eventstore_node_index": "1", "Name": "esdb-1"}


def test_missing_name_tag_falls_back_to_instance_id():
    hosts = build_hosts([instance("i-0abc", index=1)])[0]
    assert hosts[0]["name"] == "i-0abc"


def test_duplicate_names_never_merge_two_instances():
    hosts, warnings = build_hosts([instance("i-1", index=1, name="esdb-1"),
                                   instance("i-2", index=1, name="esdb-1", Region="us-east-1")])
    assert [h["name"] for h in hosts] == ["esdb-1", "i-2"]
    assert warnings == ["i-2 and another instance are both named 'esdb-1'; using the instance id as host name"]


def test_non_numeric_node_index_is_kept_as_text_and_sorted_last():
    hosts = build_hosts([instance("i-x", index="spare", name="esdb-spare"), instance("i-2", index=2, name="esdb-2")])[0]
    assert [(h["name"], h["vars"]["eventstore_node_index"]) for h in hosts] == [("esdb-2", 2), ("esdb-spare", "spare")]


def test_ansible_host_from_a_missing_address_warns_and_leaves_it_unset():
    hosts, warnings = build_hosts([instance("i-1", index=1, name="esdb-1")], ansible_host_from="public_ip")
    assert "ansible_host" not in hosts[0]["vars"]
    assert warnings == ["esdb-1 has no public_ip; ansible_host is not set for it"]


@pytest.mark.parametrize("hostnames, expected", [("instance_id", "i-1"), ("private_ip", "10.42.0.10"),
                                                 ("private_dns", "ip-10-42-0-10.internal")])
def test_hostnames_sources(hostnames, expected):
    node = instance("i-1", index=1, name="esdb-1", PrivateDnsName="ip-10-42-0-10.internal")
    hosts = build_hosts([node], hostnames=hostnames)[0]
    assert hosts[0]["name"] == expected


def test_custom_tag_key_names_the_cluster():
    record = instance("i-1", index=1, name="n1")
    record["Tags"].append({"Key": "team", "Value": "billing"})
    hosts = build_hosts([record], tag_key="team")[0]
    assert hosts[0]["groups"] == ["eventstore", "eventstore_billing"]
    assert hosts[0]["vars"]["eventstore_cluster"] == "billing"


@pytest.mark.parametrize("option", [{"hostnames": "public_ip"}, {"ansible_host_from": "ipv6"}])
def test_unknown_choices_are_rejected_by_name(option):
    with pytest.raises(ValueError, match=list(option)[0] + " must be one of"):
        build_hosts([], **option)


def test_every_host_variable_is_set_from_its_field():
    record = instance("i-1", index=2, name="esdb-2", PublicIpAddress="203.0.113.5",
                      PrivateDnsName="ip-10-42-0-10.internal", PublicDnsName="ec2-203-0-113-5.example")
    hosts, warnings = build_hosts([record], ansible_host_from="public_dns", tags_variable="ec2_tags")
    assert warnings == []
    assert hosts == [{"name": "esdb-2", "groups": ["eventstore", "eventstore_esdb"], "vars": {
        "eventstore_node_ip": "10.42.0.10",
        "private_ip_address": "10.42.0.10",
        "public_ip_address": "203.0.113.5",
        "private_dns_name": "ip-10-42-0-10.internal",
        "public_dns_name": "ec2-203-0-113-5.example",
        "instance_id": "i-1",
        "instance_state": "running",
        "instance_type": "t3.small",
        "availability_zone": "eu-west-1a",
        "region": "eu-west-1",
        "eventstore_cluster": "esdb",
        "eventstore_node_index": 2,
        "eventstore_data_volume_id": "",
        "ec2_tags": {"eventstore_cluster": "esdb", "eventstore_node_index": "2", "Name": "esdb-2"},
        "ansible_host": "ec2-203-0-113-5.example",
    }}]


@pytest.mark.parametrize("source, field, value", [("private_ip", "PrivateIpAddress", "10.1.1.1"),
                                                  ("public_ip", "PublicIpAddress", "203.0.113.9"),
                                                  ("private_dns", "PrivateDnsName", "ip.internal"),
                                                  ("public_dns", "PublicDnsName", "ec2.example")])
def test_ansible_host_sources(source, field, value):
    hosts = build_hosts([instance("i-1", **{field: value})], ansible_host_from=source)[0]
    assert hosts[0]["vars"]["ansible_host"] == value


def test_an_instance_without_cluster_tag_joins_only_the_all_nodes_group():
    record = instance("i-1", name="lonely")
    record["Tags"] = [{"Key": "Name", "Value": "lonely"}]
    hosts = build_hosts([record])[0]
    assert hosts[0]["groups"] == ["eventstore"]
    assert (hosts[0]["vars"]["eventstore_cluster"], hosts[0]["vars"]["eventstore_node_index"]) == (None, None)
    assert hosts[0]["vars"]["tags"] == {"Name": "lonely"}


def test_an_instance_without_tags_is_named_by_its_id():
    record = instance("i-9")
    del record["Tags"]
    hosts = build_hosts([record])[0]
    assert (hosts[0]["name"], hosts[0]["groups"], hosts[0]["vars"]["tags"]) == ("i-9", ["eventstore"], {})


def test_order_is_cluster_then_numeric_index_then_region_then_instance_id():
    hosts = build_hosts([
        instance("i-4", index=1, Region="us-east-1"),
        instance("i-3", index=1, Region="eu-west-1"),
        instance("i-2", index=1, Region="eu-west-1"),
        instance("i-5", index="x"),
        instance("i-6", index=0),
        instance("i-7", cluster=None, index=1),
        instance("i-8", index=1, Region=None),
    ])[0]
    assert [h["name"] for h in hosts] == ["i-7", "i-6", "i-8", "i-2", "i-3", "i-4", "i-5"]


def test_names_fall_back_to_the_id_when_the_source_field_is_missing():
    record = instance("i-1", name="")
    assert build_hosts([record])[0][0]["name"] == "i-1"
    assert build_hosts([instance("i-2")], hostnames="private_dns")[0][0]["name"] == "i-2"


@pytest.mark.parametrize("option, message", [
    ({"hostnames": "public_ip"},
     "hostnames must be one of instance_id, name_tag, private_dns, private_ip, not 'public_ip'"),
    ({"ansible_host_from": "ipv6"},
     "ansible_host_from must be one of private_dns, private_ip, public_dns, public_ip, not 'ipv6'"),
])
def test_unknown_choice_messages_list_the_choices(option, message):
    with pytest.raises(ValueError) as caught:
        build_hosts([], **option)
    assert str(caught.value) == message


def test_the_volume_at_the_data_device_becomes_the_data_volume_id_host_var():
    raw = {"InstanceId": "i-1", "PrivateIpAddress": "10.0.0.1", "Tags": [{"Key": "eventstore_cluster", "Value": "esdb"}],
           "BlockDeviceMappings": [
               {"DeviceName": "/dev/sda1", "Ebs": {"VolumeId": "vol-root", "AttachTime": datetime.datetime(2026, 1, 1)}},
               {"DeviceName": "/dev/sdf", "Ebs": {"VolumeId": "vol-data", "AttachTime": datetime.datetime(2026, 1, 1)}}]}
    slim = slim_instance(raw, "eu-west-1")
    assert slim["DataVolumeId"] == "vol-data" and "BlockDeviceMappings" not in slim
    json.dumps(slim)
    [host], _warnings = build_hosts([slim])
    assert host["vars"]["eventstore_data_volume_id"] == "vol-data"
    raw["BlockDeviceMappings"] = raw["BlockDeviceMappings"][:1]
    [host], _warnings = build_hosts([slim_instance(raw, "eu-west-1")])
    assert host["vars"]["eventstore_data_volume_id"] == ""


def test_slim_instance_without_placement_or_state():
    assert slim_instance({"InstanceId": "i-1"}, "eu-west-1") == {
        "InstanceId": "i-1", "AvailabilityZone": None, "State": None, "Region": "eu-west-1"}


def test_non_numeric_indexes_do_not_order_hosts_among_themselves():
    hosts = build_hosts([instance("i-1", index="zeta"), instance("i-2", index="alpha"), instance("i-3")])[0]
    assert [h["name"] for h in hosts] == ["i-1", "i-2", "i-3"]


def test_untagged_instances_come_before_every_cluster():
    untagged = instance("i-2")
    untagged["Tags"] = []
    hosts = build_hosts([instance("i-1", cluster="ABC"), untagged])[0]
    assert [h["name"] for h in hosts] == ["i-2", "i-1"]


def test_host_vars_name_the_tags_variable_tags_by_default():
    assert host_vars(instance("i-1"), {"a": "b"}, "eventstore_cluster", "private_ip")["tags"] == {"a": "b"}


HOSTILE_NAMES = [
    ("{{ lookup('pipe', 'id') }}", "i-9: tag 'Name' is ignored: it holds a template marker or a control character"),
    ("esdb-1\nInsecure: true", "i-9: tag 'Name' is ignored: it holds a template marker or a control character"),
    ("esdb 1;rm", "i-9: host name 'esdb 1;rm' is not made of letters, digits, '.', '_' and '-'; using the "
                  "instance id as host name"),
]


@pytest.mark.parametrize("name, warning", HOSTILE_NAMES)
def test_hostile_name_tags_fall_back_to_the_instance_id_with_a_warning(name, warning):
    hosts, warnings = build_hosts([instance("i-9", index=1, name=name)])
    assert [host["name"] for host in hosts] == ["i-9"]
    assert warning in warnings
    assert ("Name" in hosts[0]["vars"]["tags"]) == ("ignored" not in warning)


def test_a_hostile_cluster_tag_leaves_the_instance_out():
    hosts, warnings = build_hosts([instance("i-9", cluster="{{ x }}", index=1, name="esdb-1"),
                                   instance("i-8", index=1, name="esdb-2")])
    assert [host["name"] for host in hosts] == ["esdb-2"]
    assert "i-9 is left out: its eventstore_cluster tag is not usable" in warnings


@pytest.mark.parametrize("tag_key, tags_variable, message", [
    ("", "ec2_tags", "tag_key must name the cluster tag, for example eventstore_cluster; it is empty"),
    ("eventstore_cluster", "eventstore_node_ip",
     "tags_variable 'eventstore_node_ip' would overwrite a variable the plugin sets; use a name such as ec2_tags"),
    ("eventstore_cluster", "ansible_host",
     "tags_variable 'ansible_host' would overwrite a variable the plugin sets; use a name such as ec2_tags"),
    ("eventstore_cluster", "instance_id",
     "tags_variable 'instance_id' would overwrite a variable the plugin sets; use a name such as ec2_tags"),
])
def test_options_that_would_break_hosts_are_refused(tag_key, tags_variable, message):
    with pytest.raises(ValueError) as error:
        build_hosts([instance("i-1", index=1, name="esdb-1")], tag_key=tag_key, tags_variable=tags_variable)
    assert str(error.value) == message
