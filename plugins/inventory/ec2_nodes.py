# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ec2_nodes
short_description: EventStoreDB cluster nodes running on AWS EC2
version_added: 0.1.0
description:
  - Finds the EC2 instances that carry an EventStoreDB cluster tag (C(eventstore_cluster), as the collection's
    provisioning playbook sets it) and adds them as hosts.
  - Every node joins the group C(eventstore) and the group C(eventstore_<cluster>); characters
    that are not letters, digits or C(_) in the cluster name become C(_).
  - Host names default to the C(Name) tag (C(esdb-1), C(esdb-2), ...); C(ansible_host) defaults to the private IP.
  - C(eventstore_data_volume_id) is the id of the EBS volume attached as C(/dev/sdf), the node's dedicated data
    volume when provisioning gave it one (C(eventstore_data_volume_size)), else an empty string.
  - All regions are queried at the same time, one paginated DescribeInstances call per region.
  - No matching instance is not an error; the groups are then empty.
  - Needs only the C(ec2:DescribeInstances) permission.
  - One inventory should hold one cluster; list it in O(clusters), since with no O(clusters) every tagged
    instance of every cluster joins the group C(eventstore).
  - Cloud data is not trusted. A C(Name) tag that is not a safe host name (letters, digits, C(.), C(_), C(-))
    is replaced by the instance id, and a tag whose key or value holds a template marker or a control
    character is left out, each with a warning naming the instance; tag values are marked unsafe so Ansible
    never templates them.
  - The configuration file name must end in C(ec2_nodes.yml) or C(ec2_nodes.yaml).
author:
  - esdb.cluster maintainers (@esdb)
