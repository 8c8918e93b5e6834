#!/usr/bin/env python
"""Samples a cluster's /gossip every 200 ms and counts leader changes and quorum losses.

Used to measure maintenance operations (rolling restart, upgrade, resize): start it,
run the operation, stop it (SIGINT/SIGTERM, --duration or --stop-file), read the JSON summary.

Each sample asks every node in parallel and reads each node's entry about itself; other
nodes' views of a node are ignored because they lag by a gossip timeout (a stopped leader
stays "alive Leader" in its followers' views until they notice). Per sample:
- a voting node is up when it answers and its own state is a running one (not Initializing,
  ShuttingDown or Shutdown);
- without quorum: fewer than ClusterSize/2+1 voting nodes up (the cluster can neither keep
  nor elect a leader);
- without leader: no answering node is Leader (writes wait, e.g. during an election);
- without write quorum: fewer than ClusterSize/2+1 voting nodes are Leader or Follower, so a
  write could not be acknowledged by a quorum (nodes still catching up do not count);
- split brain: more than one answering node is Leader.
A leader change is a sample whose single Leader differs from the last one seen.
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
NOT_RUNNING = ("Initializing", "ShuttingDown", "Shutdown")


def fetch(url, context, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
            return json.load(resp)
    except (OSError, ValueError):
        return None


def own_entry(view):
    """The answering node's entry about itself: its advertised HTTP endpoint, alive and newest first."""
    mine = [m for m in view.get("members", [])
            if (m.get("httpEndPointIp"), m.get("httpEndPointPort")) == (view.get("serverIp"), view.get("serverPort"))
            and m.get("instanceId") != PLACEHOLDER]
    return max(mine, key=lambda m: (bool(m.get("isAlive")), m.get("timeStamp") or "")) if mine else None


def judge(views):
    """(self-declared Leader ids, voting nodes up, voting nodes in sync, {node: own state}) from /gossip bodies."""
    leaders, up, in_sync, states = set(), 0, 0, {}
    for node, view in views:
        me = own_entry(view) if isinstance(view, dict) else None
        states[node] = me.get("state") if me else None
        if not me or me.get("isReadOnlyReplica"):
            continue
        if me.get("state") not in NOT_RUNNING:
            up += 1
        if me.get("state") in ("Leader", "Follower"):
            in_sync += 1
        if me.get("state") == "Leader":
            leaders.add(me["instanceId"])
    return leaders, up, in_sync, states


class Tally:
    def __init__(self, quorum):
        self.quorum = quorum
        self.samples = self.changes = self.no_quorum = self.no_write_quorum = self.no_leader = self.split = 0
        self.min_up = self.max_up = None
        self.last = None
        self.leaderless_since = None
        self.longest_leaderless = 0.0
        self.timeline = []

    def add(self, t, leaders, up, in_sync, states):
        self.samples += 1
        self.no_write_quorum += in_sync < self.quorum
        self.min_up = up if self.min_up is None else min(self.min_up, up)
        self.max_up = up if self.max_up is None else max(self.max_up, up)
        self.no_quorum += up < self.quorum
        self.split += len(leaders) > 1
        leader = next(iter(leaders)) if len(leaders) == 1 else None
        if leader is None:
            self.no_leader += 1
            self.leaderless_since = t if self.leaderless_since is None else self.leaderless_since
            self.longest_leaderless = max(self.longest_leaderless, t - self.leaderless_since)
        else:
            self.leaderless_since = None
            if self.last and leader != self.last:
                self.changes += 1
            if leader != self.last:
                self.timeline.append({"t": round(t, 2), "leader": leader, "states": states})
            self.last = leader
        if up < self.quorum:
            self.timeline.append({"t": round(t, 2), "no_quorum": up, "states": states})

    def summary(self, seconds):
        return {"samples": self.samples, "seconds": round(seconds, 1), "leader_changes": self.changes,
                "samples_without_quorum": self.no_quorum,
                "samples_without_write_quorum": self.no_write_quorum, "samples_without_leader": self.no_leader,
                "samples_split_brain": self.split, "longest_without_leader_s": round(self.longest_leaderless, 2),
                "min_voters_up": self.min_up, "max_voters_up": self.max_up, "quorum_size": self.quorum, "timeline": self.timeline}


def monitor(urls, cluster_size, period, duration, context, timeout, stop, stop_file=None):
    tally = Tally(cluster_size // 2 + 1)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        while not stop.is_set() and (duration <= 0 or time.monotonic() - started < duration):
            if stop_file and os.path.exists(stop_file):
                break
            tick = time.monotonic()
            views = list(zip(urls, pool.map(lambda u: fetch(u, context, timeout), urls)))
            tally.add(tick - started, *judge([(u.split("/")[2], v) for u, v in views]))
            stop.wait(max(0.0, period - (time.monotonic() - tick)))
    return tally.summary(time.monotonic() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nodes", nargs="+", help="host:port of every node")
    parser.add_argument("--scheme", default="https", choices=["https", "http"])
    parser.add_argument("--ca", help="CA certificate to verify the nodes with")
    parser.add_argument("--cluster-size", type=int, help="ClusterSize (default: the number of nodes)")
    parser.add_argument("--period", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=0, help="seconds (default: until interrupted)")
    parser.add_argument("--stop-file", help="stop as soon as this file exists")
    parser.add_argument("--output", help="write the JSON summary here as well")
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.ca) if args.scheme == "https" else None
    urls = ["%s://%s/gossip" % (args.scheme, node) for node in args.nodes]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    result = monitor(urls, args.cluster_size or len(urls), args.period, args.duration, context, args.timeout, stop,
                     args.stop_file)
    text = json.dumps(result, indent=2)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
