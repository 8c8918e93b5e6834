"""module_utils/db_backup.py: the documented copy order, checkpoints, the manifest and its checks."""
import hashlib
import os
import struct

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.db_backup import (
    BackupError,
    backup_plan,
    build_manifest,
    check_paths,
    checkpoint_values,
    compatibility_problems,
    copy_and_hash,
    existing_data,
    files_present,
    index_dir,
    major_minor,
    manifest_problems,
    read_checkpoint,
    restore_targets,
    validate_files,
)


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def chk(value):
    return struct.pack('<q', value)


def make_db(root, index=None):
    """A Db laid out as 22.10 does: checkpoints, two chunks, an index with its own checkpoint in a subdir."""
    db = root / 'db'
    for name, value in (('writer', 4096), ('chaser', 4096), ('epoch', 120), ('truncate', -1), ('proposal', -1)):
        write(db / ('%s.chk' % name), chk(value))
    write(db / 'chunk-000000.000000', b'a' * 3000)
    write(db / 'chunk-000001.000000', b'b' * 1096)
    index_root = index or db / 'index'
    write(index_root / 'indexmap', b'map')
    write(index_root / '5a1a8395-94ee-40c1-bf93-aa757b5887f8', b'ptable')
    write(index_root / 'stream-existence' / 'streamExistenceFilter.chk', chk(77))
    write(index_root / 'stream-existence' / 'streamExistenceFilter.dat', b'filter')
    write(db / 'notes.txt', b'not a data file')
    return db


def manifest_of(backup):
    files = []
    for top in ('index', 'db'):
        for full in sorted((backup / top).rglob('*')):
            if full.is_file():
                data = full.read_bytes()
                files.append({'path': full.relative_to(backup).as_posix(), 'size': len(data),
                              'sha256': hashlib.sha256(data).hexdigest()})
    return build_manifest('prod', 'n2', '10.0.1.12:2113', '2026-11-30T14:00:00Z', '22.10.0',
                          checkpoint_values(str(backup / 'db')), files)


def test_the_index_defaults_to_db_slash_index_as_in_22_10():
    assert index_dir('/var/lib/eventstore') == '/var/lib/eventstore/index'
    assert index_dir('/var/lib/eventstore', '/mnt/index') == '/mnt/index'


def test_the_plan_follows_the_documented_order(tmp_path):
    db = make_db(tmp_path)
    plan = [item['path'] for item in backup_plan(str(db))]
    assert plan == ['index/stream-existence/streamExistenceFilter.chk',
                    'index/5a1a8395-94ee-40c1-bf93-aa757b5887f8', 'index/indexmap',
                    'index/stream-existence/streamExistenceFilter.dat',
                    'db/chaser.chk', 'db/epoch.chk', 'db/proposal.chk', 'db/truncate.chk', 'db/writer.chk',
                    'db/chunk-000000.000000', 'db/chunk-000001.000000']
    sources = dict((item['path'], item['source']) for item in backup_plan(str(db)))
    assert sources['index/indexmap'] == str(db / 'index' / 'indexmap')


def test_a_separate_index_is_taken_from_its_own_directory(tmp_path):
    db = make_db(tmp_path, index=tmp_path / 'idx')
    plan = backup_plan(str(db), str(tmp_path / 'idx'))
    assert plan[0] == {'source': str(tmp_path / 'idx' / 'stream-existence' / 'streamExistenceFilter.chk'),
                       'path': 'index/stream-existence/streamExistenceFilter.chk'}
    assert [p['path'] for p in plan if p['path'].startswith('db/')][-1] == 'db/chunk-000001.000000'


def test_a_missing_db_is_one_sentence(tmp_path):
    with pytest.raises(BackupError, match="db_path '.*nowhere' is not a directory"):
        backup_plan(str(tmp_path / 'nowhere'))


def test_a_checkpoint_is_a_little_endian_int64(tmp_path):
    assert read_checkpoint(str(write(tmp_path / 'writer.chk', b'\x00\x10\x00\x00\x00\x00\x00\x00'))) == 4096
    assert read_checkpoint(str(write(tmp_path / 'truncate.chk', b'\xff' * 8))) == -1
    with pytest.raises(BackupError, match='holds 4 bytes; a 22.10 checkpoint file holds exactly 8'):
        read_checkpoint(str(write(tmp_path / 'short.chk', b'\x00' * 4)))
    assert checkpoint_values(str(make_db(tmp_path / 'x'))) == {
        'chaser': 4096, 'epoch': 120, 'proposal': -1, 'truncate': -1, 'writer': 4096}


def test_copy_and_hash_reports_what_was_written(tmp_path):
    source = write(tmp_path / 'a', os.urandom(3 * 1024 * 1024 + 5))
    size, digest = copy_and_hash(str(source), str(tmp_path / 'b'))
    assert (tmp_path / 'b').read_bytes() == source.read_bytes()
    assert (size, digest) == (source.stat().st_size, hashlib.sha256(source.read_bytes()).hexdigest())


