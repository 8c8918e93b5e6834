"""esdb.cluster.db_restore main(), run the way Ansible runs it, on backups written by db_backup."""
import json
import os
import struct

import pytest

from ansible_collections.esdb.cluster.plugins.modules import db_backup, db_restore
from ansible_collections.esdb.cluster.tests.unit.plugins.module_utils.canned_http import ModuleFail, run_module
from ansible_collections.esdb.cluster.tests.unit.plugins.modules.test_db_backup_module import make_db, snapshot


@pytest.fixture
def backup(tmp_path):
    """A backup of a node whose chaser (4000) is behind its writer (5000), as on a follower mid-write."""
    db = make_db(tmp_path / 'source')
    (db / 'chaser.chk').write_bytes(struct.pack('<q', 4000))
    run_module(db_backup.main, dict(db_path=str(db), dest=str(tmp_path / 'backup'), cluster_name='prod',
                                    eventstore_version='22.10.0', node='n2'))
    return tmp_path / 'backup'


def restore(backup_dir, db, expect=None, **extra):
    args = dict(dict(backup_dir=str(backup_dir), db_path=str(db)), **extra)
    return run_module(db_restore.main, args, expect) if expect else run_module(db_restore.main, args)


def test_a_backup_is_restored_and_truncate_chk_takes_the_chaser(tmp_path, backup):
    db = tmp_path / 'new' / 'db'
    result = restore(backup, db, expected_cluster='prod', expected_version='22.10.3')
    assert result['changed'] is True and result['removed'] == []
    assert result['checkpoints'] == {'writer': 5000, 'chaser': 4000, 'epoch': 0, 'truncate': 4000}
    assert (db / 'truncate.chk').read_bytes() == struct.pack('<q', 4000)
    assert (db / 'chunk-000000.000000').read_bytes() == b'a' * 4000
    assert (db / 'index' / 'stream-existence' / 'streamExistenceFilter.chk').read_bytes() == struct.pack('<q', 9)
    assert result['restored'][0] == str(db / 'index' / 'stream-existence' / 'streamExistenceFilter.chk')
    assert result['backup']['cluster_name'] == 'prod' and result['backup']['files'] == 8
    assert not list(db.rglob('*.restoring'))


def test_a_separate_index_directory_receives_the_index(tmp_path, backup):
    result = restore(backup, tmp_path / 'db', index_path=str(tmp_path / 'idx'))
    assert (tmp_path / 'idx' / 'indexmap').read_bytes() == b'map'
    assert not (tmp_path / 'db' / 'index').exists()
    assert str(tmp_path / 'idx' / 'indexmap') in result['restored']


def test_check_and_diff_mode_report_and_change_nothing(tmp_path, backup):
    db = tmp_path / 'db'
    result = restore(backup, db, _ansible_check_mode=True, _ansible_diff=True)
    assert result['changed'] is True and result['checkpoints'] == {}
    assert str(db / 'truncate.chk') in result['diff']['after'] and result['diff']['before'] == '\n'
    assert not db.exists()


def broken(backup, how):
    if how == 'corrupt':
        data = bytearray((backup / 'db' / 'chunk-000000.000000').read_bytes())
        data[100] ^= 1
        (backup / 'db' / 'chunk-000000.000000').write_bytes(bytes(data))
        return 'db/chunk-000000.000000 does not match its sha256 in the manifest (corrupt or changed).'
    if how == 'missing':
        (backup / 'db' / 'chunk-000001.000000').unlink()
        return 'db/chunk-000001.000000 is missing from the backup.'
    if how == 'extra':
        (backup / 'index' / 'stray').write_bytes(b'x')
        return 'index/stray is in the backup but not in the manifest.'
    if how == 'no manifest':
        (backup / 'manifest.json').unlink()
        return '%s has no manifest.json; it is not a complete backup (db_backup writes it last).' % backup
    manifest = json.loads((backup / 'manifest.json').read_text())
    manifest['cluster_name' if how == 'cluster' else 'eventstore_version'] = 'staging' if how == 'cluster' else '21.10.9'
    (backup / 'manifest.json').write_text(json.dumps(manifest))
    if how == 'cluster':
        return ("The backup is of cluster 'staging', not 'prod'; restore a backup of 'prod', or set expected_cluster "
                "to the backup's cluster on purpose.")
    return 'The backup was taken from EventStoreDB 21.10.9, not 22.10.x; restore it on nodes running 21.10.'


@pytest.mark.parametrize('how', ['corrupt', 'missing', 'extra', 'no manifest', 'cluster', 'version'])
def test_a_bad_backup_fails_clearly_and_the_db_is_unchanged(tmp_path, backup, how):
    db = make_db(tmp_path / 'target')
    before = snapshot(db)
    sentence = broken(backup, how)
    failed = restore(backup, db, ModuleFail, force=True, expected_cluster='prod', expected_version='22.10.0')
    assert sentence in failed['msg'] and sentence in failed['problems']
    assert failed['restored'] == [] and failed['changed'] is False
    assert snapshot(db) == before


def test_a_db_holding_files_is_refused_unless_forced(tmp_path, backup):
    db = make_db(tmp_path / 'target')
    (db / 'chunk-000007.000000').write_bytes(b'newer data')
    (db / 'twin-note.txt').write_bytes(b'kept')
    before = snapshot(db)
    failed = restore(backup, db, ModuleFail)
    assert failed['msg'].startswith("db_path '%s' (or its index '%s') already holds 10 file(s), for example "
                                    % (db, db / 'index'))
    assert failed['msg'].endswith('restore into an empty Db of a stopped node, or set force=true to replace its '
                                  'data files.')
    assert snapshot(db) == before
    result = restore(backup, db, force=True)
    assert str(db / 'chunk-000007.000000') in result['removed'] and not (db / 'chunk-000007.000000').exists()
    assert (db / 'twin-note.txt').read_bytes() == b'kept'
    assert result['checkpoints']['truncate'] == 4000


def test_a_file_changing_during_the_copy_stops_the_restore(tmp_path, backup, monkeypatch):
    real = db_restore.copy_and_hash

    def tampered(source, target):
        if source.endswith('chunk-000001.000000'):
            with open(source, 'ab') as handle:
                handle.write(b'!')
        return real(source, target)

    monkeypatch.setattr(db_restore, 'copy_and_hash', tampered)
    failed = restore(backup, tmp_path / 'db', ModuleFail)
    assert failed['msg'].startswith('db/chunk-000001.000000 changed while it was restored')
    assert not (tmp_path / 'db' / 'chunk-000001.000000').exists()


def test_owner_group_and_mode_are_set_through_the_file_helpers(tmp_path, backup):
    import grp
    import pwd
    user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    db = tmp_path / 'db'
    restore(backup, db, owner=user, group=group, mode='0640')
    assert oct((db / 'writer.chk').stat().st_mode & 0o777) == '0o640'
    assert oct((db / 'index' / 'indexmap').stat().st_mode & 0o777) == '0o640'
    failed = restore(backup, tmp_path / 'db2', ModuleFail, owner='no-such-user-here')
    assert failed['msg'] == ("owner 'no-such-user-here' does not exist on this node; create it (the package creates "
                             "eventstore) or fix owner.")
    assert not (tmp_path / 'db2').exists()
