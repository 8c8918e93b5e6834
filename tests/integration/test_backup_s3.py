"""playbooks/backup.yml with an S3 bucket and playbooks/restore.yml from an s3:// URL, on loopback only.

S3 is a moto server on 127.0.0.1; the nodes are the EventStoreDB 22.10 node emulator on 127.0.20.61-63 (the
source cluster) and 127.0.20.64-66 (a fresh cluster restored from S3, started by the role through a stand-in
systemctl). Every acknowledged event must come back exactly once; bad S3 input must fail with one sentence
naming it, before any node changes. Run under `flock /tmp/esdb-loopback.lock`.
"""

import glob
import hashlib
import json
import os
import pathlib
import shutil
import tempfile
import time
import types
import urllib.parse
import urllib.request

import boto3
import pytest
from botocore.config import Config

from ansible_collections.esdb.cluster.tests.lib.aws_moto import MotoEndpoint, ansible_env
from ansible_collections.esdb.cluster.tests.lib.backup_play import complete, run_playbook, snapshot, write_inventory
from ansible_collections.esdb.cluster.tests.lib.emu_cluster import Cluster, wait_for
from ansible_collections.esdb.cluster.tests.lib.event_load import Writer, verify
from ansible_collections.esdb.cluster.tests.lib.fake_systemd import FakeSystemd

pytestmark = pytest.mark.slow

HOSTS = ['127.0.20.61', '127.0.20.62', '127.0.20.63']
RESTORED_HOSTS = ['127.0.20.64', '127.0.20.65', '127.0.20.66']
SETTINGS = {'EnableAtomPubOverHttp': True}
STAGING = pathlib.Path('/var/tmp/esdb-s3-test-%d' % os.getpid())
BUCKET = 'esdb-backup-test'
MISSING_BUCKET = 'esdb-no-such-bucket'
PREFIX = 'esdb-backups'
CHUNK = 'db/chunk-000000.000000'


def s3_client(endpoint):
    return boto3.client('s3', region_name='us-east-1', endpoint_url=endpoint.url, aws_access_key_id='testing',
                        aws_secret_access_key='testing', config=Config(user_agent_extra=MotoEndpoint.TEST_AGENT))


def aws(endpoint):
    """The playbooks' AWS connection variables (as for provisioning) and an environment that reaches loopback only."""
    local = ','.join(['127.0.0.1', 'localhost'] + HOSTS + RESTORED_HOSTS)
    env = ansible_env({'NO_PROXY': local, 'no_proxy': local, 'http_proxy': 'http://127.0.0.1:9',
                       'https_proxy': 'http://127.0.0.1:9'})
    return {'aws_endpoint_url': endpoint.url, 'aws_region': 'us-east-1', 'aws_access_key': 'testing',
            'aws_secret_key': 'testing'}, env


def keys(client, prefix):
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + '/')
    return sorted(entry['Key'][len(prefix) + 1:] for entry in listed.get('Contents', []))


def recorded(endpoint):
    """(method, object key or '', query) of every S3 request moto recorded, in order, except the tests' own."""
    with urllib.request.urlopen(endpoint.url + '/moto-api/recorder/download-recording', timeout=10) as answer:
        lines = answer.read().decode().splitlines()
    found = []
    for entry in map(json.loads, lines):
        if MotoEndpoint.TEST_AGENT not in entry['headers'].get('User-Agent', ''):
            url = urllib.parse.urlsplit(entry['url'])
            parts = url.path.split('/', 2)
            found.append((entry['method'], urllib.parse.unquote(parts[2]) if len(parts) > 2 else '', url.query))
    return found


def iam_action(method, key, query):
    """The IAM action AWS checks for one S3 REST request (the requests amazon.aws.s3_object makes)."""
    names = set(name.split('=')[0] for name in query.split('&') if name)
    if not key:
        if method == 'HEAD' or (method == 'GET' and names & {'list-type', 'prefix', 'max-keys'}):
            return 's3:ListBucket'
        if method == 'GET' and 'ownershipControls' in names:
            return 's3:GetBucketOwnershipControls'
    elif method in ('HEAD', 'GET') and not names - {'partNumber'}:
        return 's3:GetObject'
    elif method == 'GET' and names == {'tagging'}:
        return 's3:GetObjectTagging'
    elif method in ('PUT', 'POST') and not names - {'uploads', 'uploadId', 'partNumber'}:
        return 's3:PutObject'
    return 'unknown: %s %s?%s' % (method, key or '/', query)


