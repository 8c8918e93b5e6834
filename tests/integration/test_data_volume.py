"""Dedicated data volumes against a local moto EC2: provision, inventory, snapshot playbook, teardown.

moto keeps volumes, attachments, tags and snapshots as EC2 does, but no block device appears anywhere:
what the role does with the volume on a node is tested with a file standing in for it (see
docs/operations.md, "Snapshots of the data volume (AWS)").
"""

import fnmatch
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.esdb.cluster.tests.lib.aws_moto import (
    MotoEndpoint, ansible_env, json_document, run, write_plugin_config)
from ansible_collections.esdb.cluster.tests.lib.backup_play import write_inventory
from ansible_collections.esdb.cluster.tests.lib.emu_cluster import Cluster, wait_for

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
AMI = "ami-12c6146b"
UBUNTU_PARAMETER = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"
IAM_POLICY = Path(__file__).resolve().parents[2] / "docs" / "iam-policy.json"
LIVE_STATES = ["pending", "running", "stopping", "stopped"]
# Actions that change or remove what exists: only allowed on resources tagged with a cluster.
DESTRUCTIVE = ("ec2:TerminateInstances", "ec2:DeleteVolume", "ec2:AttachVolume", "ec2:DetachVolume",
               "ec2:ModifyInstanceAttribute", "ec2:DeleteTags")


@pytest.fixture(scope="module")
def moto():
    with MotoEndpoint(ssm_parameters=[(REGION, UBUNTU_PARAMETER, AMI)]) as endpoint:
        ec2 = endpoint.ec2(REGION)
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
                   for cidr, zone in (("10.42.0.0/24", REGION + "a"), ("10.42.1.0/24", REGION + "b"))]
        endpoint.fixture = {"ec2": ec2, "subnets": subnets}
        yield endpoint


def cluster_vars(moto, cluster, **overrides):
    extra = {"aws_region": REGION, "aws_endpoint_url": moto.url, "eventstore_cluster_name": cluster,
             "eventstore_vpc_subnet_ids": moto.fixture["subnets"], "eventstore_admin_cidrs": ["203.0.113.0/24"]}
    extra.update(overrides)
    return extra


def playbook(name, extra_vars, *args, inventory="localhost,"):
    return run(["ansible-playbook", "-i", inventory, "playbooks/%s.yml" % name, "-e", json.dumps(extra_vars)]
               + list(args))


def changed(output):
    recap = [line for line in output.splitlines() if line.startswith("localhost")][-1]
    return int(recap.split("changed=")[1].split()[0])


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def live_nodes(ec2, cluster):
    reservations = ec2.describe_instances(Filters=[{"Name": "tag:eventstore_cluster", "Values": [cluster]},
                                                   {"Name": "instance-state-name", "Values": LIVE_STATES}])
    return {tags(i)["Name"]: i for r in reservations["Reservations"] for i in r["Instances"]}


def cluster_volumes(ec2, cluster):
    return ec2.describe_volumes(Filters=[{"Name": "tag:eventstore_cluster", "Values": [cluster]}])["Volumes"]


def data_volume_of(ec2, instance):
    [mapping] = [m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == "/dev/sdf"]
    [volume] = ec2.describe_volumes(VolumeIds=[mapping["Ebs"]["VolumeId"]])["Volumes"]
    return volume


def allowed(policy, action):
    """The Allow statements whose Action list matches `action` (Resource ARNs are read by test_iam_policy.py)."""
    return [s for s in policy["Statement"] if s["Effect"] == "Allow" and any(
        fnmatch.fnmatch(action.lower(), a.lower()) for a in ([s["Action"]] if isinstance(s["Action"], str)
                                                             else s["Action"]))]


def needs_cluster_tag(statement):
    """A statement that acts only on what a cluster (or its bastion) is tagged with, as in test_provision.py."""
    return any(key in ("aws:ResourceTag/eventstore_cluster", "aws:ResourceTag/eventstore_bastion")
               for operator in statement.get("Condition", {}).values() for key in operator)


