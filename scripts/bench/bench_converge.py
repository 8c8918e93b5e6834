#!/usr/bin/env python3
"""Wall time of the role's default converge (3 TLS nodes) and of its idempotent rerun.

Runs Molecule scenario `default` against the local twin (or ESDB_MOLECULE_IMAGE): create and
prepare are not timed; then `molecule converge` on fresh containers (the converge), and again on
the converged cluster (the rerun). Repeats --runs times on fresh containers and prints a Markdown
table. Goal: rerun <= 0.35 x converge.

    scripts/bench/bench_converge.py [--runs 3] [--json]
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
SCENARIO = "default"
GOAL = 0.35


def run(*command, timed=False):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"),
               PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    started = time.monotonic()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-2000:])
        raise SystemExit(f"failed: {' '.join(command)}")
    return seconds if timed else result


def molecule(action, timed=False):
    return run(str(VENV_BIN / "molecule"), action, "-s", SCENARIO, timed=timed)


def one_round():
    molecule("destroy")
    molecule("create")
    molecule("prepare")
    converge = molecule("converge", timed=True)
    rerun = molecule("converge", timed=True)
    return converge, rerun


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    run(str(REPO / "tests" / "twin" / "twinctl"), "build")
    run(str(REPO / "tests" / "twin" / "twinctl"), "image")
    rounds = []
    try:
        for _ in range(args.runs):
            rounds.append(one_round())
    finally:
        molecule("destroy")
    converge = statistics.median(r[0] for r in rounds)
    rerun = statistics.median(r[1] for r in rounds)
    figures = {"runs": rounds, "converge_median_s": round(converge, 1), "rerun_median_s": round(rerun, 1),
               "ratio": round(rerun / converge, 2), "goal": GOAL, "cpus": os.cpu_count(),
               "load_average": os.getloadavg()}
    if args.json:
        print(json.dumps(figures, indent=2))
    print("| run | converge (s) | idempotent rerun (s) | rerun / converge |")
    print("|---|---|---|---|")
    for index, (first, second) in enumerate(rounds, 1):
        print(f"| {index} | {first:.1f} | {second:.1f} | {second / first:.2f} |")
    print(f"| median | {converge:.1f} | {rerun:.1f} | {rerun / converge:.2f} (goal <= {GOAL}) |")
    return 0 if rerun / converge <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
