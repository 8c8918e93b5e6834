#!/usr/bin/env python
"""Times `make demo` on the local twin: a cold 3-node run, its warm rerun, and a cold 7-node run.

"Cold" means no cluster and no twin state (moto, containers, PKI) but with .venv, the
collections and the base image in place, as on a second `make demo` after `make demo-down`.
Prints a markdown table for docs/benchmarks.md.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECAP = re.compile(r"^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)", re.M)


def run(cmd):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    env["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + env["PATH"]
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit("%s failed:\n%s" % (" ".join(cmd), (result.stdout + result.stderr)[-4000:]))
    changed = sum(int(c) for _host, c in RECAP.findall(result.stdout))
    return elapsed, changed


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", type=int, default=7, help="node count of the large variant")
    args = parser.parse_args()
    rows = []
    run(["scripts/demo.sh", "down"])
    rows.append(("3 nodes, cold",) + run(["scripts/demo.sh"]))
    rows.append(("3 nodes, warm rerun",) + run(["scripts/demo.sh"]))
    run(["scripts/demo.sh", "down"])
    rows.append(("%d nodes, cold" % args.large,) + run(["scripts/demo.sh", "-e", "eventstore_cluster_size=%d" % args.large]))
    run(["scripts/demo.sh", "down"])
    print("| run | wall time | changed tasks |\n|---|---|---|")
    for name, elapsed, changed in rows:
        print("| %s | %.1f s | %d |" % (name, elapsed, changed))
    print("\nwarm/cold (3 nodes): %.2f×; %d nodes/3 nodes (cold): %.2f×"
          % (rows[1][1] / rows[0][1], args.large, rows[2][1] / rows[0][1]))


if __name__ == "__main__":
    main()