def assert_allowed_by_the_policy(actions):
    policy = json.loads(IAM_POLICY.read_text())
    assert [action for action in sorted(actions) if not allowed(policy, action)] == [], sorted(actions)
    for action in sorted(actions):
        if any(fnmatch.fnmatch(action, pattern) for pattern in DESTRUCTIVE):
            assert all(needs_cluster_tag(s) for s in allowed(policy, action)), action


def test_each_node_gets_its_own_encrypted_tagged_data_volume(moto, tmp_path):
    ec2 = moto.fixture["ec2"]
    extra = cluster_vars(moto, "vol", eventstore_data_volume_size=12)

    # check mode creates nothing
    rc, out = playbook("provision", extra, "--check")[:2]
    assert rc == 0, out
    assert live_nodes(ec2, "vol") == {} and cluster_volumes(ec2, "vol") == []

    moto.start_recording()
    rc, out = playbook("provision", extra)[:2]
    assert rc == 0, out
    provision_actions = moto.recorded_actions()
    print(out)  # shown with -rP: the output docs/operations.md quotes
    assert {"ec2:CreateVolume", "ec2:AttachVolume"} <= provision_actions, sorted(provision_actions)
    nodes = live_nodes(ec2, "vol")
    assert sorted(nodes) == ["vol-1", "vol-2", "vol-3"]
    data_volumes = {}
    for name, instance in nodes.items():
        volume = data_volume_of(ec2, instance)
        index = tags(instance)["eventstore_node_index"]
        assert (volume["VolumeType"], volume["Encrypted"], volume["Size"]) == ("gp3", True, 12)
        assert volume["AvailabilityZone"] == instance["Placement"]["AvailabilityZone"]
        [attachment] = volume["Attachments"]
        assert (attachment["InstanceId"], attachment["Device"], attachment["State"]) == \
            (instance["InstanceId"], "/dev/sdf", "attached")
        [mapping] = [m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == "/dev/sdf"]
        assert mapping["Ebs"]["DeleteOnTermination"] is True
        assert tags(volume) == {"Name": name + "-data", "eventstore_cluster": "vol", "eventstore_node_index": index,
                                "eventstore_volume": "data"}
        data_volumes[name] = volume["VolumeId"]
    # only the data volumes carry the data tag: the root volumes are not taken for them
    tagged_data = ec2.describe_volumes(Filters=[{"Name": "tag:eventstore_volume", "Values": ["data"]}])["Volumes"]
    assert sorted(v["VolumeId"] for v in tagged_data) == sorted(data_volumes.values())

    # a rerun and a check-mode rerun change nothing and create no volume
    for mode in ([], ["--check"]):
        rc, out = playbook("provision", extra, *mode)[:2]
        assert rc == 0, out
        assert changed(out) == 0, out
    assert {name: data_volume_of(ec2, i)["VolumeId"] for name, i in live_nodes(ec2, "vol").items()} == data_volumes

    # the inventory exposes each node's data volume id, from DescribeInstances alone
    config = write_plugin_config(tmp_path, regions=[REGION], endpoint_url=moto.url, clusters=["vol"])
    moto.start_recording()
    for name, volume_id in data_volumes.items():
        rc, out = run(["ansible-inventory", "-i", str(config), "--host", name])[:2]
        assert rc == 0, out
        assert json_document(out)["eventstore_data_volume_id"] == volume_id
    assert moto.recorded_actions() == {"ec2:DescribeInstances"}

    # a node that lost its volume (detached by hand) gets the same one back on the next run
    ec2.detach_volume(VolumeId=data_volumes["vol-2"], InstanceId=nodes["vol-2"]["InstanceId"], Device="/dev/sdf")
    rc, out = playbook("provision", extra)[:2]
    assert rc == 0, out
    assert data_volume_of(ec2, live_nodes(ec2, "vol")["vol-2"])["VolumeId"] == data_volumes["vol-2"]

    # a foreign volume at /dev/sdf is refused by name, and left alone
    ec2.detach_volume(VolumeId=data_volumes["vol-3"], InstanceId=nodes["vol-3"]["InstanceId"], Device="/dev/sdf")
    foreign = ec2.create_volume(AvailabilityZone=nodes["vol-3"]["Placement"]["AvailabilityZone"], Size=1)["VolumeId"]
    ec2.attach_volume(VolumeId=foreign, InstanceId=nodes["vol-3"]["InstanceId"], Device="/dev/sdf")
    rc, out = playbook("provision", extra)[:2]
    assert rc != 0
    assert ("vol-3 (%s) has volume %s at /dev/sdf, which is not tagged as its data volume"
            % (nodes["vol-3"]["InstanceId"], foreign)) in " ".join(out.split()), out
    ec2.detach_volume(VolumeId=foreign, InstanceId=nodes["vol-3"]["InstanceId"], Device="/dev/sdf")
    ec2.delete_volume(VolumeId=foreign)
    assert playbook("provision", extra).rc == 0

    # teardown removes every volume of the cluster, and the IAM policy allowed every call
    moto.start_recording()
    rc, out = playbook("teardown", {**extra, "eventstore_teardown_confirm": "vol"})[:2]
    assert rc == 0, out
    assert live_nodes(ec2, "vol") == {}
    assert cluster_volumes(ec2, "vol") == []
    leftover = [v["VolumeId"] for v in ec2.describe_volumes()["Volumes"] if v["VolumeId"] in data_volumes.values()]
    assert leftover == []
    assert_allowed_by_the_policy(provision_actions | moto.recorded_actions())


