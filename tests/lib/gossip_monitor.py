#!/usr/bin/env python
"""Samples a cluster's /gossip every 200 ms and counts leader changes and quorum losses.

Used to measure maintenance operations (rolling restart, upgrade, resize): start it,
run the operation, stop it (SIGINT/SIGTERM, --duration or --stop-file), read the JSON summary.

    PYTHONPATH=.collections .venv/bin/python tests/lib/gossip_monitor.py HOST:PORT... [--ca CA] [--output FILE]

Gossip is read the way esdb.cluster.cluster_status reads it (module_utils gossip and
cluster_verdict), with one difference: each node counts by its own entry only. Other nodes'
views of a node lag by a gossip timeout (a stopped leader stays "alive Leader" in its
followers' views until they notice), so every sample asks each node in parallel and hands
cluster_verdict.evaluate each answering node's own member. Per sample:
- a voting node is up when it answers and its own entry is an alive voter (not a read-only
  replica, not Clone, ShuttingDown, Shutdown or Manager);
- without quorum: fewer than quorum_size(ClusterSize) voting nodes up (the cluster can neither
  keep nor elect a leader);
- without leader: no answering node is Leader (writes wait, e.g. during an election);
- without write quorum: fewer than quorum_size(ClusterSize) voting nodes are Leader or Follower,
  so a write could not be acknowledged by a quorum (nodes still catching up do not count);
- split brain: more than one answering node is Leader;
- two voters out: two or more voting nodes are not Leader or Follower outside a handover. A
  handover starts when the leader changes or is missing, and ends at the first sample where
  every voter is Leader or Follower again. 22.10 sends every follower back through PreReplica
  when a new leader is elected (ClusterVNodeController.cs l.534-553 at oss-v22.10.0), so during
  a handover several voters are out by design; outside one, two voters out means an operation
  took a second node down before the first was back.
A leader change is a sample whose single Leader differs from the last one seen.

With --write-events PREFIX it also writes events all along, as a retrying client does
(tests/lib/event_load.py; AtomPub must be on), and when it stops it reads every acknowledged
event back from every node of --verify-nodes (default: all), waiting up to --settle seconds for
followers to catch up. The summary's "writes" then holds what was acknowledged, lost or
duplicated per node, and the longest write outage. A secure cluster is written to as --user with
the password in the environment variable ESDB_MONITOR_PASSWORD (never on the command line).
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
from http.client import HTTPException
from concurrent.futures import ThreadPoolExecutor

try:
    from ansible_collections.esdb.cluster.plugins.module_utils.cluster_verdict import evaluate, quorum_size
    from ansible_collections.esdb.cluster.plugins.module_utils.gossip import GossipError, alive_leaders, parse_gossip, self_member
    from ansible_collections.esdb.cluster.tests.lib.event_load import HttpNode, Writer, settled_report, writes_summary
except ImportError as exc:  # run by path without the collection on the module path
    sys.exit("%s: run from the checkout with PYTHONPATH=.collections (`make bootstrap` creates .collections)" % exc)


def fetch(url, context, timeout):
    """The raw /gossip body, or None when the node does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
            return resp.read()
    except (OSError, HTTPException):  # HTTPException: a node that stops mid-answer
        return None


def own_entry(body, node="node"):
    """The answering node's own member (gossip.self_member) from its /gossip body, or None.

    22.10 keeps one member per HTTP endpoint in a node's view and takes its own entry from
    itself (GossipServiceBase.MergeClusters), so that entry is the node's current instance.
    """
    if body is None:
        return None
    try:
        return self_member(parse_gossip(body, node))
    except GossipError:
        return None


def judge(answers):
    """(Leader ids, voting nodes up, voting nodes in sync, {node: own state}) from [(node, /gossip body or None)]."""
    own = [(node, own_entry(body, node)) for node, body in answers]
    verdict = evaluate([_answer(node, me) for node, me in own], len(own), validate="none")
    leaders = set(m["instance_id"] for m in alive_leaders(verdict["members"]))
    in_sync = len(verdict["followers"]) + len(leaders)
    return leaders, verdict["voters_alive"], in_sync, {node: me["state"] if me else None for node, me in own}


