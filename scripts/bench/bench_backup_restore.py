#!/usr/bin/env python
"""File-copy backup and restore of a three-node cluster: esdb.cluster.db_backup and db_restore, timed.

Runs on the local node emulator (tests/twin/emulator): a test double that models an EventStoreDB 22.10 node, one
process per loopback address. It is never EventStoreDB, so the figures measure the modules' own work (walking,
hashing and copying the Db files, plus the `ansible` command's start-up), not a real node's I/O. The emulators use
the test harness's fast twin timings (no simulated database-open delay). Each run, in a fresh directory:
  1. a cluster on 127.0.30.1-3 (EnableAtomPubOverHttp) takes at least --events events over four streams from the
     harness's writer (tests/lib/event_load.py, one event per request; it may overshoot by a few); the run goes on
     once every node has the Leader's writer checkpoint;
  2. db_backup copies one Follower's Db into a fresh directory: seconds, bytes (the manifest's file sizes), MB/s;
  3. the cluster is stopped; db_restore fills three fresh Db directories from that one backup, one after another;
  4. a new cluster on 127.0.30.4-6 starts on them: seconds until one Leader and two Followers, then seconds until
     every node serves every acknowledged event exactly once (event_load.verify, polled for up to --verify-timeout).
Prints one Markdown row per run. Exits 1 when any acknowledged event is missing or duplicated on any restored node.

    PYTHONPATH=.collections .venv/bin/python scripts/bench/bench_backup_restore.py [--events 5000] [--runs 2] [--json FILE]
"""

import argparse
import json
import pathlib
import sys
import tempfile
import time

try:
    from ansible_collections.esdb.cluster.tests.lib.cs_cluster import CollectionModuleRun
    from ansible_collections.esdb.cluster.tests.lib.emu_cluster import Cluster, wait_for
    from ansible_collections.esdb.cluster.tests.lib.event_load import Writer, lost, verify
except ImportError as exc:  # run without the collection on the module path
    sys.exit(f"{exc}: run from the checkout with PYTHONPATH=.collections (`make bootstrap` creates .collections)")

HOSTS = ["127.0.30.1", "127.0.30.2", "127.0.30.3"]
RESTORED_HOSTS = ["127.0.30.4", "127.0.30.5", "127.0.30.6"]
SETTINGS = {"EnableAtomPubOverHttp": True}
STREAMS = 4
CLUSTER, VERSION = "emu", "22.10.0"


def module(name, args):
    """(seconds, result) of one esdb.cluster module run through `ansible`; stops the benchmark when it fails."""
    started = time.monotonic()
    result = CollectionModuleRun(name, args).result(timeout=600)
    seconds = time.monotonic() - started
    if result.get("failed"):
        raise SystemExit(f"esdb.cluster.{name} failed: {result.get('msg')}")
    return seconds, result


def write_and_back_up(root, events, run_index):
    """Steps 1 and 2: (writer, backup dir, backup figures). The source cluster is stopped on return."""
    cluster = Cluster(root / "source", HOSTS, settings=SETTINGS).start()
    try:
        wait_for(cluster.agreed_leader, timeout=60, what="one agreed leader and two followers")
        started = time.monotonic()
        writer = Writer(cluster.nodes, streams=STREAMS, prefix=f"bench-backup-{run_index}").start()
        wait_for(lambda: writer.count >= events, timeout=max(60, events / 10), interval=0.2,
                 what=f"{events} acknowledged events")
        writer.stop()
        write_s = time.monotonic() - started
        follower = wait_for(cluster.caught_up_followers, timeout=60, what="followers caught up with the leader")[0]
        dest = root / "backup"
        seconds, result = module("db_backup", dict(
            db_path=str(follower.dir / "db"), dest=str(dest), cluster_name=CLUSTER, eventstore_version=VERSION,
            node=follower.ip, source_address=f"{follower.ip}:2113"))
    finally:
        cluster.stop()
    if any(node.running() for node in cluster.nodes):
        raise SystemExit("the source cluster did not stop")
    size = sum(entry["size"] for entry in result["manifest"]["files"])
    return writer, dest, dict(acknowledged=writer.count, write_s=round(write_s, 2), backup_node=follower.ip,
                              backup_files=len(result["manifest"]["files"]), backup_bytes=size,
                              backup_s=round(seconds, 2), backup_mb_per_s=round(size / 1e6 / seconds, 2))


