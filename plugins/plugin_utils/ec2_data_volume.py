# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The dedicated data volume of each node: what provisioning must create or attach, and what is wrong.

Plain functions over the snake_case records amazon.aws.ec2_instance_info and ec2_vol_info return, so
every rule is unit-tested without AWS.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

# The device name the data volume is attached as. On Nitro instances the kernel names it /dev/nvmeXn1
# whatever this says; the role finds it by volume id instead (roles/eventstore, data_volume.yml).
DATA_DEVICE = "/dev/sdf"
VOLUME_ROLE_TAG = "eventstore_volume"
VOLUME_ROLE = "data"
NODE_INDEX_TAG = "eventstore_node_index"
# gp3: 1 GiB to 16 TiB.
MAX_SIZE_GIB = 16384


def size_problem(value, name="eventstore_data_volume_size"):
    """'' when value is a usable size in GiB (0 = no data volume), else a one-line reason naming it."""
    text = str(value).strip()
    if not text.isdigit() or int(text) > MAX_SIZE_GIB:
        return ("%s '%s' is not a size in GiB: use 0 (no dedicated data volume) or a whole number from 1 to %d "
                "(gp3), e.g. %s=100" % (name, value, MAX_SIZE_GIB, name))
    return ""


def _tags(record):
    tags = record.get("tags") or {}
    if isinstance(tags, list):  # boto3 shape, should a caller pass one
        tags = dict((tag["Key"], tag["Value"]) for tag in tags)
    return tags


def _index(record):
    try:
        return int(_tags(record).get(NODE_INDEX_TAG))
    except (TypeError, ValueError):
        return None


def _device_volume(instance, device):
    for mapping in instance.get("block_device_mappings") or []:
        if mapping.get("device_name") == device:
            return (mapping.get("ebs") or {}).get("volume_id")
    return None


def _attached_instance(volume):
    for attachment in volume.get("attachment_set") or []:
        if attachment.get("status") in ("attaching", "attached"):
            return attachment.get("instance_id")
    return None


def data_volumes_by_index(volumes):
    """{node index: [volume]} of the volumes tagged as a cluster's data volumes (deleted ones left out)."""
    by_index = {}
    for volume in volumes:
        if _tags(volume).get(VOLUME_ROLE_TAG) != VOLUME_ROLE or volume.get("status") in ("deleting", "deleted"):
            continue
        index = _index(volume)
        if index is not None:
            by_index.setdefault(index, []).append(volume)
    return by_index


def volume_plan(instances, volumes, cluster, device=DATA_DEVICE):
    """What each live node needs for its data volume.

    Returns {'attach': [...], 'problems': [...]}: one `attach` entry per node without its data volume at
    `device` (index, instance_id, name, and volume_id: an available data volume of that index in the node's
    zone to attach, or '' to create one), and one sentence per node whose state provisioning must not guess
    its way out of (another volume at the device, its data volume on another instance or in another zone).
    """
    by_index = data_volumes_by_index(volumes)
    attach = []
    problems = []
    for instance in sorted(instances, key=lambda item: (_index(item) or 0, item["instance_id"])):
        index = _index(instance)
        if index is None:
            continue
        name = "%s-%d" % (cluster, index)
        own = by_index.get(index, [])
        mapped = _device_volume(instance, device)
        if mapped:
            if mapped not in [volume["id"] for volume in own]:
                problems.append("%s (%s) has volume %s at %s, which is not tagged as its data volume "
                                "(%s=%s, %s=%d): detach it, or tag it so if it holds the node's database"
                                % (name, instance["instance_id"], mapped, device, VOLUME_ROLE_TAG, VOLUME_ROLE,
                                   NODE_INDEX_TAG, index))
            continue
        zone = (instance.get("placement") or {}).get("availability_zone")
        elsewhere = [(volume["id"], _attached_instance(volume)) for volume in own if _attached_instance(volume)]
        free = [volume for volume in own if not _attached_instance(volume)]
        if elsewhere:
            problems.append("%s (%s) has no volume at %s, but its data volume %s is attached to %s: detach it "
                            "first" % ((name, instance["instance_id"], device) + elsewhere[0]))
            continue
        if len(free) > 1:
            problems.append("%s has %d available data volumes (%s): delete the ones that are not its database"
                            % (name, len(free), ", ".join(sorted(volume["id"] for volume in free))))
            continue
        if free and free[0].get("zone") != zone:
            problems.append("%s (%s) is in %s but its available data volume %s is in %s: a volume attaches only "
                            "in its own zone; snapshot it and create the volume in %s, or delete it"
                            % (name, instance["instance_id"], zone, free[0]["id"], free[0].get("zone"), zone))
            continue
        attach.append({"index": index, "instance_id": instance["instance_id"], "name": name,
                       "volume_id": free[0]["id"] if free else ""})
    return {"attach": attach, "problems": problems}


def nitro_device_path(volume_id):
    """The stable path of an attached EBS volume on a Nitro instance.

    The NVMe controller reports the volume id without its dash as serial number and "Amazon Elastic Block
    Store" as model; udev's persistent-storage rule links /dev/disk/by-id/nvme-<model>_<serial>, spaces
    turned into underscores.
    """
    volume_id = str(volume_id or "")
    if not volume_id.startswith("vol-"):
        return ""
    return "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_" + volume_id.replace("-", "", 1)


def index_outside_db(configs, default_db="/var/lib/eventstore"):
    """The hosts, sorted, whose 22.10 Index directory is set outside their Db directory.

    configs: {host: the node's eventstore_config}. 22.10 puts the index at <Db>/index unless Index is
    set; a snapshot of the volume mounted at Db then misses an index that lives elsewhere.
    """
    apart = []
    for host, config in sorted((configs or {}).items()):
        config = config or {}
        index = config.get("Index")
        if not index:
            continue
        db = posixpath.normpath(str(config.get("Db") or default_db))
        if not posixpath.normpath(str(index)).startswith(db.rstrip("/") + "/"):
            apart.append(host)
    return apart


def snapshot_tags(cluster, node, stamp, version):
    """The tags of a data volume snapshot: what it is of, when, and which EventStoreDB wrote it."""
    return {"Name": "%s-%s" % (cluster, stamp), "eventstore_cluster": cluster, "eventstore_node": node,
            "eventstore_snapshot_time": stamp, "eventstore_version": version}
