#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: db_backup
short_description: Copy one EventStoreDB node's database files into a backup directory on the node
version_added: 0.3.0
description:
  - Runs on an EventStoreDB 22.10 node and makes a full file-copy backup of its database, following 22.10's
    "Simple full backup & restore" procedure, in its order; 1. the index checkpoint files
    (C(<index>/**/*.chk)), 2. the other index files, 3. the database checkpoint files (C(<Db>/*.chk)), 4. the
    chunk files (C(chunk-NNNNNN.NNNNNN)).
  - Index files go to C(<dest>/index/), database files to C(<dest>/db/); C(<dest>/manifest.json) is written
    last and lists every file with its size and sha256, the checkpoint values that were copied, the cluster,
    the node and the EventStoreDB version. A directory without C(manifest.json) is not a complete backup.
  - Back up a Follower that is up to date and connected to the cluster, never during a scavenge. The node
    keeps running; its files are only read.
  - Restore with M(esdb.cluster.db_restore).
author:
  - esdb.cluster maintainers (@esdb)
extends_documentation_fragment:
  - esdb.cluster.database_paths
attributes:
  check_mode:
    support: full
    description: Lists what would be copied, in order, with sizes, and copies nothing.
  diff_mode:
    support: none
    description: A new backup has no before to compare with.
options:
  dest:
    description:
      - The directory the backup is written to, on the node, outside O(db_path) and O(index_path).
      - It must not exist or be empty unless O(force=true).
    type: path
    required: true
  force:
    description:
      - Write into a O(dest) that is not empty; its C(db/), C(index/) and C(manifest.json) are replaced,
        other files are left alone.
    type: bool
    default: false
  cluster_name:
    description:
      - The name of the cluster the node belongs to, recorded in the manifest; a restore can refuse a backup
        of another cluster by it.
    type: str
    required: true
  eventstore_version:
    description:
      - The EventStoreDB version the node runs, recorded in the manifest; a restore refuses a backup of
        another major.minor version.
    type: str
    required: true
  node:
    description:
      - The node's name, recorded in the manifest; the host name when not set.
    type: str
  source_address:
    description:
      - The node's HTTP address (C(host:port)), recorded in the manifest.
    type: str
    default: ''
notes:
  - Only a full backup; 22.10's differential procedure, disk snapshots and upload elsewhere are not part of
    this module.
seealso:
  - module: esdb.cluster.db_restore
  - name: EventStoreDB 22.10 backup and restore
    description: Operations guide, "Backup and restore".
    link: https://developers.eventstore.com/server/v22.10/operations.html#backup-and-restore
'''

EXAMPLES = r'''
- name: Back up this follower into a staging directory
  esdb.cluster.db_backup:
    db_path: /var/lib/eventstore
    dest: /var/tmp/esdb-backup/20261130T140000Z
    cluster_name: prod
    eventstore_version: 22.10.0
    node: "{{ inventory_hostname }}"
    source_address: 10.0.1.12:2113
  become: true
  register: backup
'''

RETURN = r'''
changed:
  description: Whether files were copied (always in a real run, never in check mode).
  returned: always
  type: bool
dest:
  description: The backup directory.
  returned: always
  type: str
manifest:
  description: The manifest written to C(<dest>/manifest.json); V(null) in check mode.
  returned: always
  type: dict
  sample: {format_version: 1, cluster_name: prod, node: n2, source_address: "10.0.1.12:2113",
           created: "2026-11-30T14:00:00Z", eventstore_version: 22.10.0,
           checkpoints: {writer: 4096, chaser: 4096, epoch: 120, truncate: -1},
           files: [{path: db/writer.chk, size: 8, sha256: "9f86d08..."}]}
planned:
  description: The files in copy order, each with its path in the backup and its size when planned.
  returned: always
  type: list
  elements: dict
  sample: [{path: index/indexmap, size: 42}, {path: db/chunk-000000.000000, size: 268439552}]
vanished:
  description: Files that disappeared between listing and copying (index files merged away); not in the backup.
  returned: always
  type: list
  elements: str
'''

import datetime
import json
import os
import shutil
import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.esdb.cluster.plugins.module_utils.db_backup import (
    DATABASE_PATHS_SPEC,
    MANIFEST_NAME,
    BackupError,
    backup_plan,
    build_manifest,
    check_paths,
    checkpoint_values,
    copy_and_hash,
    index_dir,
    manifest_problems,
)


def _planned(plan):
    sized = []
    for item in plan:
        try:
            size = os.path.getsize(item['source'])
        except OSError:
            size = None
        sized.append({'path': item['path'], 'size': size})
    return sized


def _clear(dest):
    for name in ('db', 'index'):
        if os.path.isdir(os.path.join(dest, name)):
            shutil.rmtree(os.path.join(dest, name))
    if os.path.exists(os.path.join(dest, MANIFEST_NAME)):
        os.remove(os.path.join(dest, MANIFEST_NAME))


def _copy(plan, dest):
    """Copies in plan order; a file gone since the listing is left out and reported."""
    copied, vanished = [], []
    for item in plan:
        target = os.path.join(dest, *item['path'].split('/'))
        if not os.path.isdir(os.path.dirname(target)):
            os.makedirs(os.path.dirname(target), 0o700)
        try:
            size, digest = copy_and_hash(item['source'], target)
        except (IOError, OSError) as error:
            if os.path.exists(item['source']):
                raise BackupError('Copying %s to %s failed: %s.' % (item['source'], target, error))
            if os.path.exists(target):
                os.remove(target)
            vanished.append(item['path'])
            continue
        copied.append({'path': item['path'], 'size': size, 'sha256': digest})
    return copied, vanished


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **DATABASE_PATHS_SPEC,
            dest=dict(type='path', required=True),
            force=dict(type='bool', default=False),
            cluster_name=dict(type='str', required=True),
            eventstore_version=dict(type='str', required=True),
            node=dict(type='str'),
            source_address=dict(type='str', default=''),
        ),
        supports_check_mode=True,
    )
    params = module.params
    db_path, dest = params['db_path'], params['dest']
    index_path = index_dir(db_path, params['index_path'])
    result = dict(changed=False, dest=dest, manifest=None, planned=[], vanished=[])

    problems = check_paths(db_path, index_path, dest, 'dest')
    if problems:
        module.fail_json(msg=' '.join(problems), **result)
    if os.path.exists(dest) and not os.path.isdir(dest):
        module.fail_json(msg='dest %r exists and is not a directory; give a new or empty directory.' % dest, **result)
    if os.path.isdir(dest) and os.listdir(dest) and not params['force']:
        module.fail_json(msg='dest %r is not empty; give a new or empty directory, or set force=true to replace '
                             'the backup in it.' % dest, **result)
    try:
        plan = backup_plan(db_path, index_path)
    except (BackupError, OSError) as error:
        module.fail_json(msg=str(error), **result)
    result['planned'] = _planned(plan)
    if module.check_mode:
        module.exit_json(**result)

    try:
        if os.path.isdir(dest):
            _clear(dest)
        else:
            os.makedirs(dest, 0o700)
        result['changed'] = True
        copied, result['vanished'] = _copy(plan, dest)
        checkpoints = checkpoint_values(os.path.join(dest, 'db')) if os.path.isdir(os.path.join(dest, 'db')) else {}
    except (BackupError, OSError) as error:
        module.fail_json(msg=str(error), **result)
    created = datetime.datetime.utcnow().replace(microsecond=0).isoformat() + 'Z'
    manifest = build_manifest(params['cluster_name'], params['node'] or socket.gethostname(), params['source_address'],
                              created, params['eventstore_version'], checkpoints, copied)
    problems = manifest_problems(manifest)
    if problems:
        module.fail_json(msg='The backup in %s is not usable: %s' % (dest, ' '.join(problems)), **result)
    temporary = os.path.join(dest, MANIFEST_NAME + '.tmp')
    with open(temporary, 'w') as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write('\n')
    os.rename(temporary, os.path.join(dest, MANIFEST_NAME))
    result['manifest'] = manifest
    module.exit_json(**result)


if __name__ == '__main__':
    main()