def test_without_a_size_nodes_get_no_data_volume(moto, tmp_path):
    ec2 = moto.fixture["ec2"]
    extra = cluster_vars(moto, "plain", eventstore_cluster_size=1)
    rc, out = playbook("provision", extra)[:2]
    assert rc == 0, out
    [node] = live_nodes(ec2, "plain").values()
    assert [m["DeviceName"] for m in node["BlockDeviceMappings"]] == [node["RootDeviceName"]]
    config = write_plugin_config(tmp_path, regions=[REGION], endpoint_url=moto.url, clusters=["plain"])
    rc, out = run(["ansible-inventory", "-i", str(config), "--host", "plain-1"])[:2]
    assert rc == 0, out
    assert json_document(out)["eventstore_data_volume_id"] == ""
    assert playbook("teardown", {**extra, "eventstore_teardown_confirm": "plain"}).rc == 0


ROLE_PLAY = """
- name: The role's data volume tasks on this host
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: One task file of the role
      ansible.builtin.include_role:
        name: esdb.cluster.eventstore
        tasks_from: "{{ entry }}"
"""


def role_tasks(tmp_path, entry, device, *args, **variables):
    play = tmp_path / "play.yml"
    play.write_text(ROLE_PLAY)
    extra = {"entry": entry, "eventstore_data_device": str(device),
             "eventstore_config": {"Db": str(tmp_path / "db")}, **variables}
    return run(["ansible-playbook", "-i", "localhost,", str(play), "-e", json.dumps(extra)] + list(args))


def probe(device):
    return subprocess.run(["blkid", "-p", "-o", "export", str(device)], capture_output=True, text=True,
                          check=False).stdout


@pytest.mark.skipif(not all(shutil.which(tool) for tool in ("blkid", "mkfs.ext4", "findmnt")),
                    reason="needs util-linux and e2fsprogs")