requirements:
  - boto3
  - botocore
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks this file as a configuration for this plugin.
    required: true
    type: str
    choices: [esdb.cluster.ec2_nodes]
  regions:
    description:
      - The AWS regions to search.
      - When empty, the region boto3 resolves (E(AWS_REGION), E(AWS_DEFAULT_REGION) or the profile) is used.
    type: list
    elements: str
    default: []
  clusters:
    description:
      - Values of the O(tag_key) tag to include. When empty, every instance carrying the tag is included.
      - Each listed cluster gets its group even when it has no running node.
    type: list
    elements: str
    default: []
  vars_file:
    description:
      - A YAML file, relative to this configuration file, that the playbooks also read (such as
        C(group_vars/all.yml)). Its C(aws_region), C(aws_profile), C(aws_endpoint_url) and
        C(eventstore_cluster_name) stand in for O(regions), O(profile), O(endpoint_url) and O(clusters)
        when those are not set here, so the inventory and the playbooks cannot disagree. Its
        C(eventstore_access_mode) chooses the default of O(ansible_host_from).
      - The values may be Jinja2 templates, such as C({{ lookup('env', 'AWS_REGION') }}).
    type: str
  tag_key:
    description: The tag naming the cluster an instance belongs to.
    type: str
    default: eventstore_cluster
  instance_states:
    description: Instance states to include.
    type: list
    elements: str
    default: [running]
    choices: [pending, running, shutting-down, terminated, stopping, stopped]
  hostnames:
    description:
      - What names the hosts.
      - C(name_tag) is the C(Name) tag; an instance without one, or whose name another instance already has,
        is named by its instance id instead.
    type: str
    default: name_tag
    choices: [name_tag, instance_id, private_ip, private_dns]
  ansible_host_from:
    description:
      - Which address becomes C(ansible_host). O(compose) can still override it.
      - When unset, C(public_ip) if O(vars_file) sets C(eventstore_access_mode) to C(public), else C(private_ip).
    type: str
    choices: [private_ip, public_ip, private_dns, public_dns]
  tags_variable:
    description:
      - The host variable holding all the instance's tags as a mapping.
      - ansible-core 2.19 warns once per run that C(tags) is a reserved name (it is also a play keyword);
        C(ec2_tags) avoids the warning.
    type: str
    default: tags
  endpoint_url:
    description:
      - The EC2 endpoint URL, for example an AWS-compatible emulator such as C(http://127.0.0.1:5000).
      - When unset, boto3 picks the endpoint (E(AWS_ENDPOINT_URL_EC2) and E(AWS_ENDPOINT_URL) included).
    type: str
  profile:
    description: The AWS profile from the shared configuration files to use.
    type: str
  access_key:
    description:
      - An AWS access key id. When unset, boto3 resolves credentials itself
        (environment, shared files, SSO, instance or container role).
    type: str
  secret_key:
    description: The AWS secret access key that goes with O(access_key).
    type: str
  session_token:
    description: An AWS session token for temporary credentials.
    type: str
  connect_timeout:
    description: Seconds to wait for a connection to the endpoint before giving up.
    type: int
    default: 10
  read_timeout:
    description:
      - Seconds to wait for an answer once connected; an endpoint that accepts but never answers fails after
        O(read_timeout) times O(max_attempts) seconds.
    type: int
    default: 60
  max_attempts:
    description: Attempts per call, the first included (botocore standard retry mode).
    type: int
    default: 3
notes:
  - O(regions), O(endpoint_url), O(profile) and the keys may be Jinja2 templates, for example
    C({{ lookup('env', 'MY_EC2_ENDPOINT') }}).
  - Ansible only warns when an inventory source fails to parse; set
    C(inventory_any_unparsed_is_failed = true) in C(ansible.cfg) to make such a failure stop the run.
"""

EXAMPLES = r"""
# inventories/aws/eventstore.ec2_nodes.yml: the nodes of cluster "esdb" in one region.
plugin: esdb.cluster.ec2_nodes
regions:
  - eu-west-1
clusters:
  - esdb

---
# Every cluster in two regions, reached through public DNS names, with a group per availability zone.
plugin: esdb.cluster.ec2_nodes
regions: [eu-west-1, us-east-1]
ansible_host_from: public_dns
keyed_groups:
  - key: availability_zone
    prefix: az

---
# Cache the answer for five minutes.
plugin: esdb.cluster.ec2_nodes
regions: [eu-west-1]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/esdb-inventory
cache_timeout: 300
"""

import difflib
import os

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

try:  # ansible-core 2.19 and later template only data marked as trusted, which cloud data never is.
    from ansible.template import trust_as_template
    UNTRUSTED_BY_DEFAULT = True
except ImportError:
    UNTRUSTED_BY_DEFAULT = False

    def trust_as_template(value):
        return value

from ansible_collections.esdb.cluster.plugins.plugin_utils.ec2_host_records import (
    ALL_NODES_GROUP,
    build_hosts,
    cluster_group_name,
)
from ansible_collections.esdb.cluster.plugins.plugin_utils.ec2_query import (
    HAS_BOTO3,
    describe_cluster_instances,
)

# option -> the playbook variable in vars_file that stands in for it
SHARED_VARIABLES = {"regions": "aws_region", "profile": "aws_profile", "endpoint_url": "aws_endpoint_url",
                    "clusters": "eventstore_cluster_name"}
TEMPLATED_OPTIONS = ("endpoint_url", "profile", "access_key", "secret_key", "session_token")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "esdb.cluster.ec2_nodes"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("ec2_nodes.yml", "ec2_nodes.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        config = self._read_config_data(path)
        self._reject_unknown_options(config, path)
        if not HAS_BOTO3:
            raise AnsibleError("The esdb.cluster.ec2_nodes inventory needs boto3 and botocore on the controller: "
                               "pip install boto3")

        self._shared = self._read_shared_vars(path)
        instances = self._cached_or_fresh(self.get_cache_key(path), cache)
        self._populate(instances)

    def _reject_unknown_options(self, config, path):
        """Ansible ignores keys it does not know; a typo would silently drop a filter, so fail instead."""
        unknown = sorted(set(config) - set(self._options))
        if not unknown:
            return
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, self._options, n=1)
            hints.append("%r%s" % (key, " (did you mean %r?)" % close[0] if close else ""))
        raise AnsibleParserError("Unknown option %s in %s for esdb.cluster.ec2_nodes. Valid options: %s"
                                 % (", ".join(hints), path, ", ".join(sorted(self._options))))

    def _read_shared_vars(self, path):
        """The playbooks' own settings, from vars_file, for the options this file leaves unset."""
        vars_file = self.get_option("vars_file")
        if not vars_file:
            return {}
        full = os.path.join(os.path.dirname(path), vars_file)
        try:
            # Not from or into the loader's cache: group_vars loads this same file later, and must get it as
            # its own trusted templates, not this plugin's untrusted copy.
            data = self.loader.load_from_file(full, cache='none') or {}
        except AnsibleError as error:
            raise AnsibleParserError("esdb.cluster.ec2_nodes: cannot read vars_file %s: %s" % (full, error))
        if not isinstance(data, dict):
            raise AnsibleParserError("esdb.cluster.ec2_nodes: vars_file %s is not a mapping of variables" % full)
        shared = {}
        for option, variable in SHARED_VARIABLES.items():
            value = data.get(variable)
            if isinstance(value, str):
                value = trust_as_template(value)  # the user's own file, as trusted as group_vars
            if isinstance(value, str) and self.templar.is_possibly_template(value):
                value = self.templar.template(value)
            if value not in (None, ""):
                shared[option] = [str(value)] if option in ("regions", "clusters") else str(value)
        # In public mode the controller reaches the nodes on their public IPs; every other mode on private ones.
        if data.get("eventstore_access_mode") == "public":
            shared["ansible_host_from"] = "public_ip"
        return shared

    def _option(self, name):
        value = self.get_option(name) or self._shared.get(name)
        if name in TEMPLATED_OPTIONS and isinstance(value, str) and self.templar.is_possibly_template(value):
            value = self.templar.template(value)
        return value or None

    def _clusters(self):
        return self.get_option("clusters") or self._shared.get("clusters", [])

    def _cached_or_fresh(self, cache_key, cache):
        use_cache = self.get_option("cache")
        if use_cache and cache:
            try:
                return self._cache[cache_key]
            except KeyError:
                pass
        instances = describe_cluster_instances(
            regions=[self.templar.template(region) for region in self.get_option("regions")]
            or self._shared.get("regions", []),
            tag_key=self.get_option("tag_key"),
            clusters=self._clusters(),
            states=self.get_option("instance_states"),
            endpoint_url=self._option("endpoint_url"),
            credentials={
                "profile_name": self._option("profile"),
                "aws_access_key_id": self._option("access_key"),
                "aws_secret_access_key": self._option("secret_key"),
                "aws_session_token": self._option("session_token"),
            },
            connect_timeout=self.get_option("connect_timeout"),
            read_timeout=self.get_option("read_timeout"),
            max_attempts=self.get_option("max_attempts"),
        )
        if use_cache:
            self._cache[cache_key] = instances
        return instances

    def _populate(self, instances):
        try:
            hosts, warnings = build_hosts(instances, tag_key=self.get_option("tag_key"),
                                          hostnames=self.get_option("hostnames"),
                                          ansible_host_from=self._option("ansible_host_from") or "private_ip",
                                          tags_variable=self.get_option("tags_variable"))
        except ValueError as error:
            raise AnsibleParserError("esdb.cluster.ec2_nodes: %s" % error)
        for warning in warnings:
            self.display.warning("esdb.cluster.ec2_nodes: %s" % warning)

        self.inventory.add_group(ALL_NODES_GROUP)
        known_groups = set()
        for group in [cluster_group_name(cluster) for cluster in self._clusters()]:
            self._add_cluster_group(group, known_groups)

        strict = self.get_option("strict")
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        for host in hosts:
            name = host["name"]
            for group in host["groups"]:
                self._add_cluster_group(group, known_groups)
                self.inventory.add_host(name, group=group)
            for key, value in host["vars"].items():
                # Before ansible-core 2.19, a value holding a template would otherwise be rendered.
                self.inventory.set_variable(name, key, value if UNTRUSTED_BY_DEFAULT else wrap_var(value))
            if compose or groups or keyed_groups:
                # The host's own view (inventory_hostname, group_names...), as in any constructed inventory.
                host_vars = self.inventory.get_host(name).get_vars()
                self._set_composite_vars(compose, host_vars, name, strict=strict)
                self._add_host_to_composed_groups(groups, host_vars, name, strict=strict)
                self._add_host_to_keyed_groups(keyed_groups, host_vars, name, strict=strict)

    def _add_cluster_group(self, group, known_groups):
        """Cluster groups are children of `eventstore`, so their group_vars take precedence over its own."""
        if group in known_groups or group == ALL_NODES_GROUP:
            return
        known_groups.add(group)
        self.inventory.add_group(group)
        self.inventory.add_child(ALL_NODES_GROUP, group)