def test_paths_must_be_absolute_and_apart(tmp_path):
    db = str(tmp_path / 'db')
    assert check_paths(db, db + '/index', str(tmp_path / 'backup')) == []
    assert check_paths('db', db + '/index') == ["db_path 'db' is not an absolute path; give the full path."]
    assert 'is the Db directory itself' in check_paths(db, db)[0]
    problems = check_paths(db, db + '/index', db + '/backup')
    assert problems == ["destination '%s/backup' overlaps db_path '%s'; choose a destination outside the node's "
                        "data directories." % (db, db)]


def test_a_manifest_has_every_field_and_file(tmp_path):
    manifest = build_manifest('prod', 'n2', '10.0.1.12:2113', 'T', '22.10.0', {'writer': 1},
                              [{'path': 'db/writer.chk', 'size': 8, 'sha256': 'ab', 'source': '/x'}])
    assert manifest == {'format_version': 1, 'cluster_name': 'prod', 'node': 'n2', 'source_address': '10.0.1.12:2113',
                        'created': 'T', 'eventstore_version': '22.10.0', 'checkpoints': {'writer': 1},
                        'files': [{'path': 'db/writer.chk', 'size': 8, 'sha256': 'ab'}]}


def copied(tmp_path):
    db = make_db(tmp_path / 'node')
    backup = tmp_path / 'backup'
    for item in backup_plan(str(db)):
        write(backup / item['path'], open(item['source'], 'rb').read())
    return backup, manifest_of(backup)


def test_an_intact_backup_validates(tmp_path):
    backup, manifest = copied(tmp_path)
    assert manifest_problems(manifest) == []
    assert validate_files(manifest, str(backup)) == []
    assert manifest['checkpoints']['chaser'] == 4096


def test_each_damaged_file_is_one_sentence_naming_it(tmp_path):
    backup, manifest = copied(tmp_path)
    (backup / 'db' / 'chunk-000001.000000').unlink()
    (backup / 'db' / 'chunk-000000.000000').write_bytes(b'x' * 3000)
    (backup / 'index' / 'indexmap').write_bytes(b'longer map')
    write(backup / 'db' / 'chunk-000002.000000', b'stray')
    assert sorted(validate_files(manifest, str(backup))) == sorted([
        'db/chunk-000001.000000 is missing from the backup.',
        'db/chunk-000000.000000 does not match its sha256 in the manifest (corrupt or changed).',
        'index/indexmap is 10 bytes; the manifest says 3.',
        'db/chunk-000002.000000 is in the backup but not in the manifest.'])


@pytest.mark.parametrize('edit, expected', [
    (lambda m: m.pop('files'), 'manifest.json lacks files; it was not written by esdb.cluster.db_backup.'),
    (lambda m: m.update(format_version=2), 'manifest.json has format_version 2; this collection reads format_version 1.'),
    (lambda m: m['files'].append({'path': 'db/../../etc/passwd', 'size': 1, 'sha256': 'x'}),
     "manifest.json lists {'path': 'db/../../etc/passwd', 'size': 1, 'sha256': 'x'}, which is not a file entry"),
    (lambda m: m.update(files=[f for f in m['files'] if f['path'] != 'db/chaser.chk']),
     'The backup has no db/chaser.chk; a restore needs it.'),
])
def test_unreadable_manifests_are_refused(tmp_path, edit, expected):
    _backup, manifest = copied(tmp_path)
    edit(manifest)
    problems = manifest_problems(manifest)
    assert len(problems) == 1 and problems[0].startswith(expected)
    assert manifest_problems([]) == ['manifest.json is not a JSON object; it was not written by esdb.cluster.db_backup.']


def test_another_cluster_or_major_minor_version_is_refused(tmp_path):
    _backup, manifest = copied(tmp_path)
    assert compatibility_problems(manifest, 'prod', '22.10.1') == []
    assert compatibility_problems(manifest) == []
    assert compatibility_problems(manifest, 'staging') == [
        "The backup is of cluster 'prod', not 'staging'; restore a backup of 'staging', or set expected_cluster to "
        "the backup's cluster on purpose."]
    assert compatibility_problems(manifest, None, '23.10.0') == [
        'The backup was taken from EventStoreDB 22.10.0, not 23.10.x; restore it on nodes running 22.10.']
    assert compatibility_problems(manifest, None, 'latest') == [
        "expected_version 'latest' is not a version such as 22.10.0."]
    assert [major_minor(v) for v in ('22.10.0', '22.10.0-1', 22.1, 'x')] == ['22.10', '22.10', '22.1', None]


def test_restore_targets_put_each_file_under_db_or_index(tmp_path):
    _backup, manifest = copied(tmp_path)
    targets = dict(restore_targets(manifest, '/data/db'))
    assert targets['db/writer.chk'] == '/data/db/writer.chk'
    assert targets['index/stream-existence/streamExistenceFilter.chk'] == \
        '/data/db/index/stream-existence/streamExistenceFilter.chk'
    assert dict(restore_targets(manifest, '/data/db', '/idx'))['index/indexmap'] == '/idx/indexmap'


def test_what_a_node_holds_now(tmp_path):
    db = make_db(tmp_path)
    present = files_present(str(db))
    assert str(db / 'notes.txt') in present and str(db / 'index' / 'indexmap') in present
    data = existing_data(str(db))
    assert str(db / 'notes.txt') not in data and str(db / 'chunk-000000.000000') in data
    assert files_present(str(tmp_path / 'none')) == [] and existing_data(str(tmp_path / 'none')) == []
