"""The nodes' dedicated data volumes: size checks, what provisioning creates or attaches, the Nitro path."""

import pytest

from ansible_collections.esdb.cluster.plugins.plugin_utils.ec2_data_volume import (
    index_outside_db, nitro_device_path, size_problem, snapshot_tags, volume_plan)


def instance(index, instance_id=None, zone="eu-west-1a", devices=None):
    return {"instance_id": instance_id or "i-%d" % index, "tags": {"eventstore_node_index": str(index)},
            "placement": {"availability_zone": zone},
            "block_device_mappings": [{"device_name": "/dev/sda1", "ebs": {"volume_id": "vol-root%d" % index}}]
            + [{"device_name": name, "ebs": {"volume_id": vid}} for name, vid in (devices or {}).items()]}


def volume(volume_id, index, attached_to=None, zone="eu-west-1a", role="data", status=None):
    tags = {"eventstore_cluster": "esdb", "eventstore_node_index": str(index)}
    if role:
        tags["eventstore_volume"] = role
    return {"id": volume_id, "zone": zone, "tags": tags,
            "status": status or ("in-use" if attached_to else "available"),
            "attachment_set": [{"instance_id": attached_to, "status": "attached", "device": "/dev/sdf"}]
            if attached_to else []}


@pytest.mark.parametrize("value", [0, "0", 1, "100", 16384, " 20 "])
def test_usable_sizes(value):
    assert size_problem(value) == ""


@pytest.mark.parametrize("value", [-1, "-5", "ten", "1.5", 16385, "", None, [10]])
def test_unusable_sizes_name_the_value_and_the_fix(value):
    problem = size_problem(value)
    assert problem.startswith("eventstore_data_volume_size '%s' is not a size in GiB" % value)
    assert "eventstore_data_volume_size=100" in problem and "\n" not in problem


def test_new_nodes_get_a_new_volume_and_attached_ones_are_left_alone():
    plan = volume_plan([instance(2), instance(1, devices={"/dev/sdf": "vol-a"})],
                       [volume("vol-a", 1, attached_to="i-1")], "esdb")
    assert plan == {"attach": [{"index": 2, "instance_id": "i-2", "name": "esdb-2", "volume_id": ""}],
                    "problems": []}


def test_an_available_data_volume_of_the_index_in_the_zone_is_reattached():
    plan = volume_plan([instance(1)], [volume("vol-free", 1), volume("vol-other", 2)], "esdb")
    assert plan["attach"] == [{"index": 1, "instance_id": "i-1", "name": "esdb-1", "volume_id": "vol-free"}]


def test_volumes_not_tagged_as_data_or_deleted_are_ignored():
    plan = volume_plan([instance(1)], [volume("vol-root", 1, role=None), volume("vol-gone", 1, status="deleting")],
                       "esdb")
    assert plan["attach"][0]["volume_id"] == ""


def test_a_foreign_volume_at_the_device_is_refused_by_name():
    plan = volume_plan([instance(3, devices={"/dev/sdf": "vol-x"})], [], "esdb")
    assert plan["attach"] == []
    assert plan["problems"] == ["esdb-3 (i-3) has volume vol-x at /dev/sdf, which is not tagged as its data volume "
                                "(eventstore_volume=data, eventstore_node_index=3): detach it, or tag it so if it "
                                "holds the node's database"]


def test_a_data_volume_attached_elsewhere_or_in_another_zone_or_twice_is_refused():
    plan = volume_plan([instance(1), instance(2, zone="eu-west-1b"), instance(3)],
                       [volume("vol-1", 1, attached_to="i-old"), volume("vol-2", 2, zone="eu-west-1a"),
                        volume("vol-3a", 3), volume("vol-3b", 3)], "esdb")
    assert plan["attach"] == []
    assert plan["problems"] == [
        "esdb-1 (i-1) has no volume at /dev/sdf, but its data volume vol-1 is attached to i-old: detach it first",
        "esdb-2 (i-2) is in eu-west-1b but its available data volume vol-2 is in eu-west-1a: a volume attaches "
        "only in its own zone; snapshot it and create the volume in eu-west-1b, or delete it",
        "esdb-3 has 2 available data volumes (vol-3a, vol-3b): delete the ones that are not its database"]


def test_instances_without_a_node_index_are_skipped():
    stray = instance(1)
    stray["tags"] = {}
    assert volume_plan([stray], [], "esdb") == {"attach": [], "problems": []}


def test_another_device_name_is_honoured():
    plan = volume_plan([instance(1, devices={"/dev/sdf": "vol-x"})], [], "esdb", device="/dev/sdg")
    assert [entry["name"] for entry in plan["attach"]] == ["esdb-1"]


@pytest.mark.parametrize("volume_id,path", [
    ("vol-0123456789abcdef0", "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0"),
    ("vol-1a2b", "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol1a2b"),
    ("", ""), (None, ""), ("snap-0123", ""),
])
def test_nitro_device_path(volume_id, path):
    assert nitro_device_path(volume_id) == path


def test_an_index_outside_db_is_found_and_one_under_db_is_not():
    configs = {"n3": {"Db": "/data/db", "Index": "/data/db/../index"}, "n1": {"Index": "/var/lib/eventstore/index"},
               "n2": {"Db": "/data", "Index": "/srv/index"}, "n4": {}, "n5": None,
               "n6": {"Index": "/var/lib/eventstore-index"}}
    assert index_outside_db(configs) == ["n2", "n3", "n6"]
    assert index_outside_db({}) == []


def test_snapshot_tags_name_the_cluster_node_time_and_version():
    assert snapshot_tags("esdb", "esdb-2", "20261130T140000Z", "22.10.0") == {
        "Name": "esdb-20261130T140000Z", "eventstore_cluster": "esdb", "eventstore_node": "esdb-2",
        "eventstore_snapshot_time": "20261130T140000Z", "eventstore_version": "22.10.0"}
