"""A stand-in `systemctl` for inventory hosts that are emulator nodes on this machine.

The role starts and stops EventStoreDB through ansible.builtin.systemd_service, which runs `systemctl`.
Every local inventory host gets its own Python interpreter wrapper (its ansible_python_interpreter) that
puts a directory holding this stand-in first on PATH and names the host's unit file, so that
`systemctl start eventstore` on host n2 starts n2's emulator process, detached, as systemd would.
Only show, is-active, is-enabled, start, stop, restart and no-op verbs (enable, daemon-reload) exist.

    units = FakeSystemd(tmp_path, {'n1': node1, 'n2': node2})   # emu_cluster.Node objects
    write_inventory(..., host_vars=units.host_vars())
    ...
    units.stop_all()
"""

import json
import os
import signal
import stat
import sys
import time

from ansible_collections.esdb.cluster.tests.lib.emu_cluster import EMULATOR, clean_env

SYSTEMCTL = r'''#!%(python)s
import json, os, signal, subprocess, sys

unit = json.load(open(os.environ["ESDB_TEST_UNIT"]))
verbs = [a for a in sys.argv[1:] if not a.startswith("-")]
verb = verbs[0] if verbs else ""


def pid():
    try:
        number = int(open(unit["pidfile"]).read())
        os.kill(number, 0)
        return number
    except (OSError, ValueError):
        return None


if verb == "show":
    state = "active" if pid() else "inactive"
    print("Id=eventstore.service\nNames=eventstore.service\nLoadState=loaded\nActiveState=%%s\nSubState=%%s\n"
          "UnitFileState=enabled\nMainPID=%%s" %% (state, "running" if pid() else "dead", pid() or 0))
elif verb == "is-active":
    print("active" if pid() else "inactive")
    sys.exit(0 if pid() else 3)
elif verb == "is-enabled":
    print("enabled")
elif verb in ("start", "restart"):
    if verb == "restart" and pid():
        os.kill(pid(), signal.SIGTERM)
    if not pid():
        with open(unit["log"], "ab") as log:
            process = subprocess.Popen(unit["argv"], env=unit["env"], stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        open(unit["pidfile"], "w").write(str(process.pid))
elif verb == "stop":
    if pid():
        os.kill(pid(), signal.SIGTERM)
elif verb not in ("enable", "daemon-reload", "daemon-reexec", "reset-failed"):
    sys.stderr.write("systemctl stand-in: %%s is not supported\n" %% verb)
    sys.exit(1)
'''

WRAPPER = '''#!/bin/sh
ESDB_TEST_UNIT='%(unit)s' PATH='%(bin)s':"$PATH" exec '%(python)s' "$@"
'''


def _executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


class FakeSystemd:
    """One `eventstore` unit per host, each running one emulator node (emu_cluster.Node) when started."""

    def __init__(self, root, nodes_by_host):
        self.root = root / 'fake-systemd'
        (self.root / 'bin').mkdir(parents=True)
        _executable(self.root / 'bin' / 'systemctl', SYSTEMCTL % {'python': sys.executable})
        self.units = {}
        for host, node in nodes_by_host.items():
            unit = {'argv': [sys.executable, str(EMULATOR), '--config', str(node.config)], 'env': clean_env(node.env),
                    'log': str(node.dir / 'stdout.log'), 'pidfile': str(self.root / (host + '.pid'))}
            (self.root / (host + '.json')).write_text(json.dumps(unit))
            _executable(self.root / (host + '-python'),
                        WRAPPER % {'unit': self.root / (host + '.json'), 'bin': self.root / 'bin', 'python': sys.executable})
            self.units[host] = unit

    def host_vars(self):
        """{host: {'ansible_python_interpreter': its wrapper}} for backup_play.write_inventory."""
        return dict((host, {'ansible_python_interpreter': str(self.root / (host + '-python'))}) for host in self.units)

    def pids(self):
        """{host: pid} of the units a playbook started."""
        found = {}
        for host, unit in self.units.items():
            if os.path.exists(unit['pidfile']):
                found[host] = int(open(unit['pidfile']).read())
        return found

    def stop_all(self, timeout=10):
        """Stops every process the units started, waiting for each to end."""
        for pid in self.pids().values():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child of ours that ended stays a zombie until reaped; the stand-in's children are not ours.
    try:
        with open('/proc/%d/stat' % pid) as proc:
            return proc.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False