# docs/operations.md, "Backups in S3": GetBucketOwnershipControls is tried, its refusal ignored.
UPLOAD_ACTIONS = {'s3:ListBucket', 's3:PutObject', 's3:GetObject', 's3:GetObjectTagging'}
DOWNLOAD_ACTIONS = {'s3:ListBucket', 's3:GetObject'}
OPTIONAL = {'s3:GetBucketOwnershipControls'}


@pytest.fixture(scope='module')
def uploaded(tmp_path_factory):
    """A moto S3 with BUCKET, and a running emulator cluster that took writes, backed up by playbooks/backup.yml
    three times: to BUCKET, to a bucket that does not exist, and to BUCKET with aws:kms and no local copy kept.
    The cluster is stopped afterwards; moto stays up for the restores."""
    with MotoEndpoint() as endpoint:
        client = s3_client(endpoint)
        client.create_bucket(Bucket=BUCKET)
        connection, env = aws(endpoint)
        cluster = Cluster(tmp_path_factory.mktemp('s3-source'), HOSTS, settings=SETTINGS).start()
        backups = tmp_path_factory.mktemp('s3-controller')
        try:
            wait_for(cluster.agreed_leader, timeout=60, what='one agreed leader and two followers')
            writer = Writer(cluster.nodes, streams=4, prefix='s3').start()
            wait_for(lambda: writer.count >= 300, timeout=60, what='300 acknowledged events')
            writer.stop()
            wait_for(cluster.caught_up_followers, timeout=30, what='caught-up followers')
            inventory = write_inventory(tmp_path_factory.mktemp('s3-play'), cluster, backups, STAGING)
            endpoint.start_recording()
            started = time.monotonic()
            backup = run_playbook(inventory, 'backup', dict(connection, eventstore_backup_s3_bucket=BUCKET), env)
            backup_seconds = time.monotonic() - started
            requests = recorded(endpoint)
            missing_dir = tmp_path_factory.mktemp('s3-missing') / 'backups'
            missing = run_playbook(inventory, 'backup', dict(connection, eventstore_backup_s3_bucket=MISSING_BUCKET,
                                                             eventstore_backup_dir=str(missing_dir)), env)
            time.sleep(1.1)  # a new time stamp for the next backup
            kms = run_playbook(inventory, 'backup', dict(connection, eventstore_backup_s3_bucket=BUCKET,
                                                         eventstore_backup_s3_prefix='kms/backups',
                                                         eventstore_backup_s3_encryption='aws:kms',
                                                         eventstore_backup_s3_kms_key_id='alias/esdb-backups',
                                                         eventstore_backup_keep_local=False), env)
        finally:
            cluster.stop()
        yield types.SimpleNamespace(
            endpoint=endpoint, client=client, connection=connection, env=env, cluster=cluster, writer=writer,
            inventory=inventory, backups=backups, backup=backup, backup_seconds=backup_seconds, requests=requests,
            missing=missing, missing_dir=missing_dir, kms=kms)
    shutil.rmtree(str(STAGING), ignore_errors=True)


def the_backup(uploaded):
    """(the controller's backup directory, its manifest, the S3 key prefix of its upload)."""
    rc, output = uploaded.backup
    assert rc == 0, output[-4000:]
    stamps = sorted((uploaded.backups / 'emu').iterdir())
    local = stamps[0]
    return local, json.loads((local / 'manifest.json').read_text()), '%s/emu/%s' % (PREFIX, local.name)


