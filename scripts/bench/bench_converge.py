#!/usr/bin/env python
"""Wall time of the role's default converge (3 TLS nodes) and of its idempotent rerun.

Molecule scenario `default` (local twin, or ESDB_MOLECULE_IMAGE) creates and prepares fresh
containers (not timed). Then its converge playbook runs with ansible-playbook against Molecule's
inventory, timed: first on the fresh containers (the converge), then again on the converged cluster
(the idempotent rerun, which must report changed=0). Repeats --runs times on fresh containers and
prints a Markdown table. Goal: rerun <= 0.35 x converge.

    scripts/bench/bench_converge.py [--runs 3] [--json] [-- EXTRA ANSIBLE-PLAYBOOK ARGS]
"""

import argparse
import glob
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


def run(*command, **extra_env):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"),
               PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra_env)
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-2000:])
        raise SystemExit(f"failed: {' '.join(command)}")
    return result


def molecule(action):
    return run(str(VENV_BIN / "molecule"), action, "-s", SCENARIO)


def converge(extra_args):
    """Run the scenario's converge playbook once; return (seconds, stdout)."""
    workdir = max(glob.glob(os.path.expanduser(f"~/.ansible/tmp/molecule.*.{SCENARIO}")), key=os.path.getmtime)
    started = time.monotonic()
    result = run(str(VENV_BIN / "ansible-playbook"), "--inventory", os.path.join(workdir, "inventory"),
                 str(REPO / "molecule" / "shared" / "converge.yml"), *extra_args,
                 ANSIBLE_CONFIG=os.path.join(workdir, "ansible.cfg"))
    return time.monotonic() - started, result.stdout


def one_round(extra_args):
    molecule("destroy")
    molecule("create")
    molecule("prepare")
    first, _unused = converge(extra_args)
    second, output = converge(extra_args)
    changed = [line for line in output.splitlines() if " changed=" in line and " changed=0 " not in line]
    if changed:
        raise SystemExit("the rerun was not idempotent:\n" + "\n".join(changed))
    return first, second


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    parser.add_argument("ansible_args", nargs="*", help="extra ansible-playbook arguments (after --)")
    args = parser.parse_args()
    run(str(REPO / "tests" / "twin" / "twinctl"), "build")
    run(str(REPO / "tests" / "twin" / "twinctl"), "image")
    rounds = []
    try:
        for _unused in range(args.runs):
            rounds.append(one_round(args.ansible_args))
    finally:
        molecule("destroy")
    first = statistics.median(r[0] for r in rounds)
    second = statistics.median(r[1] for r in rounds)
    if args.json:
        print(json.dumps({"runs": rounds, "converge_median_s": round(first, 1), "rerun_median_s": round(second, 1),
                          "ratio": round(second / first, 2), "goal": GOAL, "cpus": os.cpu_count(),
                          "load_average": os.getloadavg()}, indent=2))
    print("| run | converge (s) | idempotent rerun (s) | rerun / converge |")
    print("|---|---|---|---|")
    for index, (one, two) in enumerate(rounds, 1):
        print(f"| {index} | {one:.1f} | {two:.1f} | {two / one:.2f} |")
    print(f"| median | {first:.1f} | {second:.1f} | {second / first:.2f} (goal <= {GOAL}) |")
    return 0 if second / first <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
