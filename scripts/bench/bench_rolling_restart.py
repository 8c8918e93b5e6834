#!/usr/bin/env python
"""Leader changes and quorum losses during a rolling restart: ours against a naive serial: 1 one.

Brings up three TLS (or, with --insecure, Insecure) nodes of the local twin (containers at 10.42.18.11-13 on network
esdb-bench-rolling, apt server at .250; the packaged program is the test emulator, not
EventStoreDB), converges them with playbooks/configure.yml, then alternates, --runs times each:
  ours:  playbooks/rolling_restart.yml (followers one at a time, each back as Follower; leader
         resigns, then restarts last);
  naive: scripts/bench/naive_serial_restart.yml (serial: 1, systemd restarted, no waiting).
The test harness's gossip monitor (tests/lib/gossip_monitor.py) samples every node's /gossip
every 200 ms from just before the playbook starts until the cluster is back to one Leader and
two Followers, while its event writer (tests/lib/event_load.py, AtomPub on) appends one event at a
time as a client would, retrying on the next node; afterwards every stream is read back from every
node. Prints a Markdown table. Goal for ours: exactly 1 leader change, 0 samples without quorum and
0 acknowledged writes lost in every run.

    PYTHONPATH=.collections .venv/bin/python scripts/bench/bench_rolling_restart.py [--runs 3] [--insecure] [--keep] [--json FILE]
"""

import argparse
import json
import os
import pathlib
import shlex
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import requests

try:
    from ansible_collections.esdb.cluster.tests.lib import event_load, gossip_monitor
except ImportError as exc:  # run without the collection on the module path
    sys.exit(f"{exc}: run from the checkout with PYTHONPATH=.collections (`make bootstrap` creates .collections)")

REPO = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"

NETWORK, SUBNET, PREFIX = "esdb-bench-rolling", "10.42.18.0/24", "10.42.18."
NODES = {f"esdb-bench-rolling-{i}": f"{PREFIX}{10 + i}" for i in (1, 2, 3)}
IMAGE = "esdb-twin/debian12-systemd:latest"
SYSTEMD_FLAGS = ["--cap-add", "SYS_ADMIN", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                 "--tmpfs", "/run", "--tmpfs", "/run/lock", "--security-opt", "seccomp=unconfined",
                 "--stop-signal", "SIGRTMIN+3"]
PLAYBOOKS = {"ours": REPO / "playbooks" / "rolling_restart.yml",
             "naive": REPO / "scripts" / "bench" / "naive_serial_restart.yml"}


def run(*command, check=True, **extra_env):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra_env)
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-2000:])
        raise SystemExit(f"failed: {' '.join(map(str, command))}")
    return result


def twin_up():
    out = run(str(REPO / "tests" / "twin" / "twinctl"), "up", "--network", NETWORK, "--subnet", SUBNET).stdout
    return dict(shlex.split(line)[0].split("=", 1) for line in out.splitlines() if "=" in line)


def containers_up():
    for name, ip in NODES.items():
        run("docker", "rm", "-f", name, check=False)
        run("docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, "--ip", ip,
            *SYSTEMD_FLAGS, IMAGE, "/sbin/init")


def teardown():
    for name in NODES:
        run("docker", "rm", "-f", name, check=False)
    run(str(REPO / "tests" / "twin" / "twinctl"), "down", "--network", NETWORK, check=False)


def write_inventory(workdir, twin, insecure):
    inventory = {"eventstore": {
        "hosts": {name: {"eventstore_node_ip": ip} for name, ip in NODES.items()},
        "vars": {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3",
                 "eventstore_apt_repo_url": twin["APT_REPO_URL"], "eventstore_apt_key_url": twin["APT_KEY_URL"],
                 "eventstore_admin_password": "bench-Admin-pw1", "eventstore_ops_password": "bench-Ops-pw1",
                 "eventstore_pki_dir": str(workdir / "pki"), "eventstore_wait_timeout": 120,
                 "eventstore_insecure": insecure, "eventstore_config": {"EnableAtomPubOverHttp": True}}}}
    path = workdir / "inventory.json"
    path.write_text(json.dumps(inventory))
    return path


def cluster_settled(scheme, context):
    """One Leader and every other node Follower, each by its own answer."""
    views = [(n, gossip_monitor.fetch(f"{scheme}://{ip}:2113/gossip", context, 1.0)) for n, ip in NODES.items()]
    leaders, _up, _in_sync, states = gossip_monitor.judge(views)
    return len(leaders) == 1 and sorted(map(str, states.values())) == ["Follower", "Follower", "Leader"]