def restore_and_verify(root, backup, writer, verify_timeout):
    """Steps 3 and 4: restore figures, election and verification times, and what the restored nodes lack."""
    restored = Cluster(root / "restored", RESTORED_HOSTS, settings=SETTINGS)
    per_node = []
    for node in restored.nodes:
        seconds, result = module("db_restore", dict(backup_dir=str(backup), db_path=str(node.dir / "db"),
                                                    expected_cluster=CLUSTER, expected_version=VERSION))
        if result.get("changed") is not True:
            raise SystemExit(f"db_restore changed nothing in {node.dir / 'db'}: {result}")
        per_node.append(round(seconds, 2))
    started = time.monotonic()
    restored.start()
    try:
        wait_for(restored.agreed_leader, timeout=60, what="the restored cluster to elect a leader")
        elected = time.monotonic()
        deadline = elected + verify_timeout
        report = verify(restored.nodes, writer.acknowledged)
        while lost(report) and time.monotonic() < deadline:
            time.sleep(0.2)
            report = verify(restored.nodes, writer.acknowledged)
        verified = time.monotonic()
    finally:
        restored.stop()
    missing = set().union(*(entry["missing"] for entry in report.values()))
    duplicated = set().union(*(entry["duplicated"] for entry in report.values()))
    return dict(restore_s=per_node, restore_total_s=round(sum(per_node), 2), elect_s=round(elected - started, 2),
                verify_s=round(verified - elected, 2), events_per_node=[report[n.ip]["events"] for n in restored.nodes],
                lost=len(missing), duplicated=len(duplicated))


def one_run(events, run_index, verify_timeout):
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        root = pathlib.Path(tmp)
        writer, backup, row = write_and_back_up(root, events, run_index)
        row.update(restore_and_verify(root, backup, writer, verify_timeout))
    return row


def table(rows):
    lines = ["| run | acknowledged | backup files | backup (MB) | backup (s) | backup (MB/s) | restore per node (s) "
             "| restore total (s) | elect (s) | verify (s) | events per node | lost | duplicated |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(rows, 1):
        lines.append(f"| {i} | {r['acknowledged']} | {r['backup_files']} | {r['backup_bytes'] / 1e6:.2f} "
                     f"| {r['backup_s']:.2f} | {r['backup_mb_per_s']:.2f} "
                     f"| {' / '.join(f'{s:.2f}' for s in r['restore_s'])} | {r['restore_total_s']:.2f} "
                     f"| {r['elect_s']:.2f} | {r['verify_s']:.2f} | {' / '.join(map(str, r['events_per_node']))} "
                     f"| {r['lost']} | {r['duplicated']} |")
    return "\n".join(lines)


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number; give 1 or more")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=positive, default=5000, help="events written per run (default: %(default)s)")
    parser.add_argument("--runs", type=positive, default=2, help="runs, each on fresh clusters (default: %(default)s)")
    parser.add_argument("--verify-timeout", type=float, default=60.0,
                        help="seconds the restored nodes get to serve every event (default: %(default)s)")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    rows = []
    for run_index in range(1, args.runs + 1):
        try:
            rows.append(one_run(args.events, run_index, args.verify_timeout))
        except AssertionError as exc:  # the harness's wait_for timed out
            raise SystemExit(f"run {run_index}: {exc}") from None
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(table(rows))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    bad = sum(r["lost"] + r["duplicated"] for r in rows)
    print(f"\ngoal (every acknowledged event exactly once on every restored node, every run): "
          f"{'met' if not bad else 'NOT met'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
