# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the eventstore role decides with; the logic lives in plugin_utils."""

from __future__ import annotations

from ansible_collections.esdb.cluster.plugins.plugin_utils.certificate_check import certificate_problems
from ansible_collections.esdb.cluster.plugins.plugin_utils.cluster_layout import cluster_layout
from ansible_collections.esdb.cluster.plugins.plugin_utils.cluster_size_guard import cluster_size_shrink_problems
from ansible_collections.esdb.cluster.plugins.plugin_utils.follower_hosts import follower_hosts
from ansible_collections.esdb.cluster.plugins.plugin_utils.node_drift import file_sha1, node_drift
from ansible_collections.esdb.cluster.plugins.plugin_utils.role_inputs import role_input_problems


class FilterModule(object):
    def filters(self):
        return {'cluster_layout': cluster_layout, 'node_drift': node_drift, 'file_sha1': file_sha1,
                'certificate_problems': certificate_problems, 'role_input_problems': role_input_problems,
                'cluster_size_shrink_problems': cluster_size_shrink_problems,
                'follower_hosts': follower_hosts}
