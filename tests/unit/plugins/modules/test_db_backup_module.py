"""esdb.cluster.db_backup main(), run the way Ansible runs it, on a Db laid out as 22.10 lays it out."""
import hashlib
import json
import os
import struct

import pytest

from ansible_collections.esdb.cluster.plugins.modules import db_backup
from ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http import ModuleFail, run_module

ORDER = ['index/stream-existence/streamExistenceFilter.chk', 'index/indexmap', 'db/chaser.chk', 'db/epoch.chk',
         'db/truncate.chk', 'db/writer.chk', 'db/chunk-000000.000000', 'db/chunk-000001.000000']


def make_db(root):
    db = root / 'db'
    (db / 'index' / 'stream-existence').mkdir(parents=True)
    for name, value in (('writer', 5000), ('chaser', 5000), ('epoch', 0), ('truncate', -1)):
        (db / ('%s.chk' % name)).write_bytes(struct.pack('<q', value))
    (db / 'chunk-000000.000000').write_bytes(b'a' * 4000)
    (db / 'chunk-000001.000000').write_bytes(b'b' * 1000)
    (db / 'index' / 'indexmap').write_bytes(b'map')
    (db / 'index' / 'stream-existence' / 'streamExistenceFilter.chk').write_bytes(struct.pack('<q', 9))
    return db


def snapshot(root):
    return dict((str(p), (p.read_bytes(), p.stat().st_mtime_ns)) for p in sorted(root.rglob('*')) if p.is_file())


def args(db, dest, **extra):
    return dict(dict(db_path=str(db), dest=str(dest), cluster_name='prod', eventstore_version='22.10.0', node='n2',
                     source_address='10.0.1.12:2113'), **extra)


def test_a_backup_copies_in_the_documented_order_and_writes_its_manifest(tmp_path):
    db = make_db(tmp_path)
    before = snapshot(db)
    result = run_module(db_backup.main, args(db, tmp_path / 'backup'))
    manifest = result['manifest']
    assert result['changed'] is True and result['vanished'] == []
    assert [f['path'] for f in manifest['files']] == ORDER
    assert manifest['checkpoints'] == {'writer': 5000, 'chaser': 5000, 'epoch': 0, 'truncate': -1}
    assert (manifest['cluster_name'], manifest['node'], manifest['source_address'], manifest['eventstore_version'],
            manifest['format_version']) == ('prod', 'n2', '10.0.1.12:2113', '22.10.0', 1)
    assert manifest['created'].endswith('Z')
    chunk = next(f for f in manifest['files'] if f['path'] == 'db/chunk-000000.000000')
    assert chunk == {'path': 'db/chunk-000000.000000', 'size': 4000, 'sha256': hashlib.sha256(b'a' * 4000).hexdigest()}
    assert json.loads((tmp_path / 'backup' / 'manifest.json').read_text()) == manifest
    assert (tmp_path / 'backup' / 'db' / 'chunk-000001.000000').read_bytes() == b'b' * 1000
    assert snapshot(db) == before


def test_check_mode_lists_the_plan_and_copies_nothing(tmp_path):
    db = make_db(tmp_path)
    result = run_module(db_backup.main, args(db, tmp_path / 'backup', _ansible_check_mode=True))
    assert result['changed'] is False and result['manifest'] is None
    assert [p['path'] for p in result['planned']] == ORDER
    assert result['planned'][-2] == {'path': 'db/chunk-000000.000000', 'size': 4000}
    assert not (tmp_path / 'backup').exists()


def test_a_non_empty_destination_is_refused_unless_forced(tmp_path):
    db = make_db(tmp_path)
    dest = tmp_path / 'backup'
    (dest / 'db').mkdir(parents=True)
    (dest / 'db' / 'chunk-000009.000000').write_bytes(b'old')
    (dest / 'keep.txt').write_bytes(b'mine')
    failed = run_module(db_backup.main, args(db, dest), ModuleFail)
    assert failed['msg'] == ("dest '%s' is not empty; give a new or empty directory, or set force=true to replace "
                             "the backup in it." % dest)
    assert (dest / 'db' / 'chunk-000009.000000').read_bytes() == b'old'
    result = run_module(db_backup.main, args(db, dest, force=True))
    assert [f['path'] for f in result['manifest']['files']] == ORDER
    assert not (dest / 'db' / 'chunk-000009.000000').exists() and (dest / 'keep.txt').exists()


@pytest.mark.parametrize('where, expected', [
    ('inside', "dest '{db}/backup' overlaps db_path '{db}'; choose a dest outside the node's data directories."),
    ('relative', "dest 'backup' is not an absolute path; give the full path."),
])
def test_a_destination_among_the_data_is_refused(tmp_path, where, expected):
    db = make_db(tmp_path)
    dest = str(db / 'backup') if where == 'inside' else 'backup'
    failed = run_module(db_backup.main, args(db, dest), ModuleFail)
    assert failed['msg'] == expected.format(db=db)
    assert not os.path.exists(str(db / 'backup'))


def test_a_db_without_checkpoints_is_no_backup(tmp_path):
    (tmp_path / 'db').mkdir()
    failed = run_module(db_backup.main, args(tmp_path / 'db', tmp_path / 'backup'), ModuleFail)
    assert failed['msg'] == ('The backup in %s is not usable: The backup has no db/writer.chk; a restore needs it. '
                             'The backup has no db/chaser.chk; a restore needs it.' % (tmp_path / 'backup'))
    assert not (tmp_path / 'backup' / 'manifest.json').exists()


def test_a_missing_db_is_one_sentence(tmp_path):
    failed = run_module(db_backup.main, args(tmp_path / 'nowhere', tmp_path / 'backup'), ModuleFail)
    assert failed['msg'] == "db_path '%s' is not a directory; give the node's Db directory." % (tmp_path / 'nowhere')
    assert not (tmp_path / 'backup').exists()


def test_an_index_file_merged_away_during_the_copy_is_reported(tmp_path, monkeypatch):
    db = make_db(tmp_path)
    real = db_backup.copy_and_hash

    def vanishing(source, target):
        if source.endswith('indexmap'):
            os.remove(source)
        return real(source, target)

    monkeypatch.setattr(db_backup, 'copy_and_hash', vanishing)
    result = run_module(db_backup.main, args(db, tmp_path / 'backup'))
    assert result['vanished'] == ['index/indexmap']
    assert 'index/indexmap' not in [f['path'] for f in result['manifest']['files']]
    assert not (tmp_path / 'backup' / 'index' / 'indexmap').exists()
