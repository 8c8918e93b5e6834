"""Drive a Molecule scenario of this repository and run playbooks against its containers.

Used by the role's integration tests, which need a converged cluster to feed bad input to.
"""

import glob
import os
import pathlib
import subprocess

from ansible_collections.esdb.cluster.tests.lib.role_files import REPO, VENV_BIN


def environment():
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / ".collections")
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_NOCOLOR"] = "1"
    env["NO_COLOR"] = "1"
    return env


def molecule(action, scenario, check=True):
    return subprocess.run([str(VENV_BIN / "molecule"), action, "-s", scenario], cwd=REPO, env=environment(),
                          capture_output=True, text=True, check=check)


def ephemeral_dir(scenario):
    """Molecule 26 keeps a scenario's generated inventory under ~/.ansible/tmp/molecule.<hash>.<scenario>/."""
    found = glob.glob(os.path.expanduser(f"~/.ansible/tmp/molecule.*.{scenario}"))
    if not found:
        raise FileNotFoundError(f"no Molecule ephemeral directory for scenario {scenario}; converge it first")
    return pathlib.Path(max(found, key=os.path.getmtime))


class Playbook:
    """ansible-playbook against a converged scenario's inventory, with extra inventory files and vars."""

    def __init__(self, scenario, playbook):
        self.scenario = scenario
        self.playbook = REPO / playbook
        self.workdir = ephemeral_dir(scenario)

    def run(self, *args, inventories=(), extra_vars=None):
        command = [str(VENV_BIN / "ansible-playbook"), "--inventory", str(self.workdir / "inventory")]
        for inventory in inventories:
            command += ["--inventory", str(inventory)]
        if extra_vars is not None:
            command += ["--extra-vars", extra_vars]
        command += [*args, str(self.playbook)]
        env = environment()
        env["ANSIBLE_CONFIG"] = str(self.workdir / "ansible.cfg")
        env["MOLECULE_EPHEMERAL_DIRECTORY"] = str(self.workdir)
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        # Ansible prints task failures on stderr and the rest on stdout.
        result.output = result.stdout + result.stderr
        return result


def recap(output):
    """{host: {'ok': n, 'changed': n, 'failed': n, ...}} from a PLAY RECAP."""
    hosts = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1] == ":" and "=" in parts[2]:
            hosts[parts[0]] = {key: int(value) for key, value in (p.split("=") for p in parts[2:])}
    return hosts


def container_sha1(container, path):
    result = subprocess.run(["docker", "exec", container, "sha1sum", path], capture_output=True, text=True, check=True)
    return result.stdout.split()[0]
