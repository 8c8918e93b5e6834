# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Where a node keeps its data. The argument spec is DATABASE_PATHS_SPEC in
    # plugins/module_utils/db_backup.py; keep the two in step.
    DOCUMENTATION = r'''
options:
  db_path:
    description:
      - The node's database directory (22.10's C(Db)).
    type: path
    default: /var/lib/eventstore
  index_path:
    description:
      - The node's index directory (22.10's C(Index)); C(<db_path>/index) when not set, as in 22.10.
    type: path
'''