def test_the_backup_puts_every_file_of_its_manifest_in_s3_encrypted_and_the_manifest_last(uploaded):
    local, manifest, prefix = the_backup(uploaded)
    client = uploaded.client
    paths = [entry['path'] for entry in manifest['files']]
    assert keys(client, prefix) == sorted(paths + ['manifest.json'])
    for entry in manifest['files']:
        head = client.head_object(Bucket=BUCKET, Key=prefix + '/' + entry['path'])
        assert head['ContentLength'] == entry['size'], entry
        assert head['ServerSideEncryption'] == 'AES256', entry
        body = client.get_object(Bucket=BUCKET, Key=prefix + '/' + entry['path'])['Body'].read()
        assert hashlib.sha256(body).hexdigest() == entry['sha256'], entry
    head = client.head_object(Bucket=BUCKET, Key=prefix + '/manifest.json')
    assert head['ServerSideEncryption'] == 'AES256'
    stored = client.get_object(Bucket=BUCKET, Key=prefix + '/manifest.json')['Body'].read()
    assert stored == (local / 'manifest.json').read_bytes()
    uploads = [key for method, key, query in uploaded.requests if method == 'PUT' and not query]
    assert sorted(uploads) == sorted(prefix + '/' + p for p in paths + ['manifest.json'])
    assert uploads[-1] == prefix + '/manifest.json' and uploads.count(prefix + '/manifest.json') == 1
    assert 'is in s3://%s/%s, encrypted with AES256' % (BUCKET, prefix) in uploaded.backup[1]


def test_the_upload_needs_only_the_documented_s3_permissions(uploaded):
    the_backup(uploaded)
    actions = set(iam_action(*request) for request in uploaded.requests)
    assert UPLOAD_ACTIONS <= actions <= UPLOAD_ACTIONS | OPTIONAL, actions


def test_a_bucket_that_does_not_exist_fails_the_backup_before_anything_is_copied(uploaded):
    rc, output = uploaded.missing
    assert rc != 0
    assert ('Refusing to back up to s3://%s/%s/emu/' % (MISSING_BUCKET, PREFIX)) in output, output[-3000:]
    assert 'bucket %s does not exist' % MISSING_BUCKET in output, output[-3000:]
    assert not uploaded.missing_dir.exists()
    assert not list(STAGING.glob('*'))
    assert MISSING_BUCKET not in [bucket['Name'] for bucket in uploaded.client.list_buckets()['Buckets']]


def test_kms_encryption_and_no_local_copy_are_options(uploaded):
    rc, output = uploaded.kms
    assert rc == 0, output[-4000:]
    listed = uploaded.client.list_objects_v2(Bucket=BUCKET, Prefix='kms/backups/emu/')['Contents']
    stamps = {entry['Key'].split('/')[3] for entry in listed}
    assert len(stamps) == 1, stamps
    head = uploaded.client.head_object(Bucket=BUCKET, Key='kms/backups/emu/%s/manifest.json' % stamps.pop())
    assert head['ServerSideEncryption'] == 'aws:kms' and 'alias/esdb-backups' in head['SSEKMSKeyId']
    local, _manifest, _prefix = the_backup(uploaded)
    assert [p.name for p in (uploaded.backups / 'emu').iterdir()] == [local.name]


def test_the_restore_playbook_brings_back_every_acknowledged_event_from_s3_once(uploaded, tmp_path):
    _local, _manifest, prefix = the_backup(uploaded)
    restored = Cluster(tmp_path / 'restored', RESTORED_HOSTS, settings=SETTINGS)
    units = FakeSystemd(tmp_path, dict(('n%d' % i, node) for i, node in enumerate(restored.nodes, 1)))
    inventory = write_inventory(tmp_path, restored, tmp_path / 'backups', STAGING, host_vars=units.host_vars())
    downloads = set(glob.glob(os.path.join(tempfile.gettempdir(), 'esdb-restore-s3-*')))
    try:
        uploaded.endpoint.start_recording()
        started = time.monotonic()
        # This machine has no eventstore user: the restored files belong to root.
        rc, output = run_playbook(inventory, 'restore', dict(uploaded.connection, _eventstore_user='root',
                                                             eventstore_restore_from='s3://%s/%s' % (BUCKET, prefix)),
                                  uploaded.env)
        seconds = time.monotonic() - started
        assert rc == 0, output[-4000:]
        requests = recorded(uploaded.endpoint)
        actions = set(iam_action(*request) for request in requests)
        assert DOWNLOAD_ACTIONS <= actions <= DOWNLOAD_ACTIONS | OPTIONAL, actions
        gets = [key for method, key, _query in requests if method == 'GET' and key]
        assert gets[0] == prefix + '/manifest.json' and sorted(gets) == sorted(keys_of(uploaded, prefix))
        assert sorted(units.pids()) == ['n1', 'n2', 'n3']
        report = wait_for(lambda: complete(verify(restored.nodes, uploaded.writer.acknowledged)),
                          timeout=30, what='every acknowledged event on every restored node')
        assert all(entry['events'] == uploaded.writer.count for entry in report.values()), report
        assert sorted(report) == sorted(RESTORED_HOSTS)
    finally:
        units.stop_all()
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), 'esdb-restore-s3-*'))) == downloads
    assert not list(STAGING.glob('*'))
    print('backup to S3: %.1f s, restore from S3: %.1f s' % (uploaded.backup_seconds, seconds))


