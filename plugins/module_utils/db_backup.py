# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""File-copy backup and restore of one EventStoreDB 22.10 node ("Simple full backup & restore" in 22.10's
docs/operations.md): which files, in which order, their manifest and its checks.

The copy order is the documented one: 1. the index checkpoints (<index>/**/*.chk), 2. the rest of the index,
3. the database checkpoints (<Db>/*.chk), 4. the chunk files. A node writes chunk data before it moves its
checkpoints, so files copied later never hold less than the checkpoints copied earlier say.

In a backup, index files live under index/ and database files under db/, whatever the node's paths were.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re
import struct

# The options every module that touches a node's data takes (doc fragment esdb.cluster.database_paths).
DATABASE_PATHS_SPEC = dict(
    db_path=dict(type='path', default='/var/lib/eventstore'),
    index_path=dict(type='path'),
)

FORMAT_VERSION = 1
MANIFEST_NAME = 'manifest.json'
DEFAULT_DB = '/var/lib/eventstore'
# 22.10 ClusterVNode.cs: the index is <Db>/index unless Index is set (ESConsts.DefaultIndexDirectoryName).
DEFAULT_INDEX_NAME = 'index'
CHUNK_NAME = re.compile(r'^chunk-\d{6}\.\d{6}$')
# FileCheckpoint.cs: a checkpoint file is one little-endian Int64 (BinaryWriter.Write(long)).
CHECKPOINT_FORMAT = '<q'
CHECKPOINT_SIZE = 8
# Checkpoints a restore cannot do without: the log's end, and what truncate.chk is set to.
REQUIRED_CHECKPOINTS = ('writer', 'chaser')
MANIFEST_KEYS = ('format_version', 'cluster_name', 'node', 'source_address', 'created', 'eventstore_version',
                 'checkpoints', 'files')
CHUNK_BYTES = 1024 * 1024


class BackupError(Exception):
    """A problem with paths, checkpoints or a manifest, as one sentence."""


def index_dir(db_path, index_path=None):
    """The node's index directory: Index when set, else <Db>/index (22.10's default)."""
    return index_path if index_path else os.path.join(db_path, DEFAULT_INDEX_NAME)


def _inside(path, parent):
    path, parent = os.path.realpath(path), os.path.realpath(parent)
    return path == parent or path.startswith(parent.rstrip(os.sep) + os.sep)


def check_paths(db_path, index_path, other=None, other_name='destination'):
    """Sentences for paths that cannot be used: not absolute, the index equal to Db, `other` overlapping them."""
    problems = []
    for name, path in (('db_path', db_path), ('index_path', index_path), (other_name, other)):
        if path is not None and not os.path.isabs(path):
            problems.append('%s %r is not an absolute path; give the full path.' % (name, path))
    if problems:
        return problems
    if os.path.realpath(db_path) == os.path.realpath(index_path):
        problems.append('index_path %r is the Db directory itself; 22.10 keeps the index in its own directory '
                        '(default <Db>/index).' % index_path)
    if other is not None:
        for name, path in (('db_path', db_path), ('index_path', index_path)):
            if _inside(other, path) or _inside(path, other):
                problems.append('%s %r overlaps %s %r; choose a %s outside the node\'s data directories.'
                                % (other_name, other, name, path, other_name))
    return problems


def _files_under(root):
    """Every regular file under root, as paths relative to root, sorted."""
    found = []
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            full = os.path.join(directory, name)
            if os.path.isfile(full) and not os.path.islink(full):
                found.append(os.path.relpath(full, root))
    return found


def backup_plan(db_path, index_path=None):
    """The files to copy in the documented order: [{'source': absolute path, 'path': path in the backup}]."""
    index = index_dir(db_path, index_path)
    if not os.path.isdir(db_path):
        raise BackupError('db_path %r is not a directory; give the node\'s Db directory.' % db_path)
    plan = []
    index_files = _files_under(index) if os.path.isdir(index) else []
    for want_checkpoints in (True, False):
        for relative in index_files:
            if relative.endswith('.chk') == want_checkpoints:
                plan.append({'source': os.path.join(index, relative), 'path': 'index/' + relative.replace(os.sep, '/')})
    top = sorted(name for name in os.listdir(db_path) if os.path.isfile(os.path.join(db_path, name)))
    plan.extend({'source': os.path.join(db_path, name), 'path': 'db/' + name} for name in top if name.endswith('.chk'))
    plan.extend({'source': os.path.join(db_path, name), 'path': 'db/' + name} for name in top if CHUNK_NAME.match(name))
    return plan


def read_checkpoint(path):
    """The value of a 22.10 checkpoint file (8 bytes, little-endian Int64)."""
    with open(path, 'rb') as handle:
        data = handle.read(CHECKPOINT_SIZE + 1)
    if len(data) != CHECKPOINT_SIZE:
        raise BackupError('%s holds %d bytes; a 22.10 checkpoint file holds exactly 8 (a little-endian Int64).'
                          % (path, len(data)))
    return struct.unpack(CHECKPOINT_FORMAT, data)[0]


def checkpoint_values(db_dir):
    """{name: value} of every top-level *.chk in a directory (writer.chk -> 'writer')."""
    return dict((name[:-4], read_checkpoint(os.path.join(db_dir, name)))
                for name in sorted(os.listdir(db_dir)) if name.endswith('.chk'))


def copy_and_hash(source, target):
    """Copy source to target (created or replaced); returns (size, sha256 hex) of what was written."""
    digest, size = hashlib.sha256(), 0
    with open(source, 'rb') as reader, open(target, 'wb') as writer:
        while True:
            block = reader.read(CHUNK_BYTES)
            if not block:
                break
            digest.update(block)
            writer.write(block)
            size += len(block)
        writer.flush()
        os.fsync(writer.fileno())
    return size, digest.hexdigest()


def file_digest(path):
    """(size, sha256 hex) of a file."""
    digest, size = hashlib.sha256(), 0
    with open(path, 'rb') as reader:
        while True:
            block = reader.read(CHUNK_BYTES)
            if not block:
                break
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def build_manifest(cluster_name, node, source_address, created, eventstore_version, checkpoints, files):
    """The manifest.json document; files are {'path', 'size', 'sha256'} in copy order."""
    return {'format_version': FORMAT_VERSION, 'cluster_name': cluster_name, 'node': node,
            'source_address': source_address, 'created': created, 'eventstore_version': eventstore_version,
            'checkpoints': dict(checkpoints), 'files': [dict(path=f['path'], size=f['size'], sha256=f['sha256'])
                                                        for f in files]}


def _safe_relative(path):
    parts = path.split('/')
    return (bool(path) and not path.startswith('/') and '..' not in parts and '' not in parts
            and parts[0] in ('db', 'index') and len(parts) > 1)


def manifest_problems(manifest):
    """Sentences for a manifest this collection cannot read (wrong shape, unsafe paths, no checkpoints)."""
    if not isinstance(manifest, dict):
        return ['manifest.json is not a JSON object; it was not written by esdb.cluster.db_backup.']
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        return ['manifest.json lacks %s; it was not written by esdb.cluster.db_backup.' % ', '.join(missing)]
    if manifest['format_version'] != FORMAT_VERSION:
        return ['manifest.json has format_version %r; this collection reads format_version %d.'
                % (manifest['format_version'], FORMAT_VERSION)]
    problems = []
    files = manifest['files'] if isinstance(manifest['files'], list) else []
    for entry in files:
        if not (isinstance(entry, dict) and isinstance(entry.get('path'), str) and _safe_relative(entry['path'])
                and isinstance(entry.get('size'), int) and isinstance(entry.get('sha256'), str)):
            problems.append('manifest.json lists %r, which is not a file entry under db/ or index/ with path, '
                            'size and sha256.' % (entry,))
    paths = [entry.get('path') for entry in files if isinstance(entry, dict)]
    for name in REQUIRED_CHECKPOINTS:
        if 'db/%s.chk' % name not in paths:
            problems.append('The backup has no db/%s.chk; a restore needs it.' % name)
    return problems


def major_minor(version):
    """'22.10' from '22.10.0', '22.10.0-1' or 22.1; None when it does not start with two numbers."""
    match = re.match(r'^\s*(\d+)\.(\d+)', str(version))
    return '%d.%d' % (int(match.group(1)), int(match.group(2))) if match else None


def compatibility_problems(manifest, expected_cluster=None, expected_version=None):
    """Sentences when the backup is of another cluster, or of another EventStoreDB major.minor version."""
    problems = []
    if expected_cluster is not None and manifest.get('cluster_name') != expected_cluster:
        found = manifest.get('cluster_name')
        problems.append('The backup is of cluster %r, not %r; restore a backup of %r, or set expected_cluster to '
                        'the backup\'s cluster on purpose.' % (found, expected_cluster, expected_cluster))
    if expected_version is not None:
        wanted, found = major_minor(expected_version), major_minor(manifest.get('eventstore_version'))
        if wanted is None:
            problems.append('expected_version %r is not a version such as 22.10.0.' % (expected_version,))
        elif found != wanted:
            problems.append('The backup was taken from EventStoreDB %s, not %s.x; restore it on nodes running %s.'
                            % (manifest.get('eventstore_version'), wanted, found or 'that version'))
    return problems


def validate_files(manifest, backup_dir):
    """Sentences, one per file, for files missing, extra, or of another size or checksum than the manifest."""
    problems = []
    listed = dict((entry['path'], entry) for entry in manifest['files'])
    for path, entry in listed.items():
        full = os.path.join(backup_dir, *path.split('/'))
        if not os.path.isfile(full):
            problems.append('%s is missing from the backup.' % path)
            continue
        size, digest = file_digest(full)
        if size != entry['size']:
            problems.append('%s is %d bytes; the manifest says %d.' % (path, size, entry['size']))
        elif digest != entry['sha256']:
            problems.append('%s does not match its sha256 in the manifest (corrupt or changed).' % path)
    present = []
    for top in ('db', 'index'):
        if os.path.isdir(os.path.join(backup_dir, top)):
            present.extend(top + '/' + relative.replace(os.sep, '/')
                           for relative in _files_under(os.path.join(backup_dir, top)))
    problems.extend('%s is in the backup but not in the manifest.' % path for path in present if path not in listed)
    return problems


def restore_targets(manifest, db_path, index_path=None):
    """[(path in the backup, absolute target path)] in the manifest's (copy) order."""
    index = index_dir(db_path, index_path)
    targets = []
    for entry in manifest['files']:
        top, rest = entry['path'].split('/', 1)
        targets.append((entry['path'], os.path.join(db_path if top == 'db' else index, *rest.split('/'))))
    return targets


def existing_data(db_path, index_path=None):
    """Data files a node's directories hold now (chunks and *.chk in Db, every file of the index)."""
    if not os.path.isdir(db_path):
        return []
    return [item['source'] for item in backup_plan(db_path, index_path)]


def files_present(db_path, index_path=None):
    """Every regular file under Db and the index now: a restore refuses to write among them unless forced."""
    found = []
    for root in (db_path, index_dir(db_path, index_path)):
        if os.path.isdir(root):
            found.extend(os.path.join(root, relative) for relative in _files_under(root))
    return sorted(set(found))
