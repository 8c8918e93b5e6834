"""esdb.cluster.db_backup and db_restore, run through `ansible`, on local three-node clusters.

The nodes are the test-only EventStoreDB 22.10 node emulator (tests/twin/emulator), one process per loopback
address: a cluster on 127.0.20.51-53 takes writes and one of its Followers is backed up; once it is stopped, three
fresh Db directories are restored from that one backup and a new cluster runs on them on the same addresses.
Every acknowledged event must be there exactly once on every node. Broken backups and unsafe targets must fail
with one clear sentence and leave the target Db as it was.
"""

import json
import os
import pathlib
import shutil
import subprocess

import pytest

from ansible_collections.esdb.cluster.tests.lib.cs_cluster import CollectionModuleRun
from ansible_collections.esdb.cluster.tests.lib.emu_cluster import Cluster, wait_for
from ansible_collections.esdb.cluster.tests.lib.event_load import Writer, lost, verify
from ansible_collections.esdb.cluster.tests.lib.role_files import REPO
from ansible_collections.esdb.cluster.tests.lib.role_molecule import environment

pytestmark = pytest.mark.slow

HOSTS = ['127.0.20.51', '127.0.20.52', '127.0.20.53']
RESTORED_HOSTS = ['127.0.20.54', '127.0.20.55', '127.0.20.56']
SETTINGS = {'EnableAtomPubOverHttp': True}
# The role's staging directory on the (local) node, under /var/tmp/ as the role requires.
STAGING = pathlib.Path('/var/tmp/esdb-backup-test-%d' % os.getpid())


def module(name, args, check_mode=False):
    return CollectionModuleRun(name, args, check_mode).result()


def snapshot(root):
    return dict((str(p), p.read_bytes()) for p in sorted(root.rglob('*')) if p.is_file())


def write_inventory(root, cluster, backup_dir, staging):
    """An inventory of the cluster's nodes, every host local, for the role's backup and restore entry points."""
    hosts = dict(('n%d' % i, {'eventstore_node_ip': node.ip, 'eventstore_config': {'Db': str(node.dir / 'db')}})
                 for i, node in enumerate(cluster.nodes, 1))
    inventory = {'all': {'vars': {'ansible_connection': 'local', 'ansible_become_method': 'ansible.builtin.su',
                                  'ansible_python_interpreter': str(REPO / '.venv/bin/python'),
                                  'eventstore_insecure': True, 'eventstore_cluster_name': 'emu',
                                  'eventstore_backup_dir': str(backup_dir),
                                  'eventstore_backup_staging_dir': str(staging),
                                  'eventstore_restore_staging_dir': str(staging),
                                  # This controller runs Debian: only a repository of one's own serves it.
                                  'eventstore_apt_repo_url': 'http://mirror.invalid/eventstore-oss/debian/'},
                         'children': {'eventstore': {'hosts': hosts}}}}
    (root / 'inventory.json').write_text(json.dumps(inventory))
    return root / 'inventory.json'


def run_playbook(inventory, name, extra=None):
    """playbooks/<name>.yml (a thin playbook over the role's entry point): (return code, output)."""
    command = [str(REPO / '.venv/bin/ansible-playbook'), '-i', str(inventory), str(REPO / 'playbooks' / (name + '.yml'))]
    if extra:
        command += ['-e', json.dumps(extra)]
    result = subprocess.run(command, cwd=REPO, env=environment(), capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope='module')
def backed_up(tmp_path_factory):
    """Writes to a running cluster, backs up a caught-up Follower with db_backup and with playbooks/backup.yml,
    then stops the cluster. Returns (backup dir, db_backup result, the writer, the stopped cluster, playbook)."""
    root = tmp_path_factory.mktemp('source')
    cluster = Cluster(root, HOSTS, settings=SETTINGS).start()
    try:
        wait_for(cluster.agreed_leader, timeout=60, what='one agreed leader and two followers')
        writer = Writer(cluster.nodes, streams=4, prefix='backup').start()
        wait_for(lambda: writer.count >= 300, timeout=60, what='300 acknowledged events')
        writer.stop()
        follower = wait_for(cluster.caught_up_followers, timeout=30, what='caught-up followers')[0]
        dest = tmp_path_factory.mktemp('staging') / 'backup'
        args = dict(db_path=str(follower.dir / 'db'), dest=str(dest), cluster_name='emu', eventstore_version='22.10.0',
                    node=follower.ip, source_address='%s:2113' % follower.ip)
        planned = module('db_backup', args, check_mode=True)
        assert planned.get('changed') is False and not dest.exists(), planned
        result = module('db_backup', args)
        assert result.get('failed') is not True, result
        assert [p['path'] for p in planned['planned']] == [f['path'] for f in result['manifest']['files']]
        playbook_dir = tmp_path_factory.mktemp('controller')
        inventory = write_inventory(tmp_path_factory.mktemp('play'), cluster, playbook_dir, STAGING)
        playbook = run_playbook(inventory, 'backup')
    finally:
        cluster.stop()
    assert not any(node.running() for node in cluster.nodes)
    yield dest, result, writer, cluster, (playbook, playbook_dir, inventory)
    shutil.rmtree(str(STAGING), ignore_errors=True)