def keys_of(uploaded, prefix):
    return [prefix + '/' + key for key in keys(uploaded.client, prefix)]


def copy_of_the_backup(uploaded, name):
    """The uploaded backup copied to <PREFIX>/copies/<name>/ in the bucket; returns that prefix."""
    _local, manifest, prefix = the_backup(uploaded)
    target = '%s/copies/%s' % (PREFIX, name)
    for path in [entry['path'] for entry in manifest['files']] + ['manifest.json']:
        uploaded.client.copy_object(Bucket=BUCKET, Key=target + '/' + path,
                                    CopySource={'Bucket': BUCKET, 'Key': prefix + '/' + path})
    return target


def flip_a_byte(uploaded, prefix):
    data = bytearray(uploaded.client.get_object(Bucket=BUCKET, Key=prefix + '/' + CHUNK)['Body'].read())
    data[10] ^= 0x01
    uploaded.client.put_object(Bucket=BUCKET, Key=prefix + '/' + CHUNK, Body=bytes(data))


def no_manifest(uploaded, prefix):
    uploaded.client.delete_object(Bucket=BUCKET, Key=prefix + '/manifest.json')


BAD_SOURCES = {
    'missing bucket': (None, lambda prefix: 's3://%s/%s' % (MISSING_BUCKET, prefix),
                       lambda url: 'Cannot read %s/manifest.json: bucket %s does not exist.' % (url, MISSING_BUCKET)),
    'no manifest': (no_manifest, lambda prefix: 's3://%s/%s' % (BUCKET, prefix),
                    lambda url: '%s has no manifest.json, so it is not a complete backup' % url),
    'changed object': (flip_a_byte, lambda prefix: 's3://%s/%s/' % (BUCKET, prefix),
                       lambda url: '%s in %s does not match its sha256 in the manifest; the backup is not usable '
                                   'and nothing was changed.' % (CHUNK, url)),
    'malformed url': (None, lambda prefix: 's3://',
                      lambda url: "eventstore_restore_from 's3://' is not the S3 URL of one backup; write it as "
                                  's3://<bucket>/<prefix>/<cluster>/<timestamp>'),
    'bucket only': (None, lambda prefix: 's3://%s' % BUCKET,
                    lambda url: "eventstore_restore_from '%s' is not the S3 URL of one backup" % url),
}


@pytest.mark.parametrize('case', sorted(BAD_SOURCES))
def test_a_bad_s3_source_fails_with_one_sentence_and_changes_nothing(uploaded, tmp_path, case):
    edit, url_of, sentence_of = BAD_SOURCES[case]
    prefix = copy_of_the_backup(uploaded, case.replace(' ', '-'))
    if edit:
        edit(uploaded, prefix)
    url = url_of(prefix)
    stopped = uploaded.cluster
    before = [snapshot(node.dir / 'db') for node in stopped.nodes]
    downloads = set(glob.glob(os.path.join(tempfile.gettempdir(), 'esdb-restore-s3-*')))
    rc, output = run_playbook(uploaded.inventory, 'restore', dict(uploaded.connection, eventstore_restore_from=url,
                                                                  eventstore_restore_force=True), uploaded.env)
    assert rc != 0
    assert sentence_of(url) in ' '.join(output.split()), output[-3000:]
    assert [snapshot(node.dir / 'db') for node in stopped.nodes] == before
    assert not list(STAGING.glob('*')), 'the backup copy was left on a node'
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), 'esdb-restore-s3-*'))) == downloads
