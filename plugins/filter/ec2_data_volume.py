# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the nodes' dedicated data volumes; the logic lives in plugin_utils.ec2_data_volume."""

from __future__ import annotations

from ansible_collections.esdb.cluster.plugins.plugin_utils import ec2_data_volume


class FilterModule(object):
    def filters(self):
        return {'ec2_data_volume_plan': ec2_data_volume.volume_plan,
                'ec2_data_volume_size_problem': ec2_data_volume.size_problem,
                'ec2_nitro_device_path': ec2_data_volume.nitro_device_path,
                'index_outside_db': ec2_data_volume.index_outside_db,
                'ec2_snapshot_tags': ec2_data_volume.snapshot_tags}
