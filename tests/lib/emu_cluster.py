"""Running emulator processes on 127.0.10.x for the tests, and polling them with deadlines."""
import os
import pathlib
import signal
import subprocess
import sys
import time
import warnings

import requests
import urllib3
import yaml

EMULATOR = pathlib.Path(__file__).resolve().parents[1] / "twin" / "emulator" / "eventstored"
FAST = {"GossipIntervalMs": 250, "GossipTimeoutMs": 600, "LeaderElectionTimeoutMs": 500,
        "IntTcpHeartbeatInterval": 200, "IntTcpHeartbeatTimeout": 500}
ZERO_ID = "00000000-0000-0000-0000-000000000000"
# Twin-only timings (not EventStoreDB options): these suites form many clusters, so they skip the realistic
# database-open delay and catch-up rate; the tests of those behaviours set them back explicitly.
FAST_TWIN = {"ESDB_TWIN_DB_OPEN_MS": "0", "ESDB_TWIN_CATCHUP_BYTES_PER_S": "100000000"}
REALISTIC_TWIN = {"ESDB_TWIN_DB_OPEN_MS": "", "ESDB_TWIN_CATCHUP_BYTES_PER_S": ""}


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTSTORE_", "ESDB_TWIN_"))}
    env.update(FAST_TWIN)
    env.update(extra or {})
    return env


def run(args, env=None, timeout=20):
    """Run the emulator to completion (for --what-if, --version and rejected configurations)."""
    return subprocess.run([sys.executable, str(EMULATOR)] + list(args), env=clean_env(env), capture_output=True,
                          text=True, timeout=timeout, check=False)


def wait_for(probe, timeout=15.0, interval=0.05, what="condition"):
    """Poll `probe` until it returns something truthy; fail with the last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (requests.RequestException, ValueError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s; last: %r" % (timeout, what, last))


class Node:
    def __init__(self, root, ip, settings, ca_file=None):
        self.ip, self.ca_file = ip, ca_file
        self.env = {}
        self.dir = root / ip
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "eventstore.conf"
        self.settings = dict({"IntIp": ip, "ExtIp": ip, "Db": str(self.dir / "db"), "Log": str(self.dir / "log")},
                             **settings)
        self.config.write_text("---\n" + yaml.safe_dump(self.settings))
        self.stdout = self.dir / "stdout.log"
        self.process = None
        self.scheme = "http" if settings.get("Insecure") else "https"

    def start(self):
        with open(self.stdout, "ab") as out:
            self.process = subprocess.Popen([sys.executable, str(EMULATOR), "--config", str(self.config)],
                                            env=clean_env(self.env), stdout=out, stderr=subprocess.STDOUT)
        return self

    def url(self, path):
        return "%s://%s:2113%s" % (self.scheme, self.ip, path)

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 5)
        kwargs.setdefault("verify", self.ca_file or False)
        with warnings.catch_warnings():
            # Nodes holding deliberately wrong certificates are read without verification.
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            return requests.request(method, self.url(path), **kwargs)

    def gossip(self):
        response = self.request("GET", "/gossip")
        response.raise_for_status()
        return response.json()

    def members(self):
        return self.gossip()["members"]

    def me(self):
        return next(m for m in self.members() if m["httpEndPointIp"] == self.ip)

    def state(self):
        return self.me()["state"]

    def is_up(self):
        return self.request("GET", "/health/live", timeout=1).status_code == 204

    def log(self):
        return self.stdout.read_text(errors="replace")

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.running():
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode if self.process else None

    def kill(self):
        return self.stop(signal.SIGKILL)


class Cluster:
    """Three (or more) emulator nodes seeding each other; `extra` settings per node index are merged in."""

    def __init__(self, root, ips, settings=None, pki=None, extra=None):
        self.nodes = []
        for index, ip in enumerate(ips):
            conf = dict(FAST, ClusterSize=3, DiscoverViaDns=False,
                        GossipSeed=["%s:2113" % other for other in ips if other != ip])
            if pki is None:
                conf["Insecure"] = True
            else:
                crt, key = pki.nodes[ip]
                conf.update(CertificateFile=str(crt), CertificatePrivateKeyFile=str(key),
                            TrustedRootCertificatesPath=str(pki.ca.directory))
            conf.update(settings or {})
            conf.update((extra or {}).get(index, {}))
            self.nodes.append(Node(root, ip, conf, pki.ca_file if pki else None))

    def start(self):
        for node in self.nodes:
            node.start()
        return self

    def stop(self):
        for node in self.nodes:
            node.stop()

    def leaders(self, among=None):
        """Instance ids of alive Leaders, as each running node sees them (one set per node)."""
        views = []
        for node in among or [n for n in self.nodes if n.running()]:
            members = node.members()
            views.append({m["instanceId"] for m in members if m["isAlive"] and m["state"] == "Leader"})
        return views

    def agreed_leader(self, among=None):
        """The one leader every running node agrees on, with all others Follower; else None."""
        nodes = among or [n for n in self.nodes if n.running()]
        views = self.leaders(nodes)
        if not views or any(len(v) != 1 for v in views) or len(set.union(*views)) != 1:
            return None
        leader_id = views[0].pop()
        states = [node.me() for node in nodes]
        followers = [m for m in states if m["instanceId"] != leader_id]
        if any(m["state"] != "Follower" for m in followers) or len(followers) != len(nodes) - 1:
            return None
        return next(node for node, m in zip(nodes, states) if m["instanceId"] == leader_id)

    def caught_up_followers(self):
        """The Followers, once each has the Leader's writer checkpoint (nothing acknowledged missing), else None."""
        leader = self.agreed_leader()
        if leader is None:
            return None
        position = leader.me()["writerCheckpoint"]
        followers = [node for node in self.nodes if node is not leader]
        return followers if all(node.me()["writerCheckpoint"] == position for node in followers) else None