def test_the_backup_holds_the_followers_files_in_22_10s_order(backed_up):
    dest, result, _writer, cluster, _playbook = backed_up
    manifest = json.loads((dest / 'manifest.json').read_text())
    assert manifest == result['manifest']
    paths = [f['path'] for f in manifest['files']]
    kinds = ['index-chk' if p.startswith('index/') and p.endswith('.chk') else 'index' if p.startswith('index/')
             else 'db-chk' if p.endswith('.chk') else 'chunk' for p in paths]
    assert kinds == sorted(kinds, key=['index-chk', 'index', 'db-chk', 'chunk'].index)
    assert {'db/writer.chk', 'db/chaser.chk', 'db/epoch.chk', 'db/truncate.chk', 'db/chunk-000000.000000'} <= set(paths)
    assert manifest['checkpoints']['writer'] > 0 and manifest['node'] in HOSTS
    source = next(n for n in cluster.nodes if n.ip == manifest['node'])
    assert not list((source.dir / 'db').glob('manifest.json'))


def complete(report):
    """The verifier's report when no node misses or duplicates an acknowledged event, else None (wait more)."""
    return None if lost(report) else report


def restore_and_verify(backup_dir, root, hosts, writer):
    """Restores fresh Db directories of `hosts` from one backup, starts them as a cluster, and waits until every
    node serves every acknowledged event exactly once (and nothing else)."""
    restored = Cluster(root, hosts, settings=SETTINGS)
    for node in restored.nodes:
        result = module('db_restore', dict(backup_dir=str(backup_dir), db_path=str(node.dir / 'db'),
                                           expected_cluster='emu', expected_version='22.10.0'))
        assert result.get('changed') is True, result
        assert result['checkpoints']['truncate'] == result['checkpoints']['chaser']
    restored.start()
    try:
        wait_for(restored.agreed_leader, timeout=60, what='the restored cluster to elect a leader')
        report = wait_for(lambda: complete(verify(restored.nodes, writer.acknowledged)),
                          timeout=30, what='every acknowledged event on every restored node')
        assert all(entry['events'] == writer.count for entry in report.values()), report
        assert sorted(report) == sorted(hosts)
    finally:
        restored.stop()


def test_three_nodes_restored_from_one_backup_hold_every_acknowledged_event_once(backed_up, tmp_path):
    dest, _result, writer, _source, _playbook = backed_up
    restore_and_verify(dest, tmp_path, HOSTS, writer)


def test_the_backup_playbook_fetches_a_followers_backup_that_restores_a_cluster(backed_up, tmp_path):
    _dest, _result, writer, _source, ((rc, output), controller_dir, _inventory) = backed_up
    assert rc == 0, output[-4000:]
    stamps = list((controller_dir / 'emu').iterdir())
    assert len(stamps) == 1, stamps
    manifest = json.loads((stamps[0] / 'manifest.json').read_text())
    assert manifest['cluster_name'] == 'emu' and manifest['node'] in ('n1', 'n2', 'n3')
    assert "One Follower is backed up" in output and 'is in %s' % stamps[0] in output
    assert not (STAGING / stamps[0].name).exists()
    restore_and_verify(stamps[0], tmp_path, RESTORED_HOSTS, writer)


