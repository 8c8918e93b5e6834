"""roles/eventstore run from the controller alone: every inventory host uses the local connection.

No container and no SSH: ansible-playbook runs the play on this machine once per host, so a test
either stops before anything is written (preflight, ``--tags preflight-only``) or drives entry points
that only talk HTTP to emulator nodes on loopback (``cluster_fixture`` in formed_cluster.py), each
inventory host standing for one node through its ``eventstore_node_ip``.

    HOSTS = ['127.0.20.41', '127.0.20.42', '127.0.20.43']
    cluster = cluster_fixture(HOSTS, 'Insecure')

    def test_the_cluster_is_verified(tmp_path, cluster):
        result = run_playbook(tmp_path, entry_point_play('verify'),
                              inventory(node_hosts(HOSTS), eventstore_insecure=True,
                                        eventstore_checks_from='controller'))
        assert result.rc == 0, result.output[-3000:]
        assert result.recap['n1']['failed'] == 0

A result unpacks as ``rc, output = run_playbook(...)``.
"""

import collections
import json
import pathlib
import subprocess

from ansible_collections.esdb.cluster.tests.lib.role_files import REPO, VENV_BIN
from ansible_collections.esdb.cluster.tests.lib.role_molecule import environment, recap

# Group vars every local inventory starts from; inventory() keyword arguments add to or replace them.
COMMON_VARS = {
    "ansible_connection": "local",
    "ansible_python_interpreter": str(VENV_BIN / "python"),
    # Tasks that become root on a node (checks from the node, installed CA) su from root: no password.
    "ansible_become_method": "ansible.builtin.su",
    "eventstore_admin_password": "a-secret",
    "eventstore_ops_password": "o-secret",
    # This controller runs Debian: only a repository of one's own serves it.
    "eventstore_apt_repo_url": "http://mirror.invalid/eventstore-oss/debian/",
}


def node_hosts(addresses, first=1):
    """Inventory hosts n<first>, n<first+1>, ... whose eventstore_node_ip are `addresses`, in order."""
    return {"n%d" % number: {"eventstore_node_ip": address} for number, address in enumerate(addresses, first)}


def inventory(members, leaving=None, **group_vars):
    """An inventory dict: `members` (host -> host vars) in group eventstore, `leaving` in eventstore_leaving
    (omitted when None), COMMON_VARS updated with `group_vars` for all hosts."""
    children = {"eventstore": {"hosts": members}}
    if leaving is not None:
        children["eventstore_leaving"] = {"hosts": leaving}
    return {"all": {"vars": dict(COMMON_VARS, **group_vars), "children": children}}


def entry_point_play(tasks_from, hosts="eventstore"):
    """Playbook text running the role's entry point `tasks_from` (verify, restart, switchover...) on `hosts`."""
    return """
- hosts: %s
  gather_facts: false
  tasks:
    - name: The role's entry point %s runs
      ansible.builtin.include_role:
        name: esdb.cluster.eventstore
        tasks_from: %s
""" % (hosts, tasks_from, tasks_from)


class PlaybookResult(collections.namedtuple("PlaybookResult", "rc output")):
    """ansible-playbook's exit code and its stdout followed by its stderr (task failures go to stderr)."""

    __slots__ = ()

    @property
    def recap(self):
        """{host: {'ok': n, 'changed': n, 'failed': n, ...}} from the PLAY RECAP."""
        return recap(self.output)


def run_playbook(workdir, playbook, inventory_dict, extra_vars=None, options=()):
    """Run ansible-playbook from the repository root with the collection on its path.

    `playbook` is playbook text (written to workdir/play.yml, so a workdir/library folder holds modules of
    the test's own) or a pathlib.Path (relative: to the repository root, e.g. Path('playbooks/verify.yml')).
    The inventory is written to workdir/inventory.json; `extra_vars` (a dict) goes as JSON through
    --extra-vars, so its values keep their types; `options` are further command-line arguments.
    """
    workdir = pathlib.Path(workdir)
    (workdir / "inventory.json").write_text(json.dumps(inventory_dict))
    if isinstance(playbook, pathlib.PurePath):
        path = REPO / playbook
    else:
        path = workdir / "play.yml"
        path.write_text(playbook)
    command = [str(VENV_BIN / "ansible-playbook"), "-i", str(workdir / "inventory.json"), str(path), *options]
    if extra_vars is not None:
        command += ["--extra-vars", json.dumps(extra_vars)]
    result = subprocess.run(command, cwd=REPO, env=environment(), capture_output=True, text=True, check=False)
    return PlaybookResult(result.returncode, result.stdout + result.stderr)
