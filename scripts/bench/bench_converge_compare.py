#!/usr/bin/env python
"""The role's converge and idempotent rerun, this checkout against an earlier commit, side by side.

A git worktree of --baseline (bootstrapped with its own .venv) and this checkout take turns: each
round runs scripts/bench/bench_converge.py --runs 1 in one tree, then in the other, on fresh
containers of the Molecule `default` scenario, each tree with its own role and twin. Both use the
same base image (ESDB_MOLECULE_IMAGE, the twin's systemd image by default), so the fresh-host
first boot, which only the newer scenario waits for, is not counted. Prints a Markdown table and
the ratios after / before (goal: each at most 0.8).

    scripts/bench/bench_converge_compare.py --baseline 74c7c62 [--rounds 2]
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
GOAL = 0.8
IMAGE = "esdb-twin/debian12-systemd:latest"


def bench_once(tree):
    """(converge seconds, rerun seconds) from one bench_converge.py round in `tree`."""
    env = dict(os.environ, ESDB_MOLECULE_IMAGE=os.environ.get("ESDB_MOLECULE_IMAGE", IMAGE))
    result = subprocess.run([str(tree / ".venv" / "bin" / "python"), "scripts/bench/bench_converge.py", "--runs", "1",
                             "--json"], cwd=tree, env=env, capture_output=True, text=True, check=False)
    text = result.stdout
    if "{" not in text:
        raise SystemExit(f"bench_converge.py failed in {tree}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    figures = json.loads(text[text.index("{"):text.index("\n}") + 2])
    return figures["runs"][0]


def baseline_tree(revision):
    tree = REPO / ".cache" / "bench-baseline"
    if tree.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO, check=False)
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision], cwd=REPO, check=True,
                   capture_output=True)
    subprocess.run(["make", "bootstrap"], cwd=tree, check=True, capture_output=True)
    return tree


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="the earlier commit")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    before_tree = baseline_tree(args.baseline)
    before, after = [], []
    try:
        for _unused in range(args.rounds):
            before.append(bench_once(before_tree))
            after.append(bench_once(REPO))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(before_tree)], cwd=REPO, check=False)
    medians = {name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
               for name, runs in (("before", before), ("after", after))}
    print("| round | before: converge (s) | after: converge (s) | before: rerun (s) | after: rerun (s) |")
    print("|---|---|---|---|---|")
    for index, (old, new) in enumerate(zip(before, after), 1):
        print(f"| {index} | {old[0]:.1f} | {new[0]:.1f} | {old[1]:.1f} | {new[1]:.1f} |")
    converge = medians["after"][0] / medians["before"][0]
    rerun = medians["after"][1] / medians["before"][1]
    print(f"| median | {medians['before'][0]:.1f} | {medians['after'][0]:.1f} | {medians['before'][1]:.1f} | "
          f"{medians['after'][1]:.1f} |")
    print(f"\nafter / before: converge {converge:.2f}, rerun {rerun:.2f} (goal <= {GOAL} each; "
          f"baseline {args.baseline}, {os.cpu_count()} CPUs)")
    return 0 if converge <= GOAL and rerun <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
