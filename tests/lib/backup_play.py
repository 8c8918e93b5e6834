"""The backup and restore playbooks run against emulator clusters on loopback, every inventory host local.

Shared by tests/integration/test_db_backup_emulators.py and test_backup_s3.py:

    inventory = write_inventory(tmp_path, cluster, backup_dir, staging)
    rc, output = run_playbook(inventory, 'backup', {'eventstore_backup_s3_bucket': 'b'}, env=aws_env)
"""

import json
import subprocess

from ansible_collections.esdb.cluster.tests.lib.event_load import lost
from ansible_collections.esdb.cluster.tests.lib.role_files import REPO
from ansible_collections.esdb.cluster.tests.lib.role_molecule import environment


def snapshot(root):
    """{path: bytes} of every file under `root`."""
    return dict((str(p), p.read_bytes()) for p in sorted(root.rglob('*')) if p.is_file())


def write_inventory(root, cluster, backup_dir, staging, host_vars=None):
    """An inventory of the cluster's nodes, every host local, for the role's backup and restore entry points.
    `host_vars` (host name -> vars) adds to each host's vars; the hosts are n1, n2, ... in the cluster's order."""
    hosts = dict(('n%d' % i, dict({'eventstore_node_ip': node.ip, 'eventstore_config': {'Db': str(node.dir / 'db')}},
                                  **(host_vars or {}).get('n%d' % i, {})))
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


def run_playbook(inventory, name, extra=None, env=None):
    """playbooks/<name>.yml (a thin playbook over the role's entry point): (return code, output).
    `env` replaces the environment (default: this one, with the repository's collections)."""
    command = [str(REPO / '.venv/bin/ansible-playbook'), '-i', str(inventory), str(REPO / 'playbooks' / (name + '.yml'))]
    if extra:
        command += ['-e', json.dumps(extra)]
    # Every host here is this machine, so the hosts' copies to "their" staging directory land in one place:
    # one host at a time, as separate machines would never race on it.
    env = dict(env or environment(), ANSIBLE_FORKS='1')
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


def complete(report):
    """The verifier's report when no node misses or duplicates an acknowledged event, else None (wait more)."""
    return None if lost(report) else report
