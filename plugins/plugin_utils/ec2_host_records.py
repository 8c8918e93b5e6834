# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Turn EC2 DescribeInstances records into EventStoreDB inventory hosts.

Plain functions over plain data, with no AWS or Ansible objects, so the
inventory plugin stays thin and every rule here is unit-tested directly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ALL_NODES_GROUP = "eventstore"
DEFAULT_TAG_KEY = "eventstore_cluster"
NODE_INDEX_TAG = "eventstore_node_index"

# Inventory option value -> the DescribeInstances field it reads.
HOSTNAME_SOURCES = {
    "name_tag": None,
    "instance_id": "InstanceId",
    "private_ip": "PrivateIpAddress",
    "private_dns": "PrivateDnsName",
}
ADDRESS_SOURCES = {
    "private_ip": "PrivateIpAddress",
    "public_ip": "PublicIpAddress",
    "private_dns": "PrivateDnsName",
    "public_dns": "PublicDnsName",
}
# The only DescribeInstances fields the hosts need; also what the cache keeps.
KEPT_FIELDS = ("InstanceId", "InstanceType", "PrivateIpAddress", "PublicIpAddress",
               "PrivateDnsName", "PublicDnsName", "Tags")
# The device name provisioning attaches a node's dedicated data volume as (playbooks/tasks/provision_data_volumes.yml).
DATA_VOLUME_DEVICE = "/dev/sdf"


# Host names: what DNS and Ansible patterns take safely. Tag values: no template markers, no control characters.
SAFE_HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
UNSAFE_VALUE = re.compile(r"\{\{|\{%|\{#|[\x00-\x1f\x7f]")
# Variables the plugin sets itself: tags_variable may not take one of these names.
RESERVED_PREFIXES = ("eventstore_", "ansible_")


def check_options(tag_key, tags_variable):
    """Raise ValueError for option values that would silently break the hosts."""
    if not str(tag_key or "").strip():
        raise ValueError("tag_key must name the cluster tag, for example eventstore_cluster; it is empty")
    if tags_variable.startswith(RESERVED_PREFIXES) or tags_variable in (
            "private_ip_address", "public_ip_address", "private_dns_name", "public_dns_name", "instance_id",
            "instance_state", "instance_type", "availability_zone", "region"):
        raise ValueError("tags_variable %r would overwrite a variable the plugin sets; use a name such as ec2_tags"
                         % tags_variable)


def trusted_tags(instance, warnings):
    """The instance's tags without those whose key or value could inject templates or YAML; one warning each."""
    tags = {}
    for key, value in tag_dict(instance).items():
        if UNSAFE_VALUE.search(str(key)) or UNSAFE_VALUE.search(str(value or "")):
            warnings.append("%s: tag %r is ignored: it holds a template marker or a control character"
                            % (instance["InstanceId"], key[:40]))
            continue
        tags[key] = value
    return tags


def slim_instance(instance, region):
    """Keep only what host records need, in a JSON-safe shape (no datetimes)."""
    slim = dict((field, instance[field]) for field in KEPT_FIELDS if instance.get(field))
    slim["AvailabilityZone"] = instance.get("Placement", {}).get("AvailabilityZone")
    slim["State"] = instance.get("State", {}).get("Name")
    slim["Region"] = region
    data_volume = data_volume_id(instance)
    if data_volume:
        slim["DataVolumeId"] = data_volume
    return slim


def data_volume_id(instance):
    """The id of the EBS volume attached at the data volume device, or None."""
    for mapping in instance.get("BlockDeviceMappings") or []:
        if mapping.get("DeviceName") == DATA_VOLUME_DEVICE:
            return (mapping.get("Ebs") or {}).get("VolumeId")
    return None


def tag_dict(instance):
    return dict((tag["Key"], tag["Value"]) for tag in instance.get("Tags") or [])


def cluster_group_name(cluster):
    """`eventstore_<cluster>` with every character Ansible rejects in group names replaced by `_`."""
    return "%s_%s" % (ALL_NODES_GROUP, re.sub(r"[^A-Za-z0-9_]", "_", cluster))