def test_the_role_makes_a_filesystem_only_on_an_empty_device_and_plans_the_mount(tmp_path):
    """A regular file stands in for the volume: blkid and mkfs treat it as they treat a disk. Nothing is
    mounted and /etc/fstab is not written on this machine: the mount is run in check mode only."""
    device = tmp_path / "volume.img"
    with open(device, "wb") as image:
        image.truncate(64 * 1024 * 1024)
    (tmp_path / "db").mkdir()
    fstab = Path("/etc/fstab").read_bytes() if Path("/etc/fstab").exists() else None

    # an empty device gets ext4; a rerun finds it and makes nothing (same filesystem UUID)
    rc, out = role_tasks(tmp_path, "data_volume_filesystem", device)[:2]
    assert rc == 0, out
    first = probe(device)
    assert "TYPE=ext4" in first and "LABEL=eventstore" in first, first
    rc, out = role_tasks(tmp_path, "data_volume_filesystem", device)[:2]
    assert rc == 0, out
    assert "changed=0" in out, out
    assert probe(device) == first

    # another filesystem than the one asked for is refused, never reformatted
    rc, out = role_tasks(tmp_path, "data_volume_filesystem", device, eventstore_data_fstype="xfs")[:2]
    assert rc != 0
    assert "already holds filesystem ext4, not xfs: the role never reformats a device" in " ".join(out.split()), out
    assert probe(device) == first

    # a missing device is named
    rc, out = role_tasks(tmp_path, "data_volume_filesystem", tmp_path / "absent")[:2]
    assert rc != 0
    assert "%s is not a block device on localhost" % (tmp_path / "absent") in " ".join(out.split()), out

    # a volume id that is not one is named, with the fix
    rc, out = role_tasks(tmp_path, "data_volume_filesystem", "", eventstore_data_volume_id="snap-0123")[:2]
    assert rc != 0
    assert "eventstore_data_volume_id 'snap-0123' is not an EBS volume id (vol-...)" in " ".join(out.split()), out

    # the whole file in check mode: the planned mount and fstab entry, nothing else
    rc, out = role_tasks(tmp_path, "data_volume", device, "--check", "-v")[:2]
    assert rc == 0, out
    mount = json_document(out[out.index("Data volume - mounted at the database directory"):])
    assert mount["changed"] is True
    assert (mount["src"], mount["name"], mount["fstype"], mount["opts"]) == \
        (str(device), str(tmp_path / "db"), "ext4", "defaults,noatime,nofail")
    assert mount["fstab"] == "/etc/fstab"

    # a database directory that holds files on the root disk is never hidden by the mount
    (tmp_path / "db" / "chaser.chk").write_bytes(b"\0" * 8)
    rc, out = role_tasks(tmp_path, "data_volume", device, "--check")[:2]
    assert rc != 0
    assert ("Db %s on localhost already holds 1 entries on the root disk, which mounting %s would hide"
            % (tmp_path / "db", device)) in " ".join(out.split()), out

    assert (Path("/etc/fstab").read_bytes() if Path("/etc/fstab").exists() else None) == fstab
    assert str(tmp_path) not in subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True,
                                               text=True, check=False).stdout


SNAPSHOT_HOSTS = ["127.0.20.111", "127.0.20.112", "127.0.20.113"]


def snapshot_play(moto, inventory, *args, **extra):
    local = ",".join(["127.0.0.1", "localhost"] + SNAPSHOT_HOSTS)
    env = ansible_env({"NO_PROXY": local, "no_proxy": local, "ANSIBLE_FORKS": "1"})
    connection = {"aws_region": REGION, "aws_endpoint_url": moto.url, "aws_access_key": "testing",
                  "aws_secret_key": "testing"}
    return run(["ansible-playbook", "-i", str(inventory), "playbooks/snapshot.yml",
                "-e", json.dumps(dict(connection, **extra))] + list(args), env=env)


def cluster_snapshots(ec2, cluster):
    return ec2.describe_snapshots(Filters=[{"Name": "tag:eventstore_cluster", "Values": [cluster]}])["Snapshots"]