class Client:  # pylint: disable=too-few-public-methods
    """One node as event_load's writer and verifier reach it: the admin user, trusting the cluster's CA."""

    def __init__(self, ip, scheme, ca_file):
        self.ip, self.scheme, self.ca_file = ip, scheme, ca_file

    def request(self, method, path, **kwargs):
        kwargs.setdefault("verify", self.ca_file or False)
        if self.scheme == "https":
            kwargs.setdefault("auth", ("admin", "bench-Admin-pw1"))
        return requests.request(method, f"{self.scheme}://{self.ip}:2113{path}", **kwargs)


def measured(kind, run_index, inventory, scheme, context, ca_file):
    urls = [f"{scheme}://{ip}:2113/gossip" for ip in NODES.values()]
    clients = [Client(ip, scheme, ca_file) for ip in NODES.values()]
    stop, box = threading.Event(), {}
    watcher = threading.Thread(target=lambda: box.update(
        gossip_monitor.monitor(urls, len(urls), 0.2, 0, context, 1.0, stop)))
    watcher.start()
    writer = event_load.Writer(clients, prefix=f"{kind}-{run_index}", retry_pause=0.1, timeout=5).start()
    started = time.monotonic()
    result = run(str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOKS[kind]), check=False)
    playbook_s = time.monotonic() - started
    deadline = time.monotonic() + 120
    while not cluster_settled(scheme, context) and time.monotonic() < deadline:
        time.sleep(0.2)
    settled_s = time.monotonic() - started
    writer.stop()
    stop.set()
    watcher.join()
    report = event_load.verify(clients, writer.acknowledged)
    box.update(acknowledged=writer.count, lost=sum(len(e["missing"]) + len(e["duplicated"]) for e in report.values()),
               longest_write_outage_s=round(writer.longest_outage, 1))
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:])
    box.pop("timeline", None)
    return dict(box, kind=kind, rc=result.returncode, playbook_s=round(playbook_s, 1), settled_s=round(settled_s, 1))


def table(rows):
    lines = ["| run | playbook | rc | leader changes | samples without quorum | samples without write quorum "
             "| samples without leader | longest without leader (s) | split-brain samples | min voters up "
             "| playbook (s) | settled (s) | acknowledged writes | lost | longest write outage (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(rows, 1):
        lines.append(f"| {(i + 1) // 2} | {r['kind']} | {r['rc']} | {r['leader_changes']} | {r['samples_without_quorum']} "
                     f"| {r['samples_without_write_quorum']} | {r['samples_without_leader']} | {r['longest_without_leader_s']} | {r['samples_split_brain']} "
                     f"| {r['min_voters_up']} | {r['playbook_s']} | {r['settled_s']} "
                     f"| {r['acknowledged']} | {r['lost']} | {r['longest_write_outage_s']} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each playbook (default: %(default)s)")
    parser.add_argument("--insecure", action="store_true", help="an Insecure cluster (http, no TLS, no auth)")
    parser.add_argument("--keep", action="store_true", help="leave the containers and the network up")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-rolling-") as tmp:
        workdir = pathlib.Path(tmp)
        try:
            inventory = write_inventory(workdir, twin_up(), args.insecure)
            containers_up()
            run(str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks" / "configure.yml"))
            scheme = "http" if args.insecure else "https"
            context = None if args.insecure else ssl.create_default_context(cafile=str(workdir / "pki" / "ca.crt"))
            ca_file = None if args.insecure else str(workdir / "pki" / "ca.crt")
            for run_index in range(args.runs):
                for kind in ("ours", "naive"):
                    rows.append(measured(kind, run_index, inventory, scheme, context, ca_file))
                    print(json.dumps(rows[-1]), file=sys.stderr)
        finally:
            if not args.keep:
                teardown()
    print(table(rows))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    ours = [r for r in rows if r["kind"] == "ours"]
    met = all(r["rc"] == 0 and r["leader_changes"] == 1 and r["samples_without_quorum"] == 0 and r["lost"] == 0
              for r in ours)
    print(f"\ngoal (ours: 1 leader change, 0 samples without quorum, 0 acknowledged writes lost, every run): "
          f"{'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