def node_index(value):
    """The node index tag as an int when it is one, else the raw string (or None)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def host_name(instance, tags, hostnames):
    if hostnames == "name_tag":
        return tags.get("Name") or instance["InstanceId"]
    return instance.get(HOSTNAME_SOURCES[hostnames]) or instance["InstanceId"]


def host_vars(instance, tags, tag_key, ansible_host_from, tags_variable="tags"):
    variables = {
        "eventstore_node_ip": instance.get("PrivateIpAddress"),
        "private_ip_address": instance.get("PrivateIpAddress"),
        "public_ip_address": instance.get("PublicIpAddress"),
        "private_dns_name": instance.get("PrivateDnsName"),
        "public_dns_name": instance.get("PublicDnsName"),
        "instance_id": instance["InstanceId"],
        "instance_state": instance.get("State"),
        "instance_type": instance.get("InstanceType"),
        "availability_zone": instance.get("AvailabilityZone"),
        "region": instance.get("Region"),
        "eventstore_cluster": tags.get(tag_key),
        "eventstore_node_index": node_index(tags.get(NODE_INDEX_TAG)),
        "eventstore_data_volume_id": instance.get("DataVolumeId") or "",
        tags_variable: tags,
    }
    address = instance.get(ADDRESS_SOURCES[ansible_host_from])
    if address:
        variables["ansible_host"] = address
    return variables


def _sort_key(instance, tag_key):
    tags = tag_dict(instance)
    index = node_index(tags.get(NODE_INDEX_TAG))
    return (tags.get(tag_key) or "", not isinstance(index, int), index if isinstance(index, int) else 0,
            instance.get("Region") or "", instance["InstanceId"])


def build_hosts(instances, tag_key=DEFAULT_TAG_KEY, hostnames="name_tag", ansible_host_from="private_ip",
                tags_variable="tags"):
    """Return (hosts, warnings) for slimmed instances.

    Each host is a dict with `name`, `groups` and `vars`. Hosts come out in a
    stable order (cluster, node index, region, instance id). A name already
    taken by another instance falls back to the instance id, with a warning,
    so two instances never merge into one host.
    """
    if hostnames not in HOSTNAME_SOURCES:
        raise ValueError("hostnames must be one of %s, not %r" % (", ".join(sorted(HOSTNAME_SOURCES)), hostnames))
    if ansible_host_from not in ADDRESS_SOURCES:
        raise ValueError("ansible_host_from must be one of %s, not %r"
                         % (", ".join(sorted(ADDRESS_SOURCES)), ansible_host_from))
    check_options(tag_key, tags_variable)
    hosts = []
    warnings = []
    taken = set()
    for instance in sorted(instances, key=lambda item: _sort_key(item, tag_key)):
        tags = trusted_tags(instance, warnings)
        if tag_dict(instance).get(tag_key) is not None and tag_key not in tags:
            warnings.append("%s is left out: its %s tag is not usable" % (instance["InstanceId"], tag_key))
            continue
        name = host_name(instance, tags, hostnames)
        if not SAFE_HOST_NAME.match(name):
            warnings.append("%s: host name %r is not made of letters, digits, '.', '_' and '-'; using the "
                            "instance id as host name" % (instance["InstanceId"], name[:40]))
            name = instance["InstanceId"]
        if name in taken:
            warnings.append("%s and another instance are both named %r; using the instance id as host name"
                            % (instance["InstanceId"], name))
            name = instance["InstanceId"]
        taken.add(name)
        variables = host_vars(instance, tags, tag_key, ansible_host_from, tags_variable)
        if "ansible_host" not in variables:
            warnings.append("%s has no %s; ansible_host is not set for it" % (name, ansible_host_from))
        groups = [ALL_NODES_GROUP]
        if variables["eventstore_cluster"]:
            groups.append(cluster_group_name(variables["eventstore_cluster"]))
        hosts.append({"name": name, "groups": groups, "vars": variables})
    return hosts, warnings