def broken_copy(dest, tmp_path, how):
    backup = tmp_path / 'broken'
    shutil.copytree(str(dest), str(backup))
    if how == 'corrupt chunk':
        chunk = backup / 'db' / 'chunk-000000.000000'
        data = bytearray(chunk.read_bytes())
        data[len(data) // 2] ^= 0x20
        chunk.write_bytes(bytes(data))
        return 'db/chunk-000000.000000 does not match its sha256 in the manifest (corrupt or changed).'
    if how == 'missing file':
        (backup / 'db' / 'epoch.chk').unlink()
        return 'db/epoch.chk is missing from the backup.'
    manifest = json.loads((backup / 'manifest.json').read_text())
    if how == 'other cluster':
        manifest['cluster_name'] = 'other'
        sentence = ("The backup is of cluster 'other', not 'emu'; restore a backup of 'emu', or set expected_cluster "
                    "to the backup's cluster on purpose.")
    else:
        manifest['eventstore_version'] = '23.10.0'
        sentence = 'The backup was taken from EventStoreDB 23.10.0, not 22.10.x; restore it on nodes running 23.10.'
    (backup / 'manifest.json').write_text(json.dumps(manifest))
    return sentence


@pytest.mark.parametrize('how', ['corrupt chunk', 'missing file', 'other cluster', 'other version'])
def test_a_bad_backup_fails_clearly_and_leaves_the_db_unchanged(backed_up, tmp_path, how):
    dest, _result, _writer, source, _playbook = backed_up
    target = tmp_path / 'node' / 'db'
    shutil.copytree(str(source.nodes[0].dir / 'db'), str(target))
    before = snapshot(target)
    sentence = broken_copy(dest, tmp_path, how)
    result = module('db_restore', dict(backup_dir=str(tmp_path / 'broken'), db_path=str(target), force=True,
                                       expected_cluster='emu', expected_version='22.10.0'))
    assert result.get('failed') is True and sentence in result['msg'], result
    assert snapshot(target) == before


def test_a_non_empty_db_is_refused_without_force(backed_up, tmp_path):
    dest, _result, _writer, source, _playbook = backed_up
    target = tmp_path / 'node' / 'db'
    shutil.copytree(str(source.nodes[0].dir / 'db'), str(target))
    before = snapshot(target)
    result = module('db_restore', dict(backup_dir=str(dest), db_path=str(target)))
    assert result.get('failed') is True, result
    assert result['msg'].startswith("db_path '%s' (or its index '%s') already holds" % (target, target / 'index'))
    assert snapshot(target) == before


def test_the_backup_playbook_refuses_a_cluster_that_is_not_ready(backed_up, tmp_path):
    _dest, _result, _writer, _stopped, (_playbook, _controller_dir, inventory) = backed_up
    rc, output = run_playbook(inventory, 'backup', {'eventstore_backup_dir': str(tmp_path / 'backups')})
    assert rc != 0
    assert 'Refusing to back up: the cluster is unreachable, not ready' in output, output[-3000:]
    assert not (tmp_path / 'backups').exists()


def restore_refusal(backed_up, tmp_path, edit=None, extra=None):
    """The restore playbook run on the stopped source cluster's inventory: (rc, output, Dbs before, Dbs after)."""
    _dest, _result, _writer, stopped, (_playbook, controller_dir, inventory) = backed_up
    backup = tmp_path / 'backup'
    shutil.copytree(str(next((controller_dir / 'emu').iterdir())), str(backup))
    if edit:
        edit(backup)
    before = [snapshot(node.dir / 'db') for node in stopped.nodes]
    rc, output = run_playbook(inventory, 'restore', dict({'eventstore_restore_from': str(backup)}, **(extra or {})))
    assert not list(STAGING.glob('*')), 'the backup copy was left on the node'
    return rc, output, before, [snapshot(node.dir / 'db') for node in stopped.nodes]


def flip_a_byte(backup):
    chunk = backup / 'db' / 'chunk-000000.000000'
    data = bytearray(chunk.read_bytes())
    data[10] ^= 0x01
    chunk.write_bytes(bytes(data))


def test_the_restore_playbook_refuses_a_corrupt_backup_before_anything(backed_up, tmp_path):
    rc, output, before, after = restore_refusal(backed_up, tmp_path, flip_a_byte, {'eventstore_restore_force': True})
    assert rc != 0
    assert ('db/chunk-000000.000000 in %s does not match its sha256 in the manifest; the backup is not usable and '
            'nothing was changed.' % (tmp_path / 'backup')) in output, output[-3000:]
    assert after == before


def test_the_restore_playbook_refuses_nodes_holding_data_without_force(backed_up, tmp_path):
    rc, output, before, after = restore_refusal(backed_up, tmp_path)
    assert rc != 0
    assert 'already holds' in output and 'or set force=true to replace its data files.' in output, output[-3000:]
    assert after == before


def test_the_restore_playbook_needs_a_backup_directory(backed_up, tmp_path):
    _dest, _result, _writer, _stopped, (_playbook, _controller_dir, inventory) = backed_up
    rc, output = run_playbook(inventory, 'restore')
    assert rc != 0
    assert 'Restore options: set eventstore_restore_from to the controller directory of one backup' in output


def test_one_member_refusing_stops_the_restore_on_every_member(backed_up, tmp_path):
    """n2's Db is empty, so only n1 and n3 refuse; n2 must not be restored alone."""
    stopped = backed_up[3]
    n2_db = stopped.nodes[1].dir / 'db'
    aside = tmp_path / 'n2-db'
    shutil.move(str(n2_db), str(aside))
    try:
        n2_db.mkdir()
        # This machine has no eventstore user: the files would belong to root, so that n2 passes its own check.
        rc, output, before, after = restore_refusal(backed_up, tmp_path, extra={'_eventstore_user': 'root'})
        assert rc != 0 and 'already holds' in output, output[-3000:]
        assert after == before and not list(n2_db.iterdir())
    finally:
        shutil.rmtree(str(n2_db))
        shutil.move(str(aside), str(n2_db))
