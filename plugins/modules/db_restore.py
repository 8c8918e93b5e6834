#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: db_restore
short_description: Restore an EventStoreDB node's database from a db_backup backup on the node
version_added: 0.3.0
description:
  - Runs on a stopped EventStoreDB 22.10 node and restores a backup written by M(esdb.cluster.db_backup),
    following 22.10's "Simple full backup & restore" procedure; the files are copied into O(db_path) (and
    the index directory), then C(chaser.chk) is copied over C(truncate.chk).
  - Verifies the whole backup first, every file's size and sha256 against C(manifest.json), with no file
    missing or extra; a corrupt or partial backup fails with one sentence per file, and nothing on the node
    is changed.
  - Refuses a backup of another cluster than O(expected_cluster), or of another major.minor EventStoreDB
    version than O(expected_version), when they are given.
  - Refuses to write into a O(db_path) or index directory that holds any file unless O(force=true).
  - The node must be stopped; restoring under a running node corrupts its database (22.10's documentation).
    The same backup may restore every node of a new cluster.
author:
  - esdb.cluster maintainers (@esdb)
extends_documentation_fragment:
  - esdb.cluster.database_paths
attributes:
  check_mode:
    support: full
    description: Verifies the backup and the target and reports what would be copied or removed.
  diff_mode:
    support: full
    description: Shows the data files of the node before and after.
options:
  backup_dir:
    description:
      - The backup directory on the node, holding C(manifest.json), C(db/) and C(index/).
    type: path
    required: true
  force:
    description:
      - Restore into a O(db_path) or index directory that holds files. Its chunk files, its C(*.chk) files
        and every file of its index directory are removed first; other files are left alone.
    type: bool
    default: false
  expected_cluster:
    description:
      - Refuse the backup unless its manifest names this cluster.
    type: str
  expected_version:
    description:
      - Refuse the backup unless it was taken from this major.minor EventStoreDB version (C(22.10.0) accepts
        any C(22.10.x)).
    type: str
  owner:
    description:
      - Owner of the restored files and of the directories the restore creates (the service user, for example
        C(eventstore)).
    type: str
  group:
    description:
      - Group of the restored files and of the directories the restore creates.
    type: str
  mode:
    description:
      - Mode of the restored files, as for M(ansible.builtin.file).
    type: raw
seealso:
  - module: esdb.cluster.db_backup
  - name: EventStoreDB 22.10 backup and restore
    description: Operations guide, "Backup and restore".
    link: https://developers.eventstore.com/server/v22.10/operations.html#backup-and-restore
'''

EXAMPLES = r'''
- name: Restore a stopped node from the backup copied to it
  esdb.cluster.db_restore:
    backup_dir: /var/tmp/esdb-restore/20261130T140000Z
    db_path: /var/lib/eventstore
    expected_cluster: prod
    expected_version: 22.10.0
    owner: eventstore
    group: eventstore
  become: true
'''

RETURN = r'''
changed:
  description: Whether files were copied (or would be, in check mode).
  returned: always
  type: bool
restored:
  description: The files written, as absolute paths on the node, in copy order.
  returned: always
  type: list
  elements: str
removed:
  description: Data files removed first (O(force=true) only).
  returned: always
  type: list
  elements: str
checkpoints:
  description: The checkpoint values of the restored Db; C(truncate) equals C(chaser). Empty in check mode.
  returned: always
  type: dict
  sample: {writer: 4096, chaser: 4096, epoch: 120, truncate: 4096}
backup:
  description: Who and what the backup is of, from its manifest.
  returned: when the manifest could be read
  type: dict
  sample: {cluster_name: prod, node: n2, source_address: "10.0.1.12:2113", created: "2026-11-30T14:00:00Z",
           eventstore_version: 22.10.0, files: 11}
problems:
  description: One sentence per problem found in the backup or its manifest.
  returned: always
  type: list
  elements: str
'''

import grp
import json
import os
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.esdb.cluster.plugins.module_utils.db_backup import (
    DATABASE_PATHS_SPEC,
    MANIFEST_NAME,
    check_paths,
    checkpoint_values,
    compatibility_problems,
    copy_and_hash,
    existing_data,
    files_present,
    index_dir,
    manifest_problems,
    restore_targets,
    validate_files,
)


def _read_manifest(backup_dir):
    """(manifest, problems)."""
    path = os.path.join(backup_dir, MANIFEST_NAME)
    if not os.path.isfile(path):
        return None, ['%s has no %s; it is not a complete backup (db_backup writes it last).'
                      % (backup_dir, MANIFEST_NAME)]
    try:
        with open(path) as handle:
            manifest = json.load(handle)
    except ValueError as error:
        return None, ['%s is not valid JSON (%s); the backup is damaged.' % (path, error)]
    return manifest, manifest_problems(manifest)


def _unknown_owner(owner, group):
    """A sentence when owner or group does not exist on this node (checked before anything changes)."""
    for name, value, lookup in (('owner', owner, pwd.getpwnam), ('group', group, grp.getgrnam)):
        if value is not None and not str(value).isdigit():
            try:
                lookup(value)
            except KeyError:
                return '%s %r does not exist on this node; create it (the package creates eventstore) or fix %s.' % (
                    name, value, name)
    return None


def _made_dirs(path, created):
    """Creates path's missing directories, recording the new ones."""
    missing = []
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        os.mkdir(directory)
        created.append(directory)


def _restore(module, manifest, backup_dir, targets, db_path, index_path):
    """Copies every file (each checked again against the manifest), then chaser.chk over truncate.chk."""
    sums = dict((entry['path'], entry['sha256']) for entry in manifest['files'])
    written, created = [], []
    for relative, target in targets:
        _made_dirs(os.path.dirname(target), created)
        temporary = target + '.restoring'
        _size, digest = copy_and_hash(os.path.join(backup_dir, *relative.split('/')), temporary)
        if digest != sums[relative]:
            os.remove(temporary)
            module.fail_json(msg='%s changed while it was restored (sha256 differs from the manifest); the node is '
                                 'partly restored: fix the backup and run again with force=true.' % relative,
                             restored=written, removed=[], checkpoints={}, problems=[])
        os.rename(temporary, target)
        written.append(target)
    truncate = os.path.join(db_path, 'truncate.chk')
    copy_and_hash(os.path.join(db_path, 'chaser.chk'), truncate)
    if truncate not in written:
        written.append(truncate)
    if not os.path.isdir(index_path):
        _made_dirs(index_path, created)
    # Owner and group go to the node's data directories the restore made, never to parents above them.
    ours = [path for path in created if any(path == root or path.startswith(root.rstrip('/') + '/')
                                            for root in (db_path, index_path))]
    for path in ours + written:
        file_args = dict(path=path, owner=module.params['owner'], group=module.params['group'],
                         mode=module.params['mode'] if path in written else None)
        module.set_fs_attributes_if_different(module.load_file_common_arguments(file_args), False)
    return written


def main():
    module = AnsibleModule(
        argument_spec=dict(
            backup_dir=dict(type='path', required=True),
            **DATABASE_PATHS_SPEC,
            force=dict(type='bool', default=False),
            expected_cluster=dict(type='str'),
            expected_version=dict(type='str'),
            owner=dict(type='str'),
            group=dict(type='str'),
            mode=dict(type='raw'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    db_path, backup_dir = params['db_path'], params['backup_dir']
    index_path = index_dir(db_path, params['index_path'])
    result = dict(changed=False, restored=[], removed=[], checkpoints={}, problems=[])

    problems = check_paths(db_path, index_path, backup_dir, 'backup_dir')
    if problems:
        module.fail_json(msg=' '.join(problems), **result)
    if not os.path.isdir(backup_dir):
        module.fail_json(msg='backup_dir %r is not a directory; copy the backup to the node first.' % backup_dir,
                         **result)
    manifest, problems = _read_manifest(backup_dir)
    if not problems:
        result['backup'] = dict((key, manifest[key]) for key in ('cluster_name', 'node', 'source_address', 'created',
                                                                 'eventstore_version'))
        result['backup']['files'] = len(manifest['files'])
        problems = compatibility_problems(manifest, params['expected_cluster'], params['expected_version'])
    if not problems:
        problems = validate_files(manifest, backup_dir)
        if problems:
            problems.insert(0, 'The backup in %s fails verification; nothing was changed.' % backup_dir)
    if problems:
        result['problems'] = problems
        module.fail_json(msg=' '.join(problems), **result)

    present = files_present(db_path, index_path)
    if present and not params['force']:
        module.fail_json(msg='db_path %r (or its index %r) already holds %d file(s), for example %s; restore into an '
                             'empty Db of a stopped node, or set force=true to replace its data files.'
                             % (db_path, index_path, len(present), present[0]), **result)
    unknown = _unknown_owner(params['owner'], params['group'])
    if unknown:
        module.fail_json(msg=unknown, **result)
    targets = restore_targets(manifest, db_path, index_path)
    after = sorted(set([target for _relative, target in targets] + [os.path.join(db_path, 'truncate.chk')]))
    removed = existing_data(db_path, index_path) if params['force'] else []
    result.update(changed=True, removed=removed, restored=[target for _relative, target in targets])
    if module._diff:
        result['diff'] = dict(before='\n'.join(existing_data(db_path, index_path)) + '\n', after='\n'.join(after) + '\n',
                              before_header=db_path, after_header='%s (restored from %s)' % (db_path, backup_dir))
    if module.check_mode:
        module.exit_json(**result)

    try:
        for path in removed:
            os.remove(path)
        result['restored'] = _restore(module, manifest, backup_dir, targets, db_path, index_path)
        result['checkpoints'] = checkpoint_values(db_path)
    except (IOError, OSError) as error:
        module.fail_json(msg='Restoring into %s failed: %s; the node is partly restored: fix the cause and run again '
                             'with force=true.' % (db_path, error), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