def _answer(node, me):
    """One node as cluster_verdict.evaluate takes it, its gossip cut down to its own entry."""
    gossip = None if me is None else {"members": [me], "malformed_members": 0,
                                      "server": {"host": me["host"], "port": me["port"]}}
    return {"node": node, "url": node, "gossip": gossip, "error": None if me else "%s: no own gossip entry" % node}


class Tally:
    def __init__(self, quorum, voters=None):
        self.quorum = quorum
        self.voters = voters
        self.two_out = 0
        self.handover_since = None
        self.longest_handover = 0.0
        self.samples = self.changes = self.no_quorum = self.no_write_quorum = self.no_leader = self.split = 0
        self.min_up = self.max_up = None
        self.last = None
        self.leaderless_since = None
        self.longest_leaderless = 0.0
        self.timeline = []
        self.previous_leader = None

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
        self._count_handover(t, leader, in_sync, states)

    def _count_handover(self, t, leader, in_sync, states):
        """Track handovers (see the module docstring); count two voters out outside one."""
        if self.voters is None:
            return
        changed = leader is None or (self.previous_leader is not None and leader != self.previous_leader)
        self.previous_leader = leader if leader is not None else self.previous_leader
        if changed and self.handover_since is None:
            self.handover_since = t
        if self.handover_since is not None:
            self.longest_handover = max(self.longest_handover, t - self.handover_since)
            if in_sync >= self.voters and leader is not None:
                self.handover_since = None
        elif self.voters - in_sync >= 2:
            self.two_out += 1
            self.timeline.append({"t": round(t, 2), "two_voters_out": self.voters - in_sync, "states": states})

    def summary(self, seconds):
        return {"samples": self.samples, "seconds": round(seconds, 1), "leader_changes": self.changes,
                "samples_without_quorum": self.no_quorum,
                "samples_without_write_quorum": self.no_write_quorum, "samples_without_leader": self.no_leader,
                "samples_split_brain": self.split, "longest_without_leader_s": round(self.longest_leaderless, 2),
                "samples_two_voters_out_outside_handover": self.two_out if self.voters is not None else None,
                "longest_handover_s": round(self.longest_handover, 2),
                "min_voters_up": self.min_up, "max_voters_up": self.max_up, "quorum_size": self.quorum, "timeline": self.timeline}


def monitor(urls, cluster_size, period, duration, context, timeout, stop, stop_file=None):
    tally = Tally(quorum_size(cluster_size), voters=cluster_size)
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


def http_nodes(args, addresses):
    """event_load targets for the writer and the verifier, with the password from the environment."""
    password = os.environ.get("ESDB_MONITOR_PASSWORD")
    return [HttpNode(a, args.scheme, args.ca, (args.user, password) if password else None) for a in addresses]


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
    parser.add_argument("--write-events", metavar="PREFIX", help="write events to streams PREFIX-0..2 all along")
    parser.add_argument("--write-pause", type=float, default=0.5,
                        help="seconds between acknowledged writes (the twin's replicas catch up at a modelled rate)")
    parser.add_argument("--verify-nodes", nargs="+", metavar="HOST:PORT", help="nodes that must hold every event")
    parser.add_argument("--settle", type=float, default=60, help="seconds for followers to catch up at the end")
    parser.add_argument("--user", default="admin", help="user to write as on a secure cluster")
    args = parser.parse_args()
    if args.ca and not os.path.isfile(args.ca):
        parser.error("--ca %s: no such file; give the cluster's CA certificate (PEM)" % args.ca)
    if args.cluster_size is not None and args.cluster_size < 1:
        parser.error("--cluster-size %d: give the cluster's ClusterSize, 1 or more" % args.cluster_size)
    context = ssl.create_default_context(cafile=args.ca) if args.scheme == "https" else None
    urls = ["%s://%s/gossip" % (args.scheme, node) for node in args.nodes]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    writer = Writer(http_nodes(args, args.nodes), prefix=args.write_events, pause=args.write_pause).start() if args.write_events else None
    result = monitor(urls, args.cluster_size or len(urls), args.period, args.duration, context, args.timeout, stop,
                     args.stop_file)
    if writer:
        writer.stop()
        report = settled_report(http_nodes(args, args.verify_nodes or args.nodes), writer.acknowledged, args.settle)
        result["writes"] = writes_summary(writer, report)
    text = json.dumps(result, indent=2)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
