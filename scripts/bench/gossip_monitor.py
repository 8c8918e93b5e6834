#!/usr/bin/env python
"""Samples a cluster's /gossip every 200 ms and counts leader changes and quorum losses.

Used to measure maintenance operations (rolling restart, upgrade, resize): start it,
run the operation, stop it (SIGINT/SIGTERM or --duration), read the JSON summary.

A sample asks every node in parallel and merges their views: the leader is the
alive Leader most nodes name, quorum holds when at least ClusterSize/2+1 voting
members are alive and agree on one leader.
"""
import argparse
import json
import signal
import ssl
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def fetch(url, context, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
            return json.load(resp)
    except (OSError, ValueError):
        return None


def judge(views, cluster_size):
    """(leader id or None, alive voters) from the nodes' /gossip bodies."""
    named, alive = {}, set()
    for view in views:
        if not view:
            continue
        for m in view.get("members", []):
            if m.get("instanceId") == PLACEHOLDER or not m.get("isAlive") or m.get("isReadOnlyReplica"):
                continue
            if m.get("state") == "Leader":
                named[m["instanceId"]] = named.get(m["instanceId"], 0) + 1
            if m.get("state") in ("Leader", "Follower"):
                alive.add(m["instanceId"])
    leader = max(named, key=named.get) if len(named) == 1 else None
    return leader, len(alive) if leader else 0


def monitor(urls, cluster_size, period, duration, context, timeout, stop):
    quorum = cluster_size // 2 + 1
    samples, changes, no_quorum, no_leader, last = 0, 0, 0, 0, None
    timeline = []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        while not stop.is_set() and (duration <= 0 or time.monotonic() - started < duration):
            tick = time.monotonic()
            leader, voters = judge(list(pool.map(lambda u: fetch(u, context, timeout), urls)), cluster_size)
            samples += 1
            no_leader += leader is None
            no_quorum += voters < quorum
            if leader and last and leader != last:
                changes += 1
                timeline.append({"t": round(tick - started, 2), "leader": leader})
            last = leader or last
            stop.wait(max(0.0, period - (time.monotonic() - tick)))
    return {"samples": samples, "seconds": round(time.monotonic() - started, 1), "leader_changes": changes,
            "samples_without_quorum": no_quorum, "samples_without_leader": no_leader,
            "quorum_size": quorum, "leader_timeline": timeline}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nodes", nargs="+", help="host:port of every node")
    parser.add_argument("--scheme", default="https", choices=["https", "http"])
    parser.add_argument("--ca", help="CA certificate to verify the nodes with")
    parser.add_argument("--cluster-size", type=int, help="ClusterSize (default: the number of nodes)")
    parser.add_argument("--period", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=0, help="seconds (default: until interrupted)")
    parser.add_argument("--output", help="write the JSON summary here as well")
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.ca) if args.scheme == "https" else None
    urls = ["%s://%s/gossip" % (args.scheme, node) for node in args.nodes]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    result = monitor(urls, args.cluster_size or len(urls), args.period, args.duration, context, args.timeout, stop)
    text = json.dumps(result, indent=2)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