def test_the_snapshot_playbook_snapshots_a_followers_data_volume(moto, tmp_path):
    """A ready emulator cluster on loopback whose nodes carry the ids of moto volumes, as the inventory sets them."""
    ec2 = moto.fixture["ec2"]
    volumes = {}
    for index in (1, 2, 3):
        volumes["n%d" % index] = ec2.create_volume(
            AvailabilityZone=REGION + "a", Size=5, VolumeType="gp3", Encrypted=True,
            TagSpecifications=[{"ResourceType": "volume", "Tags": [
                {"Key": "eventstore_cluster", "Value": "emu"}, {"Key": "eventstore_node_index", "Value": str(index)},
                {"Key": "eventstore_volume", "Value": "data"}]}])["VolumeId"]
    cluster = Cluster(tmp_path / "nodes", SNAPSHOT_HOSTS).start()
    try:
        leader = wait_for(cluster.agreed_leader, timeout=60, what="one agreed leader and two followers")
        leader_host = "n%d" % (cluster.nodes.index(leader) + 1)
        bare = write_inventory(tmp_path, cluster, tmp_path / "backups", tmp_path / "staging")
        with_volumes = tmp_path / "volumes"
        with_volumes.mkdir()
        inventory = write_inventory(with_volumes, cluster, tmp_path / "backups", tmp_path / "staging",
                                    host_vars={host: {"eventstore_data_volume_id": vid}
                                               for host, vid in volumes.items()})

        # nodes without a data volume: refused by name, before any AWS call
        moto.start_recording()
        rc, out = snapshot_play(moto, bare)[:2]
        assert rc != 0
        assert "Refusing to snapshot: n1, n2, n3 have no data volume (eventstore_data_volume_id is empty)" in \
            " ".join(out.split()), out
        # check mode: nothing is created
        rc, out = snapshot_play(moto, inventory, "--check")[:2]
        assert rc == 0, out
        assert cluster_snapshots(ec2, "emu") == []
        assert "ec2:CreateSnapshot" not in moto.recorded_actions()

        # the leader is never the source
        rc, out = snapshot_play(moto, inventory, eventstore_snapshot_node=leader_host)[:2]
        assert rc != 0
        assert "Refusing to snapshot %s: it is not a Follower now" % leader_host in " ".join(out.split()), out

        moto.start_recording()
        rc, out = snapshot_play(moto, inventory)[:2]
        assert rc == 0, out
        [snap] = cluster_snapshots(ec2, "emu")
        assert snap["State"] == "completed"
        source = [host for host, vid in volumes.items() if vid == snap["VolumeId"]]
        assert source and source[0] != leader_host
        stamp = tags(snap)["eventstore_snapshot_time"]
        assert re.fullmatch(r"\d{8}T\d{6}Z", stamp), snap
        assert tags(snap) == {"Name": "emu-" + stamp, "eventstore_cluster": "emu", "eventstore_node": source[0],
                              "eventstore_snapshot_time": stamp, "eventstore_version": "22.10.0"}
        assert snap["Description"] == ("EventStoreDB 22.10.0 cluster emu, data volume of %s (a Follower), %s"
                                       % (source[0], stamp))
        assert "Snapshot %s of %s (%s, 5 GiB) is completed" % (snap["SnapshotId"], snap["VolumeId"], source[0]) in out
        print(out)  # shown with -rP: the output docs/operations.md quotes
        actions = moto.recorded_actions()
        assert "ec2:CreateSnapshot" in actions, sorted(actions)
        assert_allowed_by_the_policy(actions)

        # an index outside Db is not on the volume: refused
        apart = tmp_path / "apart"
        apart.mkdir()
        inventory = write_inventory(apart, cluster, tmp_path / "backups", tmp_path / "staging", host_vars={
            host: {"eventstore_data_volume_id": vid,
                   "eventstore_config": {"Db": str(node.dir / "db"), "Index": str(tmp_path / host / "index")}}
            for (host, vid), node in zip(sorted(volumes.items()), cluster.nodes)})
        rc, out = snapshot_play(moto, inventory)[:2]
        assert rc != 0
        assert "Refusing to snapshot: the index of n1, n2, n3 is outside Db" in " ".join(out.split()), out
        assert len(cluster_snapshots(ec2, "emu")) == 1
    finally:
        cluster.stop()
